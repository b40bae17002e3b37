// SPDX-License-Identifier: MIT
#include "interactiveflow_p.h"

#include "discovery_p.h"
#include "idtoken_p.h"
#include "jwkscache_p.h"
#include "signinflows_p.h"

#include "core/invokelater.h"
#include "session/signinhost_p.h"

#include <QDateTime>

#include <functional>
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

void InteractiveFlow::succeed(TokenResponse response, bool openIdRequested, const QByteArray &nonce)
{
    auto pending = std::make_shared<TokenResponse>(std::move(response));
    auto finish = [this, pending](const ErrorInfo &error, const QVariantMap &claims) {
        if (stale())
            return;
        pending->idToken.clear(); // verified and done with: the ID token is not kept
        if (error.isError())
            fail(error);
        else
            end({}, std::move(*pending), claims);
    };
    if (pending->idToken.isEmpty()) {
        const ErrorInfo error = openIdRequested
                ? ErrorInfo::make(Error::MalformedResponse,
                                  QStringLiteral("OpenID Connect was requested but the provider "
                                                 "sent no ID token."))
                : ErrorInfo();
        invokeLater(this, [finish, error] { finish(error, {}); });
        return;
    }
    IdTokenExpectations expected;
    const SessionConfig &config = m_host->config();
    EndpointDiscovery *discovery = m_flows->discovery();
    expected.issuer = discovery && discovery->succeeded() ? discovery->metadata().issuer
                                                          : issuerString(config.issuer);
    expected.clientId = config.clientId;
    expected.nonce = nonce;
    expected.skew = qint64(config.idTokenClockSkew.count());
    const QUrl jwksUri = config.jwksUri;
    JwksCache *jwks = m_flows->jwks();
    auto attempt = std::make_shared<std::function<void(bool)>>();
    *attempt = [=](bool refetch) {
        jwks->keys(jwksUri, refetch, this, [=](const ErrorInfo &error, const QList<Jwk> &keys) {
            if (error.isError()) {
                finish(error, {});
                *attempt = nullptr; // break the cycle
                return;
            }
            IdTokenExpectations now = expected;
            now.now = QDateTime::currentSecsSinceEpoch();
            const IdTokenResult result = validateIdToken(pending->idToken.view(), keys, now);
            // A key id we do not know: the provider may have rotated its
            // keys; fetch the set again, once.
            if (result.unknownKey && !refetch) {
                (*attempt)(true);
                return;
            }
            QVariantMap claims;
            if (!result.error.isError()) {
                // Plain identity data only: the spent one-time nonce and the
                // token hashes are not for display.
                claims = result.claims.toVariantMap();
                for (const char *hidden : {"nonce", "at_hash", "c_hash"})
                    claims.remove(QLatin1String(hidden));
            }
            finish(result.error, claims);
            *attempt = nullptr;
        });
    };
    (*attempt)(false);
}

} // namespace SecureTokens
