// SPDX-License-Identifier: MIT
#pragma once

#include "browserflow_p.h"

#include "session/signinhost_p.h"

#include <QPointer>
#include <QString>

namespace SecureTokens {

class EndpointDiscovery;
class InteractiveFlow;
class JwksCache;

/*!
    \internal
    The sign-in layer's per-session state and its operations: password grant,
    browser + PKCE with a loopback redirect, device authorization grant,
    cookie login, discovery on demand. Kept by the session as its
    SignInHost::Extension, created on first use (of()).

    At most one interactive flow runs at a time: SignInHost::beginSignIn()
    refuses a second sign-in while the state is SigningIn.
*/
class SignInFlows final : public SignInHost::Extension
{
public:
    explicit SignInFlows(SignInHost *host);
    ~SignInFlows() override;

    //! The sign-in state of \a host, created on first use.
    static SignInFlows *of(SignInHost *host);

    void startPasswordGrant(const QString &username, const QString &password);
    /*!
        A browser sign-in with \a request; with \a reauthenticate on top of
        the session held (SignInHost::beginReauthentication(): stepUp(),
        requestScopes()).
    */
    void startBrowser(const BrowserSignInRequest &request = {}, bool reauthenticate = false);
    void startDevice();
    void startCookieLogin(const QString &username, const QString &password);
    //! Ends the running interactive flow with Cancelled; nothing on the wire may complete it.
    void cancel();
    //! Session::discoverEndpoints().
    void discoverEndpoints();
    //! Session::handleRedirect(): the running browser flow's deliverRedirect().
    bool handleRedirect(const QUrl &url);

    //! The Session's discovery (shared with the refresh transport).
    EndpointDiscovery *discovery() const;
    JwksCache *jwks();
    //! Called by \a flow when it is over (success or not); deletes it later.
    void flowEnded(InteractiveFlow *flow);

private:
    Q_DISABLE_COPY_MOVE(SignInFlows)

    void run(InteractiveFlow *flow);

    SignInHost *const m_host;
    QPointer<InteractiveFlow> m_running;
    QPointer<JwksCache> m_jwks;
};

} // namespace SecureTokens
