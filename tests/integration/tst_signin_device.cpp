// SPDX-License-Identifier: MIT
// Device authorization grant (RFC 8628) against the in-process mock server;
// the user approves on the /device page through a QNetworkAccessManager.

#include "mockserverfixture.h"
#include "tst_signin_helpers.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using Mock::MockAuthServer;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {

// What the person does on another device: open the page, enter the code, sign in.
HttpResult approve(const QUrl &verificationUri, const QString &userCode,
                   const QString &action = QStringLiteral("allow"),
                   const QString &password = QStringLiteral("wonderland"))
{
    QNetworkAccessManager nam;
    const HttpResult page = send(nam, "GET", verificationUri);
    if (page.status != 200 || !page.body.contains("user_code"))
        return page;
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("user_code"), userCode);
    form.addQueryItem(QStringLiteral("username"), QStringLiteral("alice"));
    form.addQueryItem(QStringLiteral("password"), password);
    form.addQueryItem(QStringLiteral("action"), action);
    return send(nam, "POST", verificationUri, formBody(form));
}

} // namespace

class tst_SignInDevice : public QObject
{
    Q_OBJECT

private:
    static ErrorInfo lastError(const QSignalSpy &spy)
    {
        return spy.isEmpty() ? ErrorInfo() : spy.last().at(0).value<ErrorInfo>();
    }

private Q_SLOTS:
    void success();
    void denied();
    void slowDown();
    void expired();
    void cancel();
    void wrongPasswordKeepsPolling();
};

void tst_SignInDevice::success()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    Session session(discoveryConfig(server->baseUrl(), store));
    QSignalSpy ready(&session, &Session::deviceCodeReady);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithDeviceCode();
    QVERIFY(ready.wait(kWait));
    const QString userCode = ready.first().at(0).toString();
    const QUrl uri = ready.first().at(1).toUrl();
    const QUrl complete = ready.first().at(2).toUrl();
    const QDateTime expiresAt = ready.first().at(3).toDateTime();
    QCOMPARE(userCode.size(), 9); // XXXX-XXXX
    QCOMPARE(uri, QUrl(server->baseUrl().toString() + QStringLiteral("/device")));
    QVERIFY(complete.toString().contains(userCode));
    QVERIFY(expiresAt > QDateTime::currentDateTimeUtc().addSecs(500));
    QCOMPARE(session.state(), Session::State::SigningIn);

    // A poll or two answers authorization_pending before the user acts.
    QTRY_VERIFY_WITH_TIMEOUT(server->stats().value(QStringLiteral("device_polls")).toInt() >= 1,
                             kWait);
    QCOMPARE(session.state(), Session::State::SigningIn);
    const HttpResult approved = approve(complete, userCode);
    QCOMPARE(approved.status, 200);
    QVERIFY(approved.body.contains("Device approved"));

    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(session.subject(), QStringLiteral("alice"));
    // An ID token came with it (openid in scope), verified without a nonce.
    QCOMPARE(session.idTokenClaims().value(QStringLiteral("email")).toString(),
             QStringLiteral("alice@example.test"));
    QVERIFY(store->contains(QStringLiteral("alice@signin")));
    QCOMPARE(server->stats().value(QStringLiteral("device_grants")).toInt(), 1);
    QCOMPARE(server->stats().value(QStringLiteral("device_slow_downs")).toInt(), 0);
}

void tst_SignInDevice::denied()
{
    auto server = startMockServer();
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy ready(&session, &Session::deviceCodeReady);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithDeviceCode();
    QVERIFY(ready.wait(kWait));
    QCOMPARE(approve(ready.first().at(1).toUrl(), ready.first().at(0).toString(),
                     QStringLiteral("deny"))
                     .status,
             200);
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::AccessDenied);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

void tst_SignInDevice::slowDown()
{
    auto server = startMockServer();
    server->setFaults(QJsonObject {{QStringLiteral("device_slow_down"), 1}});
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy ready(&session, &Session::deviceCodeReady);
    session.signInWithDeviceCode();
    QVERIFY(ready.wait(kWait));
    QTRY_COMPARE_WITH_TIMEOUT(server->stats().value(QStringLiteral("device_slow_downs")).toInt(), 1,
                              kWait);
    QElapsedTimer sinceSlowDown;
    sinceSlowDown.start();
    const int polls = server->stats().value(QStringLiteral("device_polls")).toInt();
    // RFC 8628 §3.5: the interval grows by 5 s: no poll within the next 5 s.
    QTRY_VERIFY_WITH_TIMEOUT(server->stats().value(QStringLiteral("device_polls")).toInt() > polls,
                             kWait);
    QVERIFY2(sinceSlowDown.elapsed() >= 5000, qPrintable(QString::number(sinceSlowDown.elapsed())));
    QCOMPARE(session.state(), Session::State::SigningIn);
    session.cancelSignIn();
}

void tst_SignInDevice::expired()
{
    ServerConfig config;
    config.deviceCodeTtl = 2;
    auto server = startMockServer(config);
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithDeviceCode();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::Timeout);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

void tst_SignInDevice::cancel()
{
    auto server = startMockServer();
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy ready(&session, &Session::deviceCodeReady);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithDeviceCode();
    QVERIFY(ready.wait(kWait));
    session.cancelSignIn();
    QCOMPARE(lastError(errors).code, Error::Cancelled);
    QCOMPARE(session.state(), Session::State::SignedOut);
    // Polling has stopped: approving now changes nothing.
    const int polls = server->stats().value(QStringLiteral("device_polls")).toInt();
    QCOMPARE(approve(ready.first().at(1).toUrl(), ready.first().at(0).toString()).status, 200);
    QVERIFY(!errors.wait(2500));
    QCOMPARE(server->stats().value(QStringLiteral("device_polls")).toInt(), polls);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

void tst_SignInDevice::wrongPasswordKeepsPolling()
{
    auto server = startMockServer();
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy ready(&session, &Session::deviceCodeReady);
    session.signInWithDeviceCode();
    QVERIFY(ready.wait(kWait));
    const QUrl uri = ready.first().at(1).toUrl();
    const QString code = ready.first().at(0).toString();
    QCOMPARE(approve(uri, code, QStringLiteral("allow"), QStringLiteral("wrong")).status, 401);
    QCOMPARE(approve(uri, QStringLiteral("BBBB-BBBB")).status, 400);
    QCOMPARE(session.state(), Session::State::SigningIn);
    QCOMPARE(approve(uri, code.toLower()).status, 200); // codes are case-insensitive
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
}

QTEST_GUILESS_MAIN(tst_SignInDevice)
#include "tst_signin_device.moc"
