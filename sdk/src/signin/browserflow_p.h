// SPDX-License-Identifier: MIT
#pragma once

#include "interactiveflow_p.h"
#include "loopbackredirectlistener_p.h"
#include "redirectforwarder_p.h"

#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QStringList>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

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
    What one browser sign-in asks for instead of SessionConfig's values
    (Session::stepUp(), Session::requestScopes()); unset: the configuration's.
*/
struct BrowserSignInRequest
{
    std::optional<QStringList> scopes;
    std::optional<QStringList> acrValues;
    std::optional<std::chrono::seconds> maxAge; //!< 0 also asks for prompt=login
    //! The ID token's acr must be one of acrValues (what a resource server demanded).
    bool acrRequired = false;
};

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
    BrowserFlow(SignInHost *host, SignInFlows *flows, BrowserSignInRequest request = {});
    ~BrowserFlow() override;

    /*!
        A private-use scheme redirect (SessionConfig::redirectUri) delivered
        by the app (Session::handleRedirect()) or a second instance
        (RedirectForwardServer): checked as the loopback listener's request
        is (onCallback()). Not accepted: not this sign-in's (other scheme or
        path, wrong state), and the flow keeps waiting.
    */
    LoopbackRedirectListener::Verdict deliverRedirect(const QUrl &url);

protected:
    void begin() override;
    void release() override;

private:
    Q_DISABLE_COPY_MOVE(BrowserFlow)

    LoopbackRedirectListener::Verdict onCallback(const RedirectRequest &request);
    void exchange(SecretBytes code);
    //! The loopback listener, or the scheme redirect (and its forwarding socket); sets m_redirectUri.
    ErrorInfo listenForRedirect(const SessionConfig &config);
    //! Opens the authorization endpoint with \a params in the query (wiped after).
    void openBrowser(QList<QPair<QByteArray, QByteArray>> &params);
    //! RFC 9126: pushes \a params, then opens the browser with the request_uri.
    void push(QList<QPair<QByteArray, QByteArray>> params);
    struct PushedRequest;
    /*!
        Sends \a request to the PAR endpoint, with a DPoP proof when the sign-in
        has a key (RFC 9449 §10.1); a use_dpop_nonce refusal is sent once more
        with the server's new nonce.
    */
    void sendPush(const std::shared_ptr<PushedRequest> &request);

    LoopbackRedirectListener m_listener;
    RedirectForwardServer m_forwarder; //!< Linux, Windows: second instances hand the URL here
    QUrl m_redirectUri; //!< the loopback listener's, or SessionConfig::redirectUri
    bool m_schemeRedirect = false; //!< waiting for deliverRedirect(), not the listener
    bool m_redirectTaken = false; //!< deliverRedirect() accepted one: no other
    QTimer m_timeout;
    SecretBytes m_verifier;
    SecretBytes m_state;
    SecretBytes m_nonce;
    QString m_expectedIss;
    QString m_responseIss; //!< RFC 9207 iss when no issuer is known (endpoints by hand)
    bool m_issRequired = false;
    const BrowserSignInRequest m_request;
    bool m_openId = false; //!< the request asked for "openid": an ID token must come back
    AuthenticationRequirements m_requirements; //!< checked in the ID token
};

} // namespace SecureTokens
