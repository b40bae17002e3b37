// SPDX-License-Identifier: MIT
#pragma once

#include "dpopkey_p.h"
#include "dpopserverstate_p.h"
#include "tokenresponse_p.h"

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/sessionconfig.h>

#include <QByteArray>
#include <QList>
#include <QNetworkRequest>
#include <QPair>
#include <QPointer>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;
class QObject;

namespace SecureTokens {

//! What collectReply() hands back once a reply has finished.
struct CollectedReply
{
    //! Too large, timed out, no HTTP answer, or a redirect (never followed); httpStatus set.
    ErrorInfo transportError;
    int status = 0; //!< HTTP status, 0 without an answer
    QByteArray contentType;
    QByteArray body; //!< empty when too large; the receiver wipes it
    QByteArray retryAfter; //!< the raw Retry-After header
    QList<QPair<QByteArray, QByteArray>> rawHeaders; //!< all of them, e.g. for Set-Cookie
};

/*!
    \internal
    A request to a credential endpoint (token, revocation, cookie transport,
    provider metadata) that asks for JSON and never follows a redirect (the
    credentials would follow), never reads or writes a cache and carries no
    cookie from a jar in either direction (RFC 6749 §5.1 no-store).
*/
QNetworkRequest credentialRequest(const QUrl &url);

/*!
    \internal
    Collects the answer to \a reply with the transport rules every credential
    request shares: a body of at most SessionConfig::maxResponseBytes, a hard
    deadline of SessionConfig::requestTimeout (then the reply is aborted), and a
    redirect counts as an error. \a finished runs once, when the reply has
    finished, unless \a context is destroyed first (the body is wiped then).
    The reply deletes itself afterwards.
*/
void collectReply(QNetworkReply *reply, const SessionConfig &config, QObject *context,
                  std::function<void(CollectedReply &answer)> finished);

/*!
    \internal
    Talks to the authorization server's token and revocation endpoints: builds
    the form body (RFC 6749 Appendix B encoding), enforces the transport rules
    (no plain http except loopback, no redirects, no cookies, no cache, a hard
    deadline, a body-size cap) and hands the parsed answer back exactly once.
*/
class TokenEndpointClient
{
public:
    //! A form field; values that are secrets are given as SecretBytes.
    struct Field
    {
        QByteArray name;
        QByteArray value; // for non-secret values
        const SecretBytes *secret = nullptr; // for secret values (not owned)
    };
    using TokenCallback = std::function<void(ErrorInfo error, TokenResponse response)>;
    using DoneCallback = std::function<void(ErrorInfo error)>;

    TokenEndpointClient(QNetworkAccessManager *nam, const SessionConfig *config);

    /*!
        POSTs \a fields to \a endpoint and parses the RFC 6749 §5 answer.
        \a done runs exactly once, later, unless \a context is destroyed first.
        Returns the reply so the caller can abort it (abort still runs \a done with
        Cancelled).
    */
    QNetworkReply *requestToken(const QUrl &endpoint, const QList<Field> &fields, QObject *context,
                                TokenCallback done);

    //! RFC 7009 revocation. Any 200 is success (unknown tokens included, §2.2).
    QNetworkReply *revoke(const QUrl &endpoint, const SecretBytes &token,
                          QByteArrayView tokenTypeHint, QObject *context, DoneCallback done);

    /*!
        The client secret in use: SessionConfig::clientSecret, else the one
        the account's record brought (setStoredClientSecret()); null for a
        public client. Valid until either changes.
    */
    const SecretBytes *clientSecret() const;
    //! The secret a restored record holds (wiped on replacement); empty: none.
    void setStoredClientSecret(SecretBytes secret) { m_storedSecret = std::move(secret); }

    /*!
        Adds client authentication to a request for an endpoint advertising
        \a advertised methods (clientauth_p.h): an Authorization header on
        \a request (and no client_id field left in \a fields), or a
        client_secret field in \a fields (pointing at the secret, which
        outlives the request's construction). Nothing for a public client.
    */
    void authenticate(const QStringList &advertised, QNetworkRequest *request,
                      QList<Field> *fields) const;

    /*!
        A sign-in starts (RFC 9449): the key it will be bound to is chosen
        when its first request goes out (after discovery, which says whether
        the provider supports DPoP), by prepareDpop(). Forgets the key in use.
    */
    void beginSignInDpop();
    /*!
        Decides a pending sign-in's key from SessionConfig::dpop and the
        provider's dpop_signing_alg_values_supported: a fresh P-256 key, or
        none. InvalidConfiguration when DPoP is required and the provider's
        metadata does not list ES256. Nothing to do outside a sign-in.
    */
    ErrorInfo prepareDpop();
    //! The key proofs are signed with (the account record's); null: bearer.
    void setDpopKey(std::shared_ptr<Internal::DpopKey> key);
    const std::shared_ptr<Internal::DpopKey> &dpopKey() const { return m_dpopKey; }
    //! Nonces and clock offsets per origin (RFC 9449 §8, §11.1).
    Internal::DpopServerState &dpopServers() { return m_dpopServers; }
    /*!
        A proof for \a method \a url with the key in use (empty: no key); at a
        resource server \a ath is the token's dpopAccessTokenHash().
    */
    QByteArray dpopProof(QByteArrayView method, const QUrl &url, const QByteArray &ath = {});
    //! How a DPoP server state names \a url's origin: scheme://host:port.
    static QString dpopOrigin(const QUrl &url);

private:
    struct Retry;
    QNetworkReply *post(const QUrl &endpoint, QList<Field> fields, const QStringList &advertised);
    QNetworkReply *sendTokenRequest(const QUrl &endpoint, std::shared_ptr<Retry> retry,
                                    QObject *context, TokenCallback done);
    void noteDpopAnswer(const QUrl &endpoint, const CollectedReply &answer);
    QNetworkReply *revokeAttempt(const QUrl &endpoint, const SecretBytes &token,
                                 const QByteArray &tokenTypeHint, QObject *context,
                                 DoneCallback done, std::shared_ptr<SecretBytes> retryToken);

    QNetworkAccessManager *m_nam;
    const SessionConfig *m_config;
    SecretBytes m_storedSecret;
    std::shared_ptr<Internal::DpopKey> m_dpopKey;
    bool m_dpopPending = false;
    Internal::DpopServerState m_dpopServers;
    //! dpopProof()'s last URL, its origin and htu.
    struct
    {
        QUrl url;
        QString origin;
        QByteArray htu;
    } m_lastProofUrl;
};

//! Maps a QNetworkReply transport error (no HTTP status) to the SDK's error.
ErrorInfo errorFromNetworkReply(QNetworkReply *reply);

} // namespace SecureTokens
