// SPDX-License-Identifier: MIT
#include "clisettings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

using namespace SecureTokens;

namespace Cli {

namespace {

QStringList toStrings(const QList<QUrl> &urls)
{
    QStringList out;
    for (const QUrl &url : urls)
        out.append(url.toString());
    return out;
}

QList<QUrl> toUrls(const QStringList &strings)
{
    QList<QUrl> out;
    for (const QString &s : strings)
        out.append(QUrl(s));
    return out;
}

QString group(const QString &account)
{
    // QSettings treats '/' as a separator; keep account names flat.
    return QStringLiteral("account-")
            + QString(account).replace(QLatin1Char('/'), QLatin1Char('_'));
}

/*!
    The file names the signed-in user (an e-mail address, often): owner-only.
    Made 0600 before QSettings writes to it, because QSettings replaces the
    file atomically with a copy that keeps the old file's mode; a file an
    older release left 0644 is corrected the same way (security review,
    finding 11).
*/
void makeOwnerOnly(const QString &path)
{
    const QFileDevice::Permissions ownerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    QFile file(path);
    if (!file.exists() && !file.open(QIODevice::WriteOnly | QIODevice::NewOnly, ownerOnly))
        return; // QSettings reports nothing either; the next save tries again
    file.close();
    file.setPermissions(ownerOnly);
}

QStringList toStrings(const QList<ApiResource> &resources)
{
    QStringList out;
    for (const ApiResource &api : resources)
        out.append(api.origin.toString() + QLatin1Char('=') + api.resource);
    return out;
}

} // namespace

std::optional<ApiResource> apiResourceFromArgument(const QString &argument)
{
    // An origin holds no '=': the first one separates it from the resource.
    const qsizetype eq = argument.indexOf(QLatin1Char('='));
    const QUrl origin(eq < 0 ? argument : argument.left(eq), QUrl::StrictMode);
    const QString scheme = origin.scheme().toLower();
    const bool isOrigin = origin.isValid()
            && (scheme == QLatin1String("https") || scheme == QLatin1String("http"))
            && !origin.host().isEmpty() && (origin.path().isEmpty() || origin.path() == u"/")
            && !origin.hasQuery() && !origin.hasFragment() && origin.userInfo().isEmpty();
    if (!isOrigin)
        return std::nullopt;
    ApiResource api;
    api.origin = origin.adjusted(QUrl::RemovePath);
    // Empty: the SDK takes the origin (SessionConfig::apiResources).
    api.resource = eq < 0 ? QString() : argument.mid(eq + 1);
    return api;
}

QString storageService()
{
    const QString fromEnv = qEnvironmentVariable("SECURETOKENS_SERVICE");
    return fromEnv.isEmpty() ? QStringLiteral("org.securetokens.cli") : fromEnv;
}

QString settingsPath()
{
    const QString fromEnv = qEnvironmentVariable("SECURETOKENS_CONFIG");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
            + QStringLiteral("/securetokens/cli.ini");
}

void save(const AccountSettings &s)
{
    QDir().mkpath(QFileInfo(settingsPath()).absolutePath());
    makeOwnerOnly(settingsPath());
    QSettings settings(settingsPath(), QSettings::IniFormat);
    settings.beginGroup(group(s.account));
    settings.setValue(QStringLiteral("issuer"), s.config.issuer.toString());
    settings.setValue(QStringLiteral("token_endpoint"), s.config.tokenEndpoint.toString());
    settings.setValue(QStringLiteral("revocation_endpoint"),
                      s.config.revocationEndpoint.toString());
    settings.setValue(QStringLiteral("authorization_endpoint"),
                      s.config.authorizationEndpoint.toString());
    settings.setValue(QStringLiteral("device_authorization_endpoint"),
                      s.config.deviceAuthorizationEndpoint.toString());
    settings.setValue(QStringLiteral("jwks_uri"), s.config.jwksUri.toString());
    settings.setValue(QStringLiteral("userinfo_endpoint"), s.config.userinfoEndpoint.toString());
    settings.setValue(QStringLiteral("end_session_endpoint"),
                      s.config.endSessionEndpoint.toString());
    // The client secret itself is in the secure record, never here.
    settings.setValue(QStringLiteral("token_endpoint_auth_methods"),
                      s.config.tokenEndpointAuthMethods);
    settings.setValue(QStringLiteral("revocation_endpoint_auth_methods"),
                      s.config.revocationEndpointAuthMethods);
    settings.setValue(QStringLiteral("transport"),
                      s.config.transport == RefreshTransportKind::Cookie ? QStringLiteral("cookie")
                                                                         : QStringLiteral("oauth"));
    settings.setValue(QStringLiteral("cookie_auth_base"), s.config.cookieAuthBase.toString());
    settings.setValue(QStringLiteral("dpop"),
                      s.config.dpop == DpopMode::Off                ? QStringLiteral("off")
                              : s.config.dpop == DpopMode::Required ? QStringLiteral("required")
                                                                    : QStringLiteral("auto"));
    // Where the DPoP key is made and kept; the PIN is never stored.
    const bool pkcs11 = s.config.dpopKeyStore.kind == DpopKeyStore::Kind::Pkcs11;
    settings.setValue(QStringLiteral("dpop_key_store"),
                      pkcs11 ? QStringLiteral("pkcs11") : QStringLiteral("software"));
    settings.setValue(QStringLiteral("pkcs11_module"),
                      pkcs11 ? s.config.dpopKeyStore.pkcs11ModulePath : QString());
    settings.setValue(QStringLiteral("pkcs11_token"),
                      pkcs11 ? s.config.dpopKeyStore.pkcs11TokenLabel : QString());
    settings.setValue(QStringLiteral("dpop_key"), pkcs11 ? s.dpopKeyReference : QString());
    settings.setValue(QStringLiteral("dpop_jkt"), pkcs11 ? s.dpopJkt : QString());
    settings.setValue(QStringLiteral("client_id"), s.config.clientId);
    settings.setValue(QStringLiteral("scopes"), s.config.scopes);
    settings.setValue(QStringLiteral("api_origins"), toStrings(s.config.apiOrigins));
    // Which API gets which token: configuration, never a token.
    settings.setValue(QStringLiteral("api_resources"), toStrings(s.config.apiResources));
    settings.setValue(QStringLiteral("store"), s.store);
    settings.setValue(QStringLiteral("user"), s.user);
    settings.endGroup();
    settings.sync();
    makeOwnerOnly(settingsPath()); // also if QSettings made the file anew
}

std::optional<AccountSettings> load(const QString &account)
{
    QSettings settings(settingsPath(), QSettings::IniFormat);
    if (!settings.childGroups().contains(group(account)))
        return std::nullopt;
    settings.beginGroup(group(account));
    AccountSettings s;
    s.account = account;
    s.config.issuer = QUrl(settings.value(QStringLiteral("issuer")).toString());
    s.config.tokenEndpoint = QUrl(settings.value(QStringLiteral("token_endpoint")).toString());
    s.config.revocationEndpoint
            = QUrl(settings.value(QStringLiteral("revocation_endpoint")).toString());
    s.config.authorizationEndpoint
            = QUrl(settings.value(QStringLiteral("authorization_endpoint")).toString());
    s.config.deviceAuthorizationEndpoint
            = QUrl(settings.value(QStringLiteral("device_authorization_endpoint")).toString());
    s.config.jwksUri = QUrl(settings.value(QStringLiteral("jwks_uri")).toString());
    s.config.userinfoEndpoint
            = QUrl(settings.value(QStringLiteral("userinfo_endpoint")).toString());
    s.config.endSessionEndpoint
            = QUrl(settings.value(QStringLiteral("end_session_endpoint")).toString());
    s.config.tokenEndpointAuthMethods
            = settings.value(QStringLiteral("token_endpoint_auth_methods")).toStringList();
    s.config.revocationEndpointAuthMethods
            = settings.value(QStringLiteral("revocation_endpoint_auth_methods")).toStringList();
    if (settings.value(QStringLiteral("transport")).toString() == QLatin1String("cookie"))
        s.config.transport = RefreshTransportKind::Cookie;
    s.config.cookieAuthBase = QUrl(settings.value(QStringLiteral("cookie_auth_base")).toString());
    const QString dpop = settings.value(QStringLiteral("dpop")).toString();
    if (dpop == QLatin1String("off"))
        s.config.dpop = DpopMode::Off;
    else if (dpop == QLatin1String("required"))
        s.config.dpop = DpopMode::Required;
    if (settings.value(QStringLiteral("dpop_key_store")).toString() == QLatin1String("pkcs11")) {
        s.config.dpopKeyStore.kind = DpopKeyStore::Kind::Pkcs11;
        s.config.dpopKeyStore.pkcs11ModulePath
                = settings.value(QStringLiteral("pkcs11_module")).toString();
        s.config.dpopKeyStore.pkcs11TokenLabel
                = settings.value(QStringLiteral("pkcs11_token")).toString();
        s.dpopKeyReference = settings.value(QStringLiteral("dpop_key")).toString();
        s.dpopJkt = settings.value(QStringLiteral("dpop_jkt")).toString();
    }
    s.config.clientId = settings.value(QStringLiteral("client_id")).toString();
    s.config.scopes = settings.value(QStringLiteral("scopes")).toStringList();
    s.config.apiOrigins = toUrls(settings.value(QStringLiteral("api_origins")).toStringList());
    for (const QString &entry : settings.value(QStringLiteral("api_resources")).toStringList()) {
        if (std::optional<ApiResource> api = apiResourceFromArgument(entry))
            s.config.apiResources.append(*std::move(api));
    }
    s.store = settings.value(QStringLiteral("store"), QStringLiteral("keychain")).toString();
    s.user = settings.value(QStringLiteral("user")).toString();
    s.config.storageService = storageService();
    s.config.account = account;
    // $SECURETOKENS_TIMEOUT (seconds) bounds each request to the authorization server.
    bool ok = false;
    const int timeout = qEnvironmentVariableIntValue("SECURETOKENS_TIMEOUT", &ok);
    if (ok && timeout > 0)
        s.config.requestTimeout = std::chrono::seconds(timeout);
    s.config.storagePolicy = s.store == QLatin1String("memory") ? StoragePolicy::SessionOnly
                                                                : StoragePolicy::Required;
    return s;
}

QStringList configuredAccounts()
{
    QSettings settings(settingsPath(), QSettings::IniFormat);
    QStringList accounts;
    const QString prefix = QStringLiteral("account-");
    for (const QString &name : settings.childGroups()) {
        if (name.startsWith(prefix))
            accounts.append(name.mid(prefix.size()));
    }
    return accounts;
}

void forget(const QString &account)
{
    QSettings settings(settingsPath(), QSettings::IniFormat);
    settings.remove(group(account));
    settings.sync();
}

} // namespace Cli
