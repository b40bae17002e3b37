// SPDX-License-Identifier: MIT
// Qt Quick Test entry point: an in-process mock server, a session kept in
// memory (no keyring needed), and the demo's own QML module. The test cases
// are in tst_demo.qml.
#include "democonfig.h"
#include "mockauthserver.h"
#include "tst_signin_helpers.h" // SignInTest::FakeBrowser: fills in the server's sign-in form

#include <securetokens/qml/sessioncontroller.h>
#include <securetokens/qml/sessionnetworkaccessmanagerfactory.h>

#include <securetokens/session.h>

#include <QJsonObject>
#include <QQmlContext>
#include <QQmlEngine>
#include <QVariantMap>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQuickTest/quicktest.h>

#include <memory>

Q_IMPORT_QML_PLUGIN(SecureTokensDemoPlugin)

using namespace SecureTokens;

//! The mock server as the QML tests see it: counters and fault reset, no tokens.
class ServerProbe : public QObject
{
    Q_OBJECT
public:
    explicit ServerProbe(Mock::MockAuthServer *server) : m_server(server) { }
    Q_INVOKABLE QVariantMap stats() const { return m_server->stats().toVariantMap(); }
    Q_INVOKABLE void clearFaults() { m_server->clearFaults(); }

private:
    Mock::MockAuthServer *m_server;
};

class DemoTestSetup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void applicationAvailable()
    {
        SecureTokensDemo::useDemoStyle();
        Mock::ServerConfig config;
        config.admin = true;
        // Long enough that no proactive refresh interferes with "exactly one more
        // refresh"; the countdown test only needs the seconds to tick.
        config.accessTtl = 300;
        config.signing = Mock::ServerConfig::Signing::HS256; // no RSA key generation
        // ID tokens (the demo asks for OpenID Connect) with a P-256 key: cheap too.
        config.idTokenAlg = Mock::ServerConfig::IdTokenAlg::ES256;
        m_server = std::make_unique<Mock::MockAuthServer>(config);
        if (!m_server->listen())
            qFatal("mock server: %s", qPrintable(m_server->errorString()));
        m_probe = std::make_unique<ServerProbe>(m_server.get());
        SessionConfig session = SecureTokensDemo::makeSessionConfig(m_server->baseUrl(),
                                                                    /*sessionOnly=*/true);
        // The app opens the real browser; here a scripted one signs in as alice.
        session.openBrowser = m_browser.opener();
        m_session = std::make_unique<Session>(session);
        m_controller = std::make_unique<Qml::SessionController>(m_session.get());
        m_factory = std::make_unique<Qml::SessionNetworkAccessManagerFactory>(m_session.get());
    }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        SecureTokensDemo::addDemoImportPath(engine);
        engine->setNetworkAccessManagerFactory(m_factory.get());
        QQmlContext *context = engine->rootContext();
        context->setContextProperty(QStringLiteral("serverUrl"), m_server->baseUrl());
        context->setContextProperty(QStringLiteral("sessionController"), m_controller.get());
        context->setContextProperty(QStringLiteral("mockServer"), m_probe.get());
    }

    void cleanupTestCase()
    {
        // Before QGuiApplication goes: the session owns timers and network objects.
        m_controller.reset();
        m_session.reset();
        m_probe.reset();
        m_server.reset();
    }

private:
    std::unique_ptr<Mock::MockAuthServer> m_server;
    SignInTest::FakeBrowser m_browser;
    std::unique_ptr<ServerProbe> m_probe;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<Qml::SessionController> m_controller;
    std::unique_ptr<Qml::SessionNetworkAccessManagerFactory> m_factory;
};

QUICK_TEST_MAIN_WITH_SETUP(demo, DemoTestSetup)

#include "tst_demo_qml.moc"
