// SPDX-License-Identifier: MIT
#include "discovery_p.h"
#include "session/endpointcheck_p.h"

#include "session/publicdocument_p.h"
#include "core/invokelater.h"
#include "core/logging.h"
#include "session/tokenclient_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>

#include <array>
#include <utility>

namespace SecureTokens {

EndpointDiscovery::EndpointDiscovery(QNetworkAccessManager *nam, SessionConfig *config)
    : QObject(nam), m_nam(nam), m_config(config)
{ }

bool EndpointDiscovery::pending() const
{
    return !m_succeeded && m_config->issuer.isValid() && !m_config->issuer.isEmpty();
}

void EndpointDiscovery::ensure(QObject *context, Done done)
{
    if (!pending()) {
        invokeLater(context, [done = std::move(done)] { done({}); });
        return;
    }
    m_waiters.push_back({context, std::move(done)});
    if (m_inFlight)
        return;
    m_inFlight = true;
    m_urls = metadataUrlsFor(m_config->issuer);
    qCDebug(lcSession) << "fetching provider metadata";
    fetch(0);
}

void EndpointDiscovery::fetch(int urlIndex)
{
    if (urlIndex >= m_urls.size()) {
        finish(ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The issuer publishes no discovery metadata.")));
        return;
    }
    fetchPublicDocument(
            m_nam, m_urls.at(urlIndex), maxMetadataBytes, m_config->requestTimeout, this,
            [this, urlIndex](const ErrorInfo &error, const QByteArray &body) {
                if (error.isError()) {
                    // Only "not here" moves on to the RFC 8414 location.
                    if (error.httpStatus == 404 || error.httpStatus == 410) {
                        fetch(urlIndex + 1);
                        return;
                    }
                    finish(error);
                    return;
                }
                ProviderMetadata metadata;
                const ErrorInfo parsed
                        = parseProviderMetadata(body, issuerString(m_config->issuer), &metadata);
                if (parsed.isError()) {
                    finish(parsed);
                    return;
                }
                m_metadata = metadata;
                // Configured endpoints win; discovery only fills the gaps.
                auto fill = [](QUrl &field, const QUrl &discovered) {
                    if (field.isEmpty())
                        field = discovered;
                };
                fill(m_config->tokenEndpoint, metadata.tokenEndpoint);
                fill(m_config->authorizationEndpoint, metadata.authorizationEndpoint);
                fill(m_config->revocationEndpoint, metadata.revocationEndpoint);
                fill(m_config->deviceAuthorizationEndpoint, metadata.deviceAuthorizationEndpoint);
                fill(m_config->jwksUri, metadata.jwksUri);
                fill(m_config->userinfoEndpoint, metadata.userinfoEndpoint);
                fill(m_config->endSessionEndpoint, metadata.endSessionEndpoint);
                fill(m_config->pushedAuthorizationRequestEndpoint,
                     metadata.pushedAuthorizationRequestEndpoint);
                if (m_config->tokenEndpointAuthMethods.isEmpty())
                    m_config->tokenEndpointAuthMethods = metadata.tokenEndpointAuthMethods;
                if (m_config->revocationEndpointAuthMethods.isEmpty())
                    m_config->revocationEndpointAuthMethods
                            = metadata.revocationEndpointAuthMethods;
                if (m_config->dpopSigningAlgValues.isEmpty())
                    m_config->dpopSigningAlgValues = metadata.dpopSigningAlgValues;
                m_succeeded = true;
                finish({});
            });
}

void EndpointDiscovery::finish(const ErrorInfo &error)
{
    m_inFlight = false;
    if (error.isError())
        qCInfo(lcSession) << "discovery failed:" << error.code;
    std::vector<Waiter> waiters;
    waiters.swap(m_waiters);
    for (Waiter &waiter : waiters) {
        if (waiter.context)
            waiter.done(error);
    }
}

EndpointDiscovery *findDiscovery(QNetworkAccessManager *nam)
{
    return nam ? nam->findChild<EndpointDiscovery *>(QString(), Qt::FindDirectChildrenOnly)
               : nullptr;
}

EndpointDiscovery *createDiscovery(QNetworkAccessManager *nam, SessionConfig *config)
{
    return new EndpointDiscovery(nam, config);
}

} // namespace SecureTokens
