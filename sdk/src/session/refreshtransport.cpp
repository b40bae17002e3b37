// SPDX-License-Identifier: MIT
#include "refreshtransport_p.h"

#include "clientauth_p.h"
#include "endpointcheck_p.h"

#include "core/invokelater.h"

namespace SecureTokens {

RefreshTransport::~RefreshTransport() = default;

QNetworkReply *RefreshTransport::refreshForResource(const SecretBytes & /*credential*/,
                                                    const ApiResourceMap::Slot & /*target*/,
                                                    QObject *context, TokenCallback done)
{
    const ErrorInfo error = ErrorInfo::make(
            Error::InvalidConfiguration,
            QStringLiteral("SessionConfig::apiResources needs the OAuth transport (RFC 8707 "
                           "resource indicators on the refresh grant)."));
    invokeLater(context, [done = std::move(done), error] { done(error, {}); });
    return nullptr;
}

OAuthRefreshTransport::OAuthRefreshTransport(TokenEndpointClient *client,
                                             const SessionConfig *config)
    : m_client(client), m_config(config)
{ }

ErrorInfo OAuthRefreshTransport::check() const
{
    ErrorInfo error = checkEndpoint(m_config->tokenEndpoint, u"token endpoint");
    if (!error.isError() && m_config->clientId.isEmpty())
        error = ErrorInfo::make(Error::InvalidConfiguration,
                                QStringLiteral("The client id is not configured."));
    return error;
}

QNetworkReply *OAuthRefreshTransport::refresh(const SecretBytes &credential, QObject *context,
                                              TokenCallback done)
{
    // RFC 6749 §6: no scope, so the grant keeps the originally granted scope.
    const QList<TokenEndpointClient::Field> fields {
            {QByteArrayLiteral("grant_type"), QByteArrayLiteral("refresh_token"), nullptr},
            {QByteArrayLiteral("refresh_token"), {}, &credential},
            {QByteArrayLiteral("client_id"), m_config->clientId.toUtf8(), nullptr},
    };
    return m_client->requestToken(m_config->tokenEndpoint, fields, context, std::move(done));
}

QNetworkReply *OAuthRefreshTransport::refreshForResource(const SecretBytes &credential,
                                                         const ApiResourceMap::Slot &target,
                                                         QObject *context, TokenCallback done)
{
    // RFC 8707 §2.2: resource= asks for an access token for that API alone;
    // audience= is Auth0's name for the same; scope= may narrow the grant's
    // scope for this token (RFC 6749 §6).
    QList<TokenEndpointClient::Field> fields {
            {QByteArrayLiteral("grant_type"), QByteArrayLiteral("refresh_token"), nullptr},
            {QByteArrayLiteral("refresh_token"), {}, &credential},
            {QByteArrayLiteral("client_id"), m_config->clientId.toUtf8(), nullptr},
    };
    if (!target.resource.isEmpty())
        fields.append({QByteArrayLiteral("resource"), target.resource.toUtf8(), nullptr});
    if (!target.audience.isEmpty())
        fields.append({QByteArrayLiteral("audience"), target.audience.toUtf8(), nullptr});
    if (!target.scopes.isEmpty())
        fields.append({QByteArrayLiteral("scope"), target.scopes.join(QLatin1Char(' ')).toUtf8(),
                       nullptr});
    return m_client->requestToken(m_config->tokenEndpoint, fields, context, std::move(done));
}

bool OAuthRefreshTransport::canRevoke() const
{
    return m_config->revocationEndpoint.isValid() && !m_config->revocationEndpoint.isEmpty();
}

QNetworkReply *OAuthRefreshTransport::revoke(const SecretBytes &credential, QObject *context,
                                             DoneCallback done)
{
    const ErrorInfo check = checkEndpoint(m_config->revocationEndpoint, u"revocation endpoint");
    if (check.isError()) {
        done(check);
        return nullptr;
    }
    // The provider said in advance (RFC 8414 §2) that it takes no
    // revocation from a public client: the token is not sent to be refused.
    const QStringList &methods = m_config->revocationEndpointAuthMethods;
    if (!m_client->clientSecret() && !acceptsPublicClients(methods)) {
        ErrorInfo error = ErrorInfo::make(
                Error::InvalidClient,
                QStringLiteral("The revocation endpoint requires client authentication "
                               "(revocation_endpoint_auth_methods_supported: %1), and this "
                               "client has no secret: the refresh token was not sent, and it "
                               "stays valid at the server until it expires.")
                        .arg(methods.join(QLatin1String(", ")).left(200)));
        invokeLater(context, [done = std::move(done), error] { done(error); });
        return nullptr;
    }
    // RFC 7009 §2.1: token_type_hint helps the server find the token.
    return m_client->revoke(m_config->revocationEndpoint, credential, "refresh_token", context,
                            std::move(done));
}

} // namespace SecureTokens
