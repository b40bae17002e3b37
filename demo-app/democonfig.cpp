// SPDX-License-Identifier: MIT
#include "democonfig.h"

#include <QDesktopServices>
#include <QQmlEngine>
#include <QQuickStyle>

namespace SecureTokensDemo {

namespace {
QUrl endpoint(const QUrl &server, const QString &path)
{
    QUrl url = server;
    url.setPath(path);
    url.setQuery(QString());
    url.setFragment(QString());
    return url;
}
} // namespace

SecureTokens::SessionConfig makeSessionConfig(const QUrl &server, bool sessionOnly)
{
    SecureTokens::SessionConfig config;
    config.issuer = endpoint(server, QString());
    config.tokenEndpoint = endpoint(server, QStringLiteral("/oauth/token"));
    config.revocationEndpoint = endpoint(server, QStringLiteral("/oauth/revoke"));
    config.authorizationEndpoint = endpoint(server, QStringLiteral("/oauth/authorize"));
    config.clientId = QStringLiteral("demo");
    // OpenID Connect: the user's verified identity comes with the ID token.
    config.scopes = {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("email"),
                     QStringLiteral("items")};
    config.apiOrigins = {config.issuer};
    config.storageService = QStringLiteral("org.securetokens.demo");
    config.account = QStringLiteral("demo");
    config.storagePolicy = sessionOnly ? SecureTokens::StoragePolicy::SessionOnly
                                       : SecureTokens::StoragePolicy::Required;
    // The core library has no QtGui: the app opens the browser (RFC 8252 §4.1, external agent).
    config.openBrowser = [](const QUrl &url) {
        return QDesktopServices::openUrl(url);
    };
    return config;
}

void useDemoStyle()
{
    // Material follows the system's light or dark palette (Material.System) and the
    // in-app theme switch; it is part of qml6-module-qtquick-controls.
    QQuickStyle::setStyle(QStringLiteral("Material"));
}

void addDemoImportPath(QQmlEngine *engine)
{
    engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
}

QUrl mainQmlUrl()
{
    return QUrl(QStringLiteral("qrc:/qt/qml/SecureTokensDemo/qml/Main.qml"));
}

} // namespace SecureTokensDemo
