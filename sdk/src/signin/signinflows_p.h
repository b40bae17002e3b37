// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QPointer>
#include <QVariantMap>

#include <memory>

namespace SecureTokens {

class BrowserFlow;
class DeviceFlow;
class EndpointDiscovery;
class JwksCache;
class SessionPrivate;

/*!
    \internal
    Per-session state of the interactive sign-in flows (browser + PKCE with a
    loopback redirect, device authorization grant, cookie login). Owned by
    SessionPrivate::m_flows; created on first use (SessionPrivate::flows()).

    At most one interactive flow runs at a time: beginSignIn() refuses a
    second sign-in while the state is SigningIn.
*/
class SignInFlows
{
public:
    explicit SignInFlows(SessionPrivate *d);
    virtual ~SignInFlows();

    //! The Session's discovery (shared with the refresh transport).
    EndpointDiscovery *discovery() const;
    JwksCache *jwks();

    //! \a flow is the running interactive flow (deleted with this object if still there).
    void setBrowserFlow(BrowserFlow *flow);
    void setDeviceFlow(DeviceFlow *flow);
    /*!
        Ends the running interactive flow, if any, with Cancelled. True if one
        ran. The flow reports back through flowEnded().
    */
    bool cancel() const;
    //! Called by \a flow when it is over (success or not); deletes it later.
    void flowEnded(QObject *flow);

    //! Verified ID token claims of the current sign-in (never the token).
    const QVariantMap &claims() const { return m_claims; }
    void setClaims(const QVariantMap &claims) { m_claims = claims; }
    void clearClaims() { m_claims.clear(); }

private:
    Q_DISABLE_COPY_MOVE(SignInFlows)

    SessionPrivate *const m_d;
    QPointer<BrowserFlow> m_browser;
    QPointer<DeviceFlow> m_device;
    QVariantMap m_claims;
    QPointer<JwksCache> m_jwks;
};

} // namespace SecureTokens
