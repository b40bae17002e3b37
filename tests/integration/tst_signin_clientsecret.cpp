// SPDX-License-Identifier: MIT
// Client authentication with a (non-confidential) client secret against the
// in-process mock server (RFC 6749 §2.3.1): client_secret_basic or
// client_secret_post on token, refresh, revocation and device requests; the
// secret kept in the secure record so a later Session needs it no more, and
// never in a log line.

#include "mockserverfixture.h"
#include "tst_signin_helpers.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {

const QByteArray kSecret = QByteArrayLiteral("s3cret+/:%not-so-secret");

// Every message any category writes while a test runs (all at debug).
QMutex logMutex;
QByteArray logged;
QtMessageHandler previousHandler = nullptr;

void capture(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    {
        QMutexLocker lock(&logMutex);
        logged += message.toUtf8() + '\n';
    }
    if (previousHandler)
        previousHandler(type, context, message);
}

ServerConfig confidential(ServerConfig::RevocationAuth revocation
                          = ServerConfig::RevocationAuth::Optional)
{
    ServerConfig config;
    config.clientSecrets.insert(QStringLiteral("app"), QString::fromUtf8(kSecret));
    config.revocationAuth = revocation;
    return config;
}

SessionConfig appConfig(const QUrl &issuer, std::shared_ptr<SecretStore> store)
{
    SessionConfig config = discoveryConfig(issuer, std::move(store));
    config.clientId = QStringLiteral("app");
    config.clientSecret = std::make_shared<const SecretBytes>(QByteArrayView(kSecret));
    return config;
}

ErrorInfo lastError(const QSignalSpy &spy)
{
    return spy.isEmpty() ? ErrorInfo() : spy.last().at(0).value<ErrorInfo>();
}

int stat(const Mock::MockAuthServer &server, const char *name)
{
    return server.stats().value(QLatin1String(name)).toInt();
}

} // namespace

class tst_SignInClientSecret : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // All of the client side at debug; not the in-process mock server's
        // QHttpServer, which prints every request it receives, headers and all.
        QLoggingCategory::setFilterRules(
                QStringLiteral("*.debug=true\nqt.httpserver*.debug=false"));
        previousHandler = qInstallMessageHandler(capture);
    }
    void cleanupTestCase() { qInstallMessageHandler(previousHandler); }
    void init()
    {
        QMutexLocker lock(&logMutex);
        logged.clear();
    }
    void cleanup()
    {
        // The secret (and its Basic encoding) never reaches a log line.
        QMutexLocker lock(&logMutex);
        QVERIFY(!logged.contains(kSecret));
        QVERIFY(!logged.contains(
                QByteArray("app:" + QUrl::toPercentEncoding(QString::fromUtf8(kSecret)))
                        .toBase64()));
    }

    void passwordRefreshRevoke_data();
    void passwordRefreshRevoke();
    void deviceFlowAuthenticates();
    void withoutSecretRefused();
    void revocationNeedsAuthenticationSaidBefore();
};

void tst_SignInClientSecret::passwordRefreshRevoke_data()
{
    QTest::addColumn<QStringList>("methods");
    // The mock's metadata lists none, client_secret_basic, client_secret_post:
    // basic is chosen from it; post only when the application says so.
    QTest::addRow("client_secret_basic from discovery") << QStringList();
    QTest::addRow("client_secret_post configured")
            << QStringList {QStringLiteral("client_secret_post")};
}

void tst_SignInClientSecret::passwordRefreshRevoke()
{
    QFETCH(QStringList, methods);
    auto server = startMockServer(confidential());
    auto store = std::make_shared<ScriptedSecretStore>();
    {
        SessionConfig config = appConfig(server->baseUrl(), store);
        config.tokenEndpointAuthMethods = methods;
        Session session(config);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
        QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), kWait);
        QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
        QCOMPARE(stat(*server, "password_grants"), 1);
        QCOMPARE(stat(*server, "client_auth_failures"), 0);
    }

    // A later Session (a new process) is configured without the secret: the
    // record it restores brings it, so the refresh authenticates too.
    SessionConfig later = discoveryConfig(server->baseUrl(), store);
    later.clientId = QStringLiteral("app");
    later.tokenEndpointAuthMethods = methods;
    later.revocationEndpointAuthMethods = methods;
    Session session(later);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.restore();
    QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "refresh_grants"), 1);

    // RFC 7009 §2.1: the revocation authenticates the same way.
    QSignalSpy signedOut(&session, &Session::signedOut);
    session.signOut();
    QVERIFY(signedOut.wait(kWait));
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "revocations"), 1);
    QCOMPARE(stat(*server, "client_auth_failures"), 0);
}

void tst_SignInClientSecret::deviceFlowAuthenticates()
{
    // The mock refuses an unauthenticated device authorization request of a
    // confidential client (401 invalid_client): getting a code proves it.
    auto server = startMockServer(confidential());
    Session session(appConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy ready(&session, &Session::deviceCodeReady);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithDeviceCode();
    QTRY_VERIFY_WITH_TIMEOUT(!ready.isEmpty() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "device_authorizations"), 1);
    QCOMPARE(stat(*server, "client_auth_failures"), 0);
    // The polls authenticate too (no failure counted while pending).
    QTRY_VERIFY_WITH_TIMEOUT(stat(*server, "device_polls") >= 1, kWait);
    QCOMPARE(stat(*server, "client_auth_failures"), 0);
    session.cancelSignIn();
}

void tst_SignInClientSecret::withoutSecretRefused()
{
    auto server = startMockServer(confidential());
    SessionConfig config = appConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.clientSecret.reset();
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InvalidClient);
    QCOMPARE(stat(*server, "password_grants"), 0);
}

void tst_SignInClientSecret::revocationNeedsAuthenticationSaidBefore()
{
    // A public client at a server whose metadata drops "none" from
    // revocation_endpoint_auth_methods_supported: sign-out is local, the
    // refresh token is not sent to be refused, and the error says why.
    auto server = startMockServer(confidential(ServerConfig::RevocationAuth::Required));
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QVERIFY(!session.config().revocationEndpointAuthMethods.contains(QStringLiteral("none")));

    QSignalSpy signedOut(&session, &Session::signedOut);
    session.signOut();
    QVERIFY(signedOut.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InvalidClient);
    QVERIFY2(lastError(errors).message.contains(
                     QStringLiteral("revocation_endpoint_auth_methods_supported")),
             qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "revocation_requests"), 0);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

QTEST_GUILESS_MAIN(tst_SignInClientSecret)
#include "tst_signin_clientsecret.moc"
