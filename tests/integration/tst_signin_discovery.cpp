// SPDX-License-Identifier: MIT
// Discovery: a Session configured with just an issuer and a client id, against
// the mock server and against scripted servers that publish bad metadata.

#include "mockserverfixture.h"
#include "tst_signin_helpers.h"

#include "scriptedhttpserver.h"

#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using Mock::MockAuthServer;
using Mock::ServerConfig;
using MockTest::startMockServer;

class tst_SignInDiscovery : public QObject
{
    Q_OBJECT

private:
    static ErrorInfo lastError(const QSignalSpy &spy)
    {
        return spy.isEmpty() ? ErrorInfo() : spy.last().at(0).value<ErrorInfo>();
    }
    static QByteArray document(const QUrl &issuer, const QByteArray &tokenEndpoint)
    {
        return "{\"issuer\":\"" + issuer.toString().toUtf8() + "\",\"token_endpoint\":\""
                + tokenEndpoint + "\",\"authorization_endpoint\":\"" + issuer.toString().toUtf8()
                + "/authorize\"}";
    }

private Q_SLOTS:
    void passwordRefreshRevoke();
    void refreshInNewSessionDiscoversFirst();
    void configuredEndpointsWin();
    void differentIssuerRefused();
    void insecureEndpointRefused();
    void rfc8414Fallback();
};

void tst_SignInDiscovery::passwordRefreshRevoke()
{
    auto server = startMockServer();
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    // Discovery starts by itself and fills the endpoints in.
    QTRY_VERIFY_WITH_TIMEOUT(!session.config().tokenEndpoint.isEmpty(), kWait);
    const QString base = server->baseUrl().toString();
    QCOMPARE(session.config().tokenEndpoint.toString(), base + QStringLiteral("/oauth/token"));
    QCOMPARE(session.config().authorizationEndpoint.toString(),
             base + QStringLiteral("/oauth/authorize"));
    QCOMPARE(session.config().revocationEndpoint.toString(),
             base + QStringLiteral("/oauth/revoke"));
    QCOMPARE(session.config().deviceAuthorizationEndpoint.toString(),
             base + QStringLiteral("/oauth/device_authorization"));
    QCOMPARE(session.config().jwksUri.toString(), base + QStringLiteral("/.well-known/jwks.json"));

    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    session.refresh();
    QTRY_COMPARE_WITH_TIMEOUT(session.refreshCount(), 1, kWait);
    QSignalSpy signedOut(&session, &Session::signedOut);
    session.signOut();
    QVERIFY(signedOut.wait(kWait));
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(server->stats().value(QStringLiteral("password_grants")).toInt(), 1);
    QCOMPARE(server->stats().value(QStringLiteral("refresh_grants")).toInt(), 1);
    QCOMPARE(server->stats().value(QStringLiteral("revocations")).toInt(), 1);
}

void tst_SignInDiscovery::refreshInNewSessionDiscoversFirst()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    {
        // The same issuer (the stored session is bound to it), with the token
        // endpoint set by hand so this first sign-in needs no discovery.
        SessionConfig explicitConfig = discoveryConfig(server->baseUrl(), store);
        explicitConfig.tokenEndpoint
                = QUrl(server->baseUrl().toString() + QStringLiteral("/oauth/token"));
        Session first(explicitConfig);
        first.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
        QTRY_COMPARE_WITH_TIMEOUT(first.state(), Session::State::SignedIn, kWait);
    }
    // A new process that knows only the issuer: restore() discovers, then refreshes.
    Session second(discoveryConfig(server->baseUrl(), store));
    QSignalSpy errors(&second, &Session::errorOccurred);
    second.restore();
    QTRY_COMPARE_WITH_TIMEOUT(second.state(), Session::State::SignedIn, kWait);
    QVERIFY(errors.isEmpty());
    QCOMPARE(server->stats().value(QStringLiteral("refresh_grants")).toInt(), 1);
    // Sign-out without a revocation endpoint configured: discovered, and used.
    QSignalSpy signedOut(&second, &Session::signedOut);
    second.signOut();
    QVERIFY(signedOut.wait(kWait));
    QCOMPARE(server->stats().value(QStringLiteral("revocations")).toInt(), 1);
}

void tst_SignInDiscovery::configuredEndpointsWin()
{
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.revocationEndpoint = QUrl(QStringLiteral("http://127.0.0.1:1/revoke"));
    Session session(config);
    QTRY_VERIFY_WITH_TIMEOUT(!session.config().tokenEndpoint.isEmpty(), kWait);
    QCOMPARE(session.config().revocationEndpoint, config.revocationEndpoint);
}

void tst_SignInDiscovery::differentIssuerRefused()
{
    // The mock's issuer has no trailing slash: "http://127.0.0.1:PORT/" is another issuer.
    auto server = startMockServer();
    SessionConfig config = discoveryConfig(QUrl(server->baseUrl().toString() + QLatin1Char('/')),
                                           std::make_shared<ScriptedSecretStore>());
    FakeBrowser browser;
    config.openBrowser = browser.opener();
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InvalidConfiguration);
    // Both issuers are named: the document's and the configured one.
    const QString message = lastError(errors).message;
    QVERIFY2(message.contains(QLatin1Char('"') + server->baseUrl().toString() + QLatin1Char('"')),
             qPrintable(message));
    QVERIFY2(message.contains(QLatin1Char('"') + config.issuer.toString() + QLatin1Char('"')),
             qPrintable(message));
    QVERIFY(session.config().tokenEndpoint.isEmpty());
    QVERIFY(!browser.done);

    // And a password sign-in fails the same way: the endpoints are never used.
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QVERIFY(errors.wait(kWait));
    QCOMPARE(server->stats().value(QStringLiteral("password_grants")).toInt(), 0);
}

void tst_SignInDiscovery::insecureEndpointRefused()
{
    ScriptedHttpServer scripted;
    QVERIFY(scripted.listen());
    const QUrl issuer = scripted.url(QStringLiteral("/tenant"));
    scripted.enqueue(
            ScriptedHttpServer::json(200, document(issuer, "http://login.example.com/token")));
    SessionConfig config = discoveryConfig(issuer, std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [](const QUrl &) {
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InsecureTransport);
    QVERIFY(session.config().tokenEndpoint.isEmpty());
    QVERIFY(scripted.lastRequest().startsWith(
            "GET /tenant/.well-known/openid-configuration HTTP/1.1"));
}

void tst_SignInDiscovery::rfc8414Fallback()
{
    ScriptedHttpServer scripted;
    QVERIFY(scripted.listen());
    const QUrl issuer = scripted.url(QStringLiteral("/tenant"));
    scripted.enqueue(ScriptedHttpServer::json(404, "{}"));
    scripted.enqueue(ScriptedHttpServer::json(
            200, document(issuer, scripted.url(QStringLiteral("/token")).toString().toUtf8())));
    Session session(discoveryConfig(issuer, std::make_shared<ScriptedSecretStore>()));
    QTRY_VERIFY_WITH_TIMEOUT(!session.config().tokenEndpoint.isEmpty(), kWait);
    QCOMPARE(scripted.requestCount(), 2);
    QVERIFY(scripted.lastRequest().startsWith(
            "GET /.well-known/oauth-authorization-server/tenant HTTP/1.1"));
}

QTEST_GUILESS_MAIN(tst_SignInDiscovery)
#include "tst_signin_discovery.moc"
