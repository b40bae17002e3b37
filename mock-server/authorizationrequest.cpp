// SPDX-License-Identifier: MIT
// What the authorization endpoint and the PAR endpoint both check: the redirect
// URI rules for native apps (RFC 8252 §7) and the parameters of an
// authorization request (RFC 6749 §4.1.1, RFC 7636, RFC 8707, OpenID Connect
// Core §3.1.2.1).
#include "mockauthserver_p.h"

#include <QRegularExpression>

namespace SecureTokens::Mock {

namespace {

//! RFC 8252 §7.3: http on a loopback IP literal, any port; no fragment (RFC 6749 §3.1.2).
bool isLoopbackRedirect(const QString &uri)
{
    const QUrl url(uri, QUrl::StrictMode);
    if (!url.isValid() || url.scheme() != QLatin1String("http") || url.hasFragment()
        || !url.userInfo().isEmpty() || url.port() <= 0)
        return false;
    const QHostAddress host(url.host());
    return host == QHostAddress(QHostAddress::LocalHost)
            || host == QHostAddress(QHostAddress::LocalHostIPv6);
}

/*!
    RFC 8252 §7.1: SCHEME:/path with a reverse-domain scheme. "As there is no
    naming authority for private-use URI scheme redirects, only a single slash
    ("/") appears after the scheme component", so SCHEME://host is refused.
*/
bool isPrivateUseForm(const QString &uri, QString *scheme)
{
    const QUrl url(uri, QUrl::StrictMode);
    if (!url.isValid() || url.hasFragment() || url.isRelative())
        return false;
    *scheme = url.scheme(); // QUrl lower-cases it
    const QString rest = uri.mid(scheme->size() + 1);
    return scheme->contains(QLatin1Char('.')) && rest.startsWith(QLatin1Char('/'))
            && !rest.startsWith(QLatin1String("//")) && *scheme != QLatin1String("http")
            && *scheme != QLatin1String("https");
}

//! RFC 8707 §2: an absolute URI without a fragment.
bool isValidResource(const QString &resource)
{
    const QUrl url(resource, QUrl::StrictMode);
    return url.isValid() && !url.isRelative() && !url.hasFragment() && !url.scheme().isEmpty();
}

} // namespace

bool MockAuthServerPrivate::isAllowedRedirect(const QString &clientId, const QString &uri) const
{
    if (isLoopbackRedirect(uri))
        return true;
    // RFC 8252 §7.2: claimed https redirects, matched exactly (RFC 6749 §3.1.2.3).
    if (config.redirectUris.contains(uri))
        return true;
    QString scheme;
    if (!isPrivateUseForm(uri, &scheme))
        return false;
    if (config.redirectSchemes.contains(scheme, Qt::CaseInsensitive))
        return true;
    // The demo client stands for apps under example.com (RFC 2606).
    return clientId == QLatin1String("demo") && scheme.startsWith(QLatin1String("com.example."))
            && scheme.size() > int(qstrlen("com.example."));
}

bool MockAuthServerPrivate::resolveAudience(const QStringList &granted, const QUrlQuery &form,
                                            QStringList *audience, Response *refusal) const
{
    QStringList requested;
    for (const QString &resource : formValues(form, QStringLiteral("resource"))) {
        if (!isValidResource(resource)) {
            *refusal = Response::error(400, QStringLiteral("invalid_target"),
                                       QStringLiteral("resource must be an absolute URI without "
                                                      "a fragment (RFC 8707 §2)"));
            return false;
        }
        requested.append(resource);
    }
    // Auth0's audience names an API the same way, without the URI syntax rule.
    const QString auth0Audience = formValue(form, QStringLiteral("audience"));
    if (!auth0Audience.isEmpty())
        requested.append(auth0Audience);
    requested.removeDuplicates();
    for (const QString &resource : requested) {
        if (!granted.isEmpty() && !granted.contains(resource)) {
            *refusal = Response::error(400, QStringLiteral("invalid_target"),
                                       QStringLiteral("the resource was not part of the grant "
                                                      "(RFC 8707 §2.2)"));
            return false;
        }
    }
    *audience = requested.isEmpty() ? granted : requested;
    return true;
}

AuthorizationCheck
MockAuthServerPrivate::checkAuthorizationRequest(const QHash<QString, QString> &params,
                                                 const QStringList &resources) const
{
    AuthorizationCheck check;
    const auto refuse
            = [&check](const QString &error, const QString &description, bool redirectable = true) {
                  check.error = error;
                  check.description = description;
                  check.redirectable = redirectable;
                  return check;
              };
    // Errors about the client or the redirect URI are never redirected: the
    // redirect target is not trusted yet (RFC 6749 §4.1.2.1).
    const QString clientId = params.value(QStringLiteral("client_id"));
    if (!isClient(clientId))
        return refuse(QStringLiteral("invalid_client"),
                      QStringLiteral("Unknown or missing client_id."), false);
    if (!isAllowedRedirect(clientId, params.value(QStringLiteral("redirect_uri"))))
        return refuse(QStringLiteral("invalid_request"),
                      QStringLiteral("redirect_uri must be http://127.0.0.1:PORT/... or "
                                     "http://[::1]:PORT/... (RFC 8252 §7.3), a registered "
                                     "private-use scheme as SCHEME:/path (§7.1), or a "
                                     "registered https URI (§7.2)."),
                      false);
    if (params.value(QStringLiteral("response_type")) != QLatin1String("code"))
        return refuse(QStringLiteral("unsupported_response_type"),
                      QStringLiteral("only response_type=code is supported"));
    const QString challenge = params.value(QStringLiteral("code_challenge"));
    if (challenge.isEmpty()) // RFC 7636 §4.4.1
        return refuse(QStringLiteral("invalid_request"), QStringLiteral("code challenge required"));
    // A missing method means "plain" (RFC 7636 §4.3), which is refused.
    if (params.value(QStringLiteral("code_challenge_method")) != QLatin1String("S256"))
        return refuse(QStringLiteral("invalid_request"),
                      QStringLiteral("transform algorithm not supported"));
    static const QRegularExpression challengeSyntax(QStringLiteral("^[A-Za-z0-9_-]{43}$"));
    if (!challengeSyntax.match(challenge).hasMatch())
        return refuse(QStringLiteral("invalid_request"),
                      QStringLiteral("malformed code_challenge"));
    if (!resolveScope(params.value(QStringLiteral("scope")), &check.scope))
        return refuse(QStringLiteral("invalid_scope"), QStringLiteral("unknown scope"));
    for (const QString &resource : resources) {
        if (!isValidResource(resource))
            return refuse(QStringLiteral("invalid_target"),
                          QStringLiteral("resource must be an absolute URI without a fragment "
                                         "(RFC 8707 §2)"));
    }
    // OpenID Connect Core §3.1.2.1: "none" cannot be combined with another value.
    const QStringList prompt
            = params.value(QStringLiteral("prompt")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (prompt.contains(QLatin1String("none")) && prompt.size() > 1)
        return refuse(QStringLiteral("invalid_request"),
                      QStringLiteral("prompt=none cannot be combined with other values"));
    // RFC 9449 §10: a JWK SHA-256 thumbprint, base64url (43 characters).
    static const QRegularExpression thumbprint(QStringLiteral("^[A-Za-z0-9_-]{43}$"));
    if (params.contains(QStringLiteral("dpop_jkt"))
        && !thumbprint.match(params.value(QStringLiteral("dpop_jkt"))).hasMatch())
        return refuse(QStringLiteral("invalid_request"), QStringLiteral("malformed dpop_jkt"));
    if (params.contains(QStringLiteral("max_age"))) {
        bool ok = false;
        const qint64 maxAge = params.value(QStringLiteral("max_age")).toLongLong(&ok);
        if (!ok || maxAge < 0)
            return refuse(QStringLiteral("invalid_request"),
                          QStringLiteral("max_age must be a non-negative number of seconds"));
    }
    return check;
}

} // namespace SecureTokens::Mock
