// SPDX-License-Identifier: MIT
#include "authorizationparameters_p.h"

#include "session/clientauth_p.h"

#include <QUrl>

namespace SecureTokens {

namespace {

// Set by the SDK for every request, or (client_secret) never in a URL.
const QList<QByteArray> ownedNames {
        "state",        "nonce",     "code_challenge", "code_challenge_method",
        "redirect_uri", "client_id", "response_type",  "scope",
        "request_uri",  "request",   "client_secret",  "dpop_jkt"};
// Each has its own SessionConfig field: one value, one place.
const QList<QByteArray> typedNames {"prompt",     "login_hint", "acr_values", "max_age",
                                    "ui_locales", "audience",   "resource"};

ErrorInfo refuse(const QString &message)
{
    return ErrorInfo::make(Error::InvalidConfiguration, message);
}

} // namespace

QByteArray formEncode(const QList<QPair<QByteArray, QByteArray>> &fields)
{
    qsizetype size = 0;
    for (const auto &[name, value] : fields)
        size += 3 * (name.size() + value.size()) + 2;
    QByteArray body;
    body.reserve(size);
    for (const auto &[name, value] : fields) {
        if (!body.isEmpty())
            body += '&';
        appendFormEncoded(body, name);
        body += '=';
        appendFormEncoded(body, value);
    }
    return body;
}

const QList<QByteArray> &reservedAuthorizationParameters()
{
    static const QList<QByteArray> all = ownedNames + typedNames;
    return all;
}

ErrorInfo authorizationParameters(const SessionConfig &config, const AuthorizationSecrets &secrets,
                                  QList<QPair<QByteArray, QByteArray>> *out)
{
    QList<QPair<QByteArray, QByteArray>> params;
    const auto add = [&params](const char *name, const QByteArray &value) {
        params.append({QByteArray(name), value});
    };
    for (auto it = config.extraAuthorizationParameters.cbegin();
         it != config.extraAuthorizationParameters.cend(); ++it) {
        const QByteArray name = it.key().toUtf8();
        if (name.isEmpty())
            return refuse(QStringLiteral("An extra authorization parameter has no name."));
        if (ownedNames.contains(name)) {
            return refuse(QStringLiteral("The authorization parameter \"%1\" is set by the SDK "
                                         "and cannot be given as an extra parameter.")
                                  .arg(it.key()));
        }
        if (typedNames.contains(name)) {
            return refuse(QStringLiteral("The authorization parameter \"%1\" has its own "
                                         "SessionConfig field: set that instead.")
                                  .arg(it.key()));
        }
    }
    for (const QString &resource : config.resources) {
        // RFC 8707 §2: an absolute URI, no fragment.
        const QUrl url(resource, QUrl::StrictMode);
        if (!url.isValid() || url.isRelative() || url.hasFragment()) {
            return refuse(QStringLiteral("The resource \"%1\" is not an absolute URI without a "
                                         "fragment (RFC 8707 §2).")
                                  .arg(resource.left(200)));
        }
    }
    if (config.maxAge && config.maxAge->count() < 0)
        return refuse(QStringLiteral("max_age cannot be negative."));

    // RFC 6749 §4.1.1 + RFC 7636 §4.3 + OIDC Core §3.1.2.1.
    add("response_type", "code");
    add("client_id", config.clientId.toUtf8());
    add("redirect_uri", secrets.redirectUri);
    if (!config.scopes.isEmpty())
        add("scope", config.scopes.join(QLatin1Char(' ')).toUtf8());
    add("state", secrets.state);
    add("code_challenge", secrets.codeChallenge);
    add("code_challenge_method", "S256");
    if (!secrets.nonce.isEmpty())
        add("nonce", secrets.nonce);
    // OIDC Core §11: offline access is granted only with prompt=consent,
    // unless the provider has other conditions in place; without it a
    // provider may issue no refresh token at all. The application's prompt wins.
    if (!config.prompt.isEmpty())
        add("prompt", config.prompt.toUtf8());
    else if (config.scopes.contains(QLatin1String("offline_access")))
        add("prompt", "consent");
    if (!config.loginHint.isEmpty())
        add("login_hint", config.loginHint.toUtf8());
    if (!config.acrValues.isEmpty())
        add("acr_values", config.acrValues.join(QLatin1Char(' ')).toUtf8());
    if (config.maxAge)
        add("max_age", QByteArray::number(qint64(config.maxAge->count())));
    if (!config.uiLocales.isEmpty())
        add("ui_locales", config.uiLocales.join(QLatin1Char(' ')).toUtf8());
    if (!config.audience.isEmpty())
        add("audience", config.audience.toUtf8());
    for (const QString &resource : config.resources) // RFC 8707 §2.1: repeated
        add("resource", resource.toUtf8());
    for (auto it = config.extraAuthorizationParameters.cbegin();
         it != config.extraAuthorizationParameters.cend(); ++it)
        params.append({it.key().toUtf8(), it.value().toUtf8()});
    *out = std::move(params);
    return {};
}

} // namespace SecureTokens
