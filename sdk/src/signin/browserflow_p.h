// SPDX-License-Identifier: MIT
#pragma once

#include "loopbackredirectlistener_p.h"
#include "session/tokenresponse_p.h"

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <functional>

class QNetworkReply;

namespace SecureTokens {

class SessionPrivate;
class SignInFlows;

/*!
    \internal
    Test hook: called with the PKCE code_verifier right before the code
    exchange, so a test can tamper with it and see the server refuse. Not for
    applications; pass an empty function to remove it.
*/
SECURETOKENS_EXPORT void setCodeVerifierTestHook(std::function<void(QByteArray &verifier)> hook);

//! Whether \a scopes asks for OpenID Connect (contains "openid").
bool requestsOpenId(const QStringList &scopes);

/*!
    \internal
    One browser sign-in (RFC 6749 §4.1 + RFC 7636 PKCE + RFC 8252 loopback
    redirect + RFC 9207 iss check + OIDC ID token). Started by
    Session::signInWithBrowser(); ends through SessionPrivate::finishSignIn().
*/
class BrowserFlow : public QObject
{
    Q_OBJECT
public:
    BrowserFlow(SessionPrivate *d, SignInFlows *flows, quint64 epoch);
    ~BrowserFlow() override;

    void start();
    void cancel();

private:
    Q_DISABLE_COPY_MOVE(BrowserFlow)

    void listenAndOpen();
    LoopbackRedirectListener::Verdict onCallback(const RedirectRequest &request);
    void exchange(SecretBytes code);
    void fail(const ErrorInfo &error);
    bool stale() const;

    SessionPrivate *const d;
    SignInFlows *const m_flows;
    const quint64 m_epoch;
    LoopbackRedirectListener m_listener;
    QTimer m_timeout;
    SecretBytes m_verifier;
    SecretBytes m_state;
    SecretBytes m_nonce;
    QString m_expectedIss;
    bool m_issRequired = false;
    bool m_finished = false;
};

/*!
    \internal
    Verifies the ID token in \a response (when there is one, or when
    \a openIdRequested demands one) against the provider's JWKS, refetching the
    set once for an unknown key id, and stores the claims in \a flows. \a done
    runs once, later, unless \a context dies.
*/
void verifyIdTokenThen(SessionPrivate *d, SignInFlows *flows, const TokenResponse &response,
                       bool openIdRequested, const QByteArray &nonce, QObject *context,
                       const std::function<void(const ErrorInfo &error)> &done);

} // namespace SecureTokens
