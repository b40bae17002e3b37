// SPDX-License-Identifier: MIT
#pragma once

#include "tokenresponse_p.h"

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/sessionconfig.h>

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;
class QObject;

namespace SecureTokens {

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

    //! The transport check every request goes through (configuration + http rules).
    static ErrorInfo checkEndpoint(const QUrl &endpoint, QStringView what);

private:
    QNetworkReply *post(const QUrl &endpoint, const QList<Field> &fields);
    //! Collects the body with a size cap and a deadline; calls \a finished once.
    void collect(QNetworkReply *reply, QObject *context,
                 std::function<void(ErrorInfo transportError, int status, QByteArray contentType,
                                    QByteArray body, QByteArray retryAfter)>
                         finished);

    QNetworkAccessManager *m_nam;
    const SessionConfig *m_config;
};

//! Maps a QNetworkReply transport error (no HTTP status) to the SDK's error.
ErrorInfo errorFromNetworkReply(QNetworkReply *reply);

} // namespace SecureTokens
