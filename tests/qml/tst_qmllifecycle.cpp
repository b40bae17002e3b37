// SPDX-License-Identifier: MIT
// The QML module's SessionController forwards the application's state to its
// Session (the core has no QtGui): a suspended app's timers hold, and coming
// back renews the dead token once. Against the in-process mock server, in a
// real QGuiApplication (offscreen). Only the state change itself is
// simulated: QGuiApplication::applicationStateChanged is emitted as the
// platform plugin would on a phone.
#include "mockserverfixture.h"

#include <securetokens/memorysecretstore.h>
#include <securetokens/qml/sessioncontroller.h>
#include <securetokens/session.h>

#include <QGuiApplication>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace SecureTokens;

class tst_QmlLifecycle : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void controllerForwardsTheApplicationState()
    {
        Mock::ServerConfig serverConfig;
        serverConfig.accessTtl = 2; // proactive refresh due after 1 s
        auto server = MockTest::startMockServer(serverConfig);
        SessionConfig config;
        config.issuer = server->baseUrl();
        config.tokenEndpoint = QUrl(server->baseUrl().toString() + QStringLiteral("/oauth/token"));
        config.clientId = QStringLiteral("demo");
        config.secretStore = std::make_shared<MemorySecretStore>();
        Session session(config);
        Qml::SessionController controller(&session);
        session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, 10000);
        const qint64 grants = server->stats().value(QLatin1String("refresh_grants")).toInteger();

        Q_EMIT qGuiApp->applicationStateChanged(Qt::ApplicationSuspended);
        QSignalSpy renewed(&session, &Session::accessTokenChanged);
        QVERIFY(!renewed.wait(3000)); // past the token's end: held
        QCOMPARE(server->stats().value(QLatin1String("refresh_grants")).toInteger(), grants);

        Q_EMIT qGuiApp->applicationStateChanged(Qt::ApplicationActive);
        QCOMPARE(session.state(), Session::State::Refreshing);
        QVERIFY(renewed.wait(10000));
        QCOMPARE(server->stats().value(QLatin1String("refresh_grants")).toInteger(), grants + 1);
    }
};

QTEST_MAIN(tst_QmlLifecycle)
#include "tst_qmllifecycle.moc"
