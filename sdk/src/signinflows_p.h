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

    //! Ends the running interactive flow, if any, with Cancelled. True if one ran.
    bool cancel();
    //! Called by \a flow when it is over (success or not); deletes it later.
    void flowEnded(QObject *flow);

    SessionPrivate *const d;
    QPointer<BrowserFlow> browser;
    QPointer<DeviceFlow> device;
    //! Verified ID token claims of the current sign-in (never the token).
    QVariantMap claims;

private:
    QPointer<JwksCache> m_jwks;
};

} // namespace SecureTokens
