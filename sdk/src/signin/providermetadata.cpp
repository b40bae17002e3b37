// SPDX-License-Identifier: MIT
#include "providermetadata_p.h"

#include "session/endpointcheck_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <array>
#include <utility>

namespace SecureTokens {

namespace {

ErrorInfo malformed(const QString &why)
{
    return ErrorInfo::make(Error::MalformedResponse,
                           QStringLiteral("Provider metadata rejected: ") + why);
}

// An endpoint member: absent is fine (empty URL), present must be a string
// naming an absolute https URL (http only on loopback, RFC 8252 §8.3).
ErrorInfo endpointMember(const QJsonObject &doc, QLatin1String name, QUrl *out)
{
    const QJsonValue value = doc.value(name);
    if (value.isUndefined() || value.isNull())
        return {};
    if (!value.isString())
        return malformed(QStringLiteral("%1 is not a string.").arg(name));
    const QUrl url(value.toString(), QUrl::StrictMode);
    if (!url.isValid() || url.isRelative() || url.host().isEmpty() || url.hasFragment())
        return malformed(QStringLiteral("%1 is not an absolute URL.").arg(name));
    ErrorInfo check = checkEndpoint(url, QString(name));
    if (check.isError())
        return check;
    *out = url;
    return {};
}

QStringList stringList(const QJsonValue &value)
{
    QStringList out;
    for (const auto &v : value.toArray()) {
        if (v.isString() && out.size() < 64)
            out.append(v.toString());
    }
    return out;
}

} // namespace

QString issuerString(const QUrl &issuer)
{
    return issuer.toString(QUrl::FullyEncoded);
}

ErrorInfo parseProviderMetadata(QByteArrayView body, const QString &expectedIssuer,
                                ProviderMetadata *out)
{
    if (body.size() > maxMetadataBytes)
        return ErrorInfo::make(Error::ResponseTooLarge,
                               QStringLiteral("The provider metadata is too large."));
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(body.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !json.isObject())
        return malformed(QStringLiteral("not a JSON object."));
    const QJsonObject doc = json.object();

    // OIDC Discovery §4.3 / RFC 8414 §3.3: the issuer in the document must be
    // identical to the one the metadata was requested for, or an attacker's
    // document could redirect the client's credentials elsewhere (mix-up).
    const QJsonValue issuer = doc.value(QLatin1String("issuer"));
    if (!issuer.isString() || issuer.toString() != expectedIssuer) {
        // Both names, never more than a line of the untrusted one: issuers are
        // public identifiers, and which one differs is what the user must fix.
        return ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The provider metadata names the issuer \"%1\", "
                                              "not the configured \"%2\".")
                                       .arg(issuer.toString().left(200), expectedIssuer));
    }
    ProviderMetadata metadata;
    metadata.issuer = issuer.toString();
    const std::array<std::pair<QLatin1String, QUrl *>, 8> endpoints = {{
            {QLatin1String("authorization_endpoint"), &metadata.authorizationEndpoint},
            {QLatin1String("token_endpoint"), &metadata.tokenEndpoint},
            {QLatin1String("revocation_endpoint"), &metadata.revocationEndpoint},
            {QLatin1String("device_authorization_endpoint"), &metadata.deviceAuthorizationEndpoint},
            {QLatin1String("jwks_uri"), &metadata.jwksUri},
            {QLatin1String("userinfo_endpoint"), &metadata.userinfoEndpoint},
            {QLatin1String("end_session_endpoint"), &metadata.endSessionEndpoint},
            {QLatin1String("pushed_authorization_request_endpoint"),
             &metadata.pushedAuthorizationRequestEndpoint},
    }};
    for (const auto &[name, field] : endpoints) {
        ErrorInfo error = endpointMember(doc, name, field);
        if (error.isError())
            return error;
    }
    if (metadata.tokenEndpoint.isEmpty())
        return malformed(QStringLiteral("token_endpoint is missing."));
    metadata.codeChallengeMethods
            = stringList(doc.value(QLatin1String("code_challenge_methods_supported")));
    metadata.idTokenSigningAlgs
            = stringList(doc.value(QLatin1String("id_token_signing_alg_values_supported")));
    metadata.tokenEndpointAuthMethods
            = stringList(doc.value(QLatin1String("token_endpoint_auth_methods_supported")));
    metadata.revocationEndpointAuthMethods
            = stringList(doc.value(QLatin1String("revocation_endpoint_auth_methods_supported")));
    metadata.dpopSigningAlgValues
            = stringList(doc.value(QLatin1String("dpop_signing_alg_values_supported")));
    metadata.requirePushedAuthorizationRequests
            = doc.value(QLatin1String("require_pushed_authorization_requests")).toBool();
    metadata.issParameterSupported
            = doc.value(QLatin1String("authorization_response_iss_parameter_supported")).toBool();
    *out = std::move(metadata);
    return {};
}

QList<QUrl> metadataUrlsFor(const QUrl &issuer)
{
    QList<QUrl> urls;
    if (!issuer.isValid() || issuer.host().isEmpty())
        return urls;
    QString path = issuer.path(QUrl::FullyEncoded);
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    QUrl oidc = issuer;
    oidc.setQuery(QString());
    oidc.setFragment(QString());
    oidc.setPath(path + QStringLiteral("/.well-known/openid-configuration"), QUrl::StrictMode);
    urls.append(oidc);
    QUrl oauth = oidc;
    oauth.setPath(QStringLiteral("/.well-known/oauth-authorization-server") + path,
                  QUrl::StrictMode);
    urls.append(oauth);
    return urls;
}

} // namespace SecureTokens
