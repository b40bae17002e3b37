// SPDX-License-Identifier: MIT
// The Session's identity face that needs the sign-in layer: fetchUserInfo()
// finds the UserInfo endpoint through discovery when it was not configured.
#include "discovery_p.h"
#include "signinflows_p.h"

#include "session/session_p.h"

namespace SecureTokens {

void Session::fetchUserInfo()
{
    Q_D(Session);
    EndpointDiscovery *discovery = SignInFlows::of(d)->discovery();
    if (d->m_config.userinfoEndpoint.isEmpty() && discovery && discovery->pending()) {
        // Endpoints set by hand with an issuer: its metadata names userinfo.
        const quint64 epoch = d->m_epoch;
        discovery->ensure(this, [d, epoch](const ErrorInfo &error) {
            if (epoch != d->m_epoch)
                return;
            if (error.isError() && !d->m_userInfoInFlight) {
                d->m_userInfoInFlight = true;
                d->m_userInfoReportsError = true;
                d->finishUserInfo(epoch, error, {});
                return;
            }
            d->startUserInfo(true);
        });
        return;
    }
    d->startUserInfo(true);
}

} // namespace SecureTokens
