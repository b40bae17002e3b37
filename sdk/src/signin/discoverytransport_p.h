// SPDX-License-Identifier: MIT
#pragma once

#include "discovery_p.h"
#include "session/refreshtransport_p.h"

#include <QPointer>

#include <memory>

namespace SecureTokens {

/*!
    \internal
    Runs the Session's discovery before the first refresh or revocation that
    needs an endpoint the application did not configure, then hands over to
    the OAuth transport. Once discovery has succeeded it is a plain pass-through.
*/
class DiscoveringRefreshTransport final : public RefreshTransport
{
public:
    DiscoveringRefreshTransport(std::unique_ptr<RefreshTransport> inner,
                                EndpointDiscovery *discovery, const SessionConfig *config);

    ErrorInfo check() const override;
    QNetworkReply *refresh(const SecretBytes &credential, QObject *context,
                           TokenCallback done) override;
    QNetworkReply *refreshForResource(const SecretBytes &credential,
                                      const ApiResourceMap::Slot &target, QObject *context,
                                      TokenCallback done) override;
    bool canRevoke() const override;
    QNetworkReply *revoke(const SecretBytes &credential, QObject *context,
                          DoneCallback done) override;

private:
    bool mustDiscoverFor(const QUrl &endpoint) const;

    std::unique_ptr<RefreshTransport> m_inner;
    QPointer<EndpointDiscovery> m_discovery;
    const SessionConfig *m_config;
};

} // namespace SecureTokens
