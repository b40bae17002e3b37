// SPDX-License-Identifier: MIT
// SessionController made in QML: its configuration properties, and the
// session (and the engine's authenticated XMLHttpRequest) made from them.
#include <securetokens/qml/sessioncontroller.h>
#include <securetokens/qml/sessionnetworkaccessmanagerfactory.h>

#include <QDesktopServices>
#include <QQmlEngine>
#include <QQmlInfo>

namespace SecureTokens::Qml {

namespace {

SecureTokens::StoragePolicy toCore(SessionController::StoragePolicy policy)
{
    switch (policy) {
    case SessionController::StoragePolicy::Required:
        return SecureTokens::StoragePolicy::Required;
    case SessionController::StoragePolicy::SessionOnly:
        return SecureTokens::StoragePolicy::SessionOnly;
    case SessionController::StoragePolicy::EncryptedFile:
        return SecureTokens::StoragePolicy::EncryptedFile;
    }
    return SecureTokens::StoragePolicy::Required;
}

SessionController::StoragePolicy toQml(SecureTokens::StoragePolicy policy)
{
    switch (policy) {
    case SecureTokens::StoragePolicy::Required:
        return SessionController::StoragePolicy::Required;
    case SecureTokens::StoragePolicy::SessionOnly:
        return SessionController::StoragePolicy::SessionOnly;
    case SecureTokens::StoragePolicy::EncryptedFile:
        return SessionController::StoragePolicy::EncryptedFile;
    }
    return SessionController::StoragePolicy::Required;
}

} // namespace

SessionController::SessionController(QObject *parent) : QObject(parent), m_madeInQml(true)
{
    m_config.storagePolicy = SecureTokens::StoragePolicy::Required;
}

SessionController::~SessionController()
{
    endRedirectHandling(); // QDesktopServices keeps the receiver's address
    // The engine keeps the factory's address: take it back before it is freed.
    if (m_engine && m_networkFactory
        && m_engine->networkAccessManagerFactory() == m_networkFactory.get())
        m_engine->setNetworkAccessManagerFactory(nullptr);
    // The owned session goes with the members below; sync() must not run then.
    if (m_ownedSession)
        disconnect(m_ownedSession.get(), nullptr, this, nullptr);
}

void SessionController::classBegin()
{
    m_engine = qmlEngine(this);
}

void SessionController::componentComplete()
{
    if (!m_engine)
        m_engine = qmlEngine(this);
    ensureSession();
}

Session *SessionController::ensureSession()
{
    if (m_session || !m_madeInQml || m_ownedSession)
        return m_session;
    if (refuseInvalidConfiguration()) // sessioncontroller_apiresources.cpp
        return nullptr;
    SessionConfig config = m_config;
    // A QML app has QtGui, so the system browser can open the authorization URL.
    config.openBrowser = [](const QUrl &url) {
        return QDesktopServices::openUrl(url);
    };
    m_ownedSession = std::make_unique<Session>(config);
    follow(m_ownedSession.get());
    // XMLHttpRequest to the allow-listed origins carries the token, unless the
    // app chose a factory of its own. The engine creates its manager on first
    // use, after the components completed.
    if (m_engine && !m_engine->networkAccessManagerFactory()) {
        m_networkFactory
                = std::make_unique<SessionNetworkAccessManagerFactory>(m_ownedSession.get());
        m_engine->setNetworkAccessManagerFactory(m_networkFactory.get());
    }
    Q_EMIT configurationChanged();
    return m_session;
}

const SessionConfig &SessionController::currentConfig() const
{
    return m_session ? m_session->config() : m_config;
}

template<typename T> void SessionController::setConfigValue(T SessionConfig::*field, const T &value)
{
    if (!m_madeInQml || m_ownedSession) {
        qmlWarning(this) << "SessionController: the configuration is fixed once the session "
                            "exists (set it where the controller is declared)";
        return;
    }
    if (m_config.*field == value)
        return;
    m_config.*field = value;
    Q_EMIT configurationChanged();
}

QUrl SessionController::issuer() const
{
    return currentConfig().issuer;
}

void SessionController::setIssuer(const QUrl &issuer)
{
    setConfigValue(&SessionConfig::issuer, issuer);
}

QUrl SessionController::tokenEndpoint() const
{
    return currentConfig().tokenEndpoint;
}

void SessionController::setTokenEndpoint(const QUrl &url)
{
    setConfigValue(&SessionConfig::tokenEndpoint, url);
}

QUrl SessionController::revocationEndpoint() const
{
    return currentConfig().revocationEndpoint;
}

void SessionController::setRevocationEndpoint(const QUrl &url)
{
    setConfigValue(&SessionConfig::revocationEndpoint, url);
}

QUrl SessionController::authorizationEndpoint() const
{
    return currentConfig().authorizationEndpoint;
}

void SessionController::setAuthorizationEndpoint(const QUrl &url)
{
    setConfigValue(&SessionConfig::authorizationEndpoint, url);
}

QUrl SessionController::deviceAuthorizationEndpoint() const
{
    return currentConfig().deviceAuthorizationEndpoint;
}

void SessionController::setDeviceAuthorizationEndpoint(const QUrl &url)
{
    setConfigValue(&SessionConfig::deviceAuthorizationEndpoint, url);
}

QString SessionController::clientId() const
{
    return currentConfig().clientId;
}

void SessionController::setClientId(const QString &clientId)
{
    setConfigValue(&SessionConfig::clientId, clientId);
}

QStringList SessionController::scopes() const
{
    return currentConfig().scopes;
}

void SessionController::setScopes(const QStringList &scopes)
{
    setConfigValue(&SessionConfig::scopes, scopes);
}

QList<QUrl> SessionController::apiOrigins() const
{
    return currentConfig().apiOrigins;
}

void SessionController::setApiOrigins(const QList<QUrl> &origins)
{
    setConfigValue(&SessionConfig::apiOrigins, origins);
}

QUrl SessionController::redirectUri() const
{
    return currentConfig().redirectUri;
}

void SessionController::setRedirectUri(const QUrl &uri)
{
    setConfigValue(&SessionConfig::redirectUri, uri);
}

QString SessionController::storageService() const
{
    return currentConfig().storageService;
}

void SessionController::setStorageService(const QString &service)
{
    setConfigValue(&SessionConfig::storageService, service);
}

QString SessionController::account() const
{
    return currentConfig().account;
}

void SessionController::setAccount(const QString &account)
{
    setConfigValue(&SessionConfig::account, account);
}

SessionController::StoragePolicy SessionController::storagePolicy() const
{
    return toQml(currentConfig().storagePolicy);
}

void SessionController::setStoragePolicy(StoragePolicy policy)
{
    if (policy == StoragePolicy::EncryptedFile) {
        // Its passphrase is a secret: it never passes through a QML property.
        qmlWarning(this) << "SessionController: EncryptedFile needs a passphrase, which only a "
                            "C++ SessionConfig can carry";
        return;
    }
    setConfigValue(&SessionConfig::storagePolicy, toCore(policy));
}

} // namespace SecureTokens::Qml
