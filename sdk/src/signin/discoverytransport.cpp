// SPDX-License-Identifier: MIT
#include "discoverytransport_p.h"

#include <memory>

namespace SecureTokens {

DiscoveringRefreshTransport::DiscoveringRefreshTransport(std::unique_ptr<RefreshTransport> inner,
                                                         EndpointDiscovery *discovery,
                                                         const SessionConfig *config)
    : m_inner(std::move(inner)), m_discovery(discovery), m_config(config)
{ }

bool DiscoveringRefreshTransport::mustDiscoverFor(const QUrl &endpoint) const
{
    return endpoint.isEmpty() && m_discovery && m_discovery->pending();
}

ErrorInfo DiscoveringRefreshTransport::check() const
{
    if (mustDiscoverFor(m_config->tokenEndpoint)) {
        if (m_config->clientId.isEmpty())
            return ErrorInfo::make(Error::InvalidConfiguration,
                                   QStringLiteral("The client id is not configured."));
        return {}; // the endpoint is checked once discovered
    }
    return m_inner->check();
}

QNetworkReply *DiscoveringRefreshTransport::refresh(const SecretBytes &credential, QObject *context,
                                                    TokenCallback done)
{
    if (!mustDiscoverFor(m_config->tokenEndpoint))
        return m_inner->refresh(credential, context, std::move(done));
    auto copy = std::make_shared<SecretBytes>(credential.clone());
    m_discovery->ensure(context, [this, copy, context, done](const ErrorInfo &error) {
        const ErrorInfo failure = error.isError() ? error : m_inner->check();
        if (failure.isError()) {
            copy->clear();
            done(failure, {});
            return;
        }
        m_inner->refresh(*copy, context, [copy, done](ErrorInfo e, TokenResponse response) {
            copy->clear();
            done(std::move(e), std::move(response));
        });
    });
    return nullptr;
}

QNetworkReply *DiscoveringRefreshTransport::refreshForResource(const SecretBytes &credential,
                                                               const ApiResourceMap::Slot &target,
                                                               QObject *context, TokenCallback done)
{
    if (!mustDiscoverFor(m_config->tokenEndpoint))
        return m_inner->refreshForResource(credential, target, context, std::move(done));
    auto copy = std::make_shared<SecretBytes>(credential.clone());
    m_discovery->ensure(context, [this, copy, target, context, done](const ErrorInfo &error) {
        const ErrorInfo failure = error.isError() ? error : m_inner->check();
        if (failure.isError()) {
            copy->clear();
            done(failure, {});
            return;
        }
        m_inner->refreshForResource(*copy, target, context,
                                    [copy, done](ErrorInfo e, TokenResponse response) {
                                        copy->clear();
                                        done(std::move(e), std::move(response));
                                    });
    });
    return nullptr;
}

bool DiscoveringRefreshTransport::canRevoke() const
{
    return m_inner->canRevoke() || mustDiscoverFor(m_config->revocationEndpoint);
}

QNetworkReply *DiscoveringRefreshTransport::revoke(const SecretBytes &credential, QObject *context,
                                                   DoneCallback done)
{
    if (!mustDiscoverFor(m_config->revocationEndpoint))
        return m_inner->revoke(credential, context, std::move(done));
    auto copy = std::make_shared<SecretBytes>(credential.clone());
    m_discovery->ensure(context, [this, copy, context, done](const ErrorInfo &error) {
        // No metadata, or no revocation endpoint in it: sign-out stays local
        // (RFC 7009 is best effort; the local wipe never depends on it).
        if (error.isError() || !m_inner->canRevoke()) {
            copy->clear();
            done(error);
            return;
        }
        m_inner->revoke(*copy, context, [copy, done](ErrorInfo e) {
            copy->clear();
            done(std::move(e));
        });
    });
    return nullptr;
}

} // namespace SecureTokens
