// SPDX-License-Identifier: MIT
#pragma once

#include "interactiveflow_p.h"
#include "loopbackredirectlistener_p.h"

#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QTimer>

#include <functional>

namespace SecureTokens {

/*!
    \internal
    Test hook: called with the PKCE code_verifier right before the code
    exchange, so a test can tamper with it and see the server refuse. Not for
    applications; pass an empty function to remove it.
*/
SECURETOKENS_EXPORT void setCodeVerifierTestHook(std::function<void(QByteArray &verifier)> hook);

/*!
    \internal
    One browser sign-in (RFC 6749 §4.1 + RFC 7636 PKCE + RFC 8252 loopback
    redirect + RFC 9126 pushed request when offered + RFC 9207 iss check +
    OIDC ID token). Started by
    Session::signInWithBrowser().
*/
class BrowserFlow final : public InteractiveFlow
{
    Q_OBJECT
public:
    BrowserFlow(SignInHost *host, SignInFlows *flows);
    ~BrowserFlow() override;

protected:
    void begin() override;
    void release() override;

private:
    Q_DISABLE_COPY_MOVE(BrowserFlow)

    LoopbackRedirectListener::Verdict onCallback(const RedirectRequest &request);
    void exchange(SecretBytes code);
    //! Opens the authorization endpoint with \a params in the query (wiped after).
    void openBrowser(QList<QPair<QByteArray, QByteArray>> &params);
    //! RFC 9126: pushes \a params, then opens the browser with the request_uri.
    void push(QList<QPair<QByteArray, QByteArray>> params);

    LoopbackRedirectListener m_listener;
    QTimer m_timeout;
    SecretBytes m_verifier;
    SecretBytes m_state;
    SecretBytes m_nonce;
    QString m_expectedIss;
    QString m_responseIss; //!< RFC 9207 iss when no issuer is known (endpoints by hand)
    bool m_issRequired = false;
};

} // namespace SecureTokens
