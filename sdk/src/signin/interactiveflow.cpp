// SPDX-License-Identifier: MIT
#include "interactiveflow_p.h"

#include "discovery_p.h"
#include "idtokenverification_p.h"
#include "signinflows_p.h"

#include "core/invokelater.h"
#include "session/signinhost_p.h"

#include <memory>

namespace SecureTokens {

bool requestsOpenId(const QStringList &scopes)
{
    return scopes.contains(QLatin1String("openid"));
}

InteractiveFlow::InteractiveFlow(SignInHost *host, SignInFlows *flows)
    : m_host(host), m_flows(flows), m_epoch(host->epoch())
{
    // signOut() or the Session's destruction abandon the sign-in (the epoch
    // moves on): stop at once rather than at the flow's own timeout.
    connect(host->session(), &Session::stateChanged, this, [this] {
        if (!m_finished && m_epoch != m_host->epoch())
            fail({});
    });
}

InteractiveFlow::~InteractiveFlow() = default;

bool InteractiveFlow::stale() const
{
    return m_finished || m_epoch != m_host->epoch();
}

void InteractiveFlow::start()
{
    EndpointDiscovery *discovery = m_flows->discovery();
    if (discovery && discovery->pending()) {
        // Endpoints, the issuer and its RFC 9207 support come from the metadata.
        discovery->ensure(this, [this](const ErrorInfo &error) {
            if (stale())
                return;
            if (error.isError()) {
                fail(error);
                return;
            }
            begin();
        });
        return;
    }
    invokeLater(this, [this] {
        if (!stale())
            begin();
    });
}

void InteractiveFlow::cancel()
{
    fail(ErrorInfo::make(Error::Cancelled, QStringLiteral("The sign-in was cancelled.")));
}

void InteractiveFlow::fail(const ErrorInfo &error)
{
    // An abandoned flow (epoch moved on) just goes away; the session ignores it.
    end(error, {}, {});
}

void InteractiveFlow::end(const ErrorInfo &error, TokenResponse response, const QVariantMap &claims)
{
    if (m_finished)
        return;
    m_finished = true;
    release();
    SignInHost *host = m_host;
    const quint64 epoch = m_epoch;
    m_flows->flowEnded(this); // deletes this flow later: nothing of it is used below
    host->finishSignIn(epoch, error, std::move(response), claims);
}

void InteractiveFlow::succeed(TokenResponse response, bool openIdRequested, const QByteArray &nonce,
                              const QString &issuerHint,
                              const AuthenticationRequirements &requirements)
{
    auto pending = std::make_shared<TokenResponse>(std::move(response));
    verifyIdToken(
            m_host, m_flows, *pending, openIdRequested, nonce, this,
            [this, pending](const ErrorInfo &error, const QVariantMap &claims) {
                if (stale())
                    return;
                if (error.isError())
                    fail(error);
                else
                    end({}, std::move(*pending), claims);
            },
            issuerHint, requirements);
}

} // namespace SecureTokens
