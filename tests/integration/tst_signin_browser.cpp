// SPDX-License-Identifier: MIT
// Browser sign-in (authorization code + PKCE + loopback redirect + OIDC ID
// token) against the in-process mock server, with a test "browser".

#include "mockserverfixture.h"
#include "tst_signin_helpers.h"

#include "signin/browserflow_p.h"

#include <QDateTime>
#include <QJsonArray>
#include <QMetaProperty>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using Mock::MockAuthServer;
using Mock::ServerConfig;
using MockTest::startMockServer;

class tst_SignInBrowser : public QObject
{
    Q_OBJECT

private:
    static ErrorInfo lastError(const QSignalSpy &spy)
    {
        return spy.isEmpty() ? ErrorInfo() : spy.last().at(0).value<ErrorInfo>();
    }

private Q_SLOTS:
    void init() { setCodeVerifierTestHook({}); }
    void success_data();
    void success();
    void openerMissing();
    void accessDenied();
    void wrongStateIsIgnored();
    void missingCode();
    void wrongIssuerParameter_data();
    void wrongIssuerParameter();
    void pkceMismatch();
    void replayedCallbackRefused();
    void otherHostRefused();
    void timeout();
    void cancel();
    void signOutAbandonsSignIn();
    void idTokenRejected_data();
    void idTokenRejected();
    void unknownKidRefetchesOnce();
    void claimsBelongToOneSignIn();
};

void tst_SignInBrowser::success_data()
{
    QTest::addColumn<bool>("es256");
    QTest::addColumn<bool>("ipv6");
    QTest::addRow("RS256, 127.0.0.1") << false << false;
    QTest::addRow("ES256, 127.0.0.1") << true << false;
    QTest::addRow("RS256, [::1]") << false << true;
}

void tst_SignInBrowser::success()
{
    QFETCH(bool, es256);
    QFETCH(bool, ipv6);
    ServerConfig serverConfig;
    if (es256)
        serverConfig.idTokenAlg = ServerConfig::IdTokenAlg::ES256;
    auto server = startMockServer(serverConfig);
    auto store = std::make_shared<ScriptedSecretStore>();
    FakeBrowser browser;
    SessionConfig config = discoveryConfig(server->baseUrl(), store);
    config.openBrowser = browser.opener();
    if (ipv6)
        config.redirectHost = LoopbackRedirectHost::IPv6;
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    QSignalSpy user(&session, &Session::userChanged);

    session.signInWithBrowser();
    QCOMPARE(session.state(), Session::State::SigningIn);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));

    // What went to the browser: PKCE S256, state, nonce, a loopback redirect.
    const QUrl url = browser.authorizationUrl;
    QCOMPARE(queryValue(url, QStringLiteral("response_type")), QStringLiteral("code"));
    QCOMPARE(queryValue(url, QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
    QCOMPARE(queryValue(url, QStringLiteral("code_challenge")).size(), 43);
    QVERIFY(queryValue(url, QStringLiteral("state")).size() >= 43);
    QVERIFY(queryValue(url, QStringLiteral("nonce")).size() >= 43);
    const QUrl redirect(queryValue(url, QStringLiteral("redirect_uri")));
    QCOMPARE(redirect.scheme(), QStringLiteral("http"));
    QCOMPARE(redirect.host(), ipv6 ? QStringLiteral("::1") : QStringLiteral("127.0.0.1"));
    QVERIFY(redirect.port() > 0);
    QCOMPARE(redirect.path(), QStringLiteral("/callback"));
    QCOMPARE(browser.callbackPage.status, 200);
    QVERIFY(browser.callbackPage.body.contains("close this tab"));

    // Verified ID token claims, as plain data.
    const QVariantMap claims = session.idTokenClaims();
    QCOMPARE(claims.value(QStringLiteral("sub")).toString(), QStringLiteral("alice"));
    QCOMPARE(claims.value(QStringLiteral("name")).toString(), QStringLiteral("Alice"));
    QCOMPARE(claims.value(QStringLiteral("email")).toString(),
             QStringLiteral("alice@example.test"));
    QCOMPARE(claims.value(QStringLiteral("aud")).toString(), QStringLiteral("demo"));
    QVERIFY(!user.isEmpty());
    QCOMPARE(session.subject(), QStringLiteral("alice"));
    // No token, code or one-time value is reachable through a property.
    QStringList secrets;
    for (const char *kind : {"access_tokens", "refresh_tokens"}) {
        for (const QJsonValue &t : server->tokens().value(QLatin1String(kind)).toArray())
            secrets.append(t.toString());
    }
    secrets.append(queryValue(browser.callbackUrl, QStringLiteral("code")));
    secrets.append(queryValue(url, QStringLiteral("state")));
    secrets.append(queryValue(url, QStringLiteral("nonce")));
    QCOMPARE(secrets.size(), 5);
    const QMetaObject *meta = session.metaObject();
    for (int i = 0; i < meta->propertyCount(); ++i) {
        QString text;
        QDebug(&text) << meta->property(i).read(&session);
        for (const QString &secret : secrets)
            QVERIFY2(secret.isEmpty() || !text.contains(secret), meta->property(i).name());
    }
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 1);
    // Stored before use, and refreshable.
    QVERIFY(store->contains(config.account));
    session.refresh();
    QTRY_COMPARE_WITH_TIMEOUT(session.refreshCount(), 1, kWait);

    // Signing out revokes through the discovered revocation endpoint and clears the claims.
    QSignalSpy signedOut(&session, &Session::signedOut);
    session.signOut();
    QVERIFY(signedOut.wait(kWait));
    QVERIFY(session.idTokenClaims().isEmpty());
    QCOMPARE(server->stats().value(QStringLiteral("revocations")).toInt(), 1);
}

void tst_SignInBrowser::openerMissing()
{
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.isEmpty()); // never inside the call
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InvalidConfiguration);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

void tst_SignInBrowser::accessDenied()
{
    auto server = startMockServer();
    FakeBrowser browser;
    browser.action = QStringLiteral("deny");
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = browser.opener();
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::AccessDenied);
    QCOMPARE(lastError(errors).oauthError, QStringLiteral("access_denied"));
    QCOMPARE(session.state(), Session::State::SignedOut);
    QTRY_VERIFY_WITH_TIMEOUT(browser.done, kWait);
    QCOMPARE(browser.callbackPage.status, 400);
    QVERIFY(browser.callbackPage.body.contains("declined"));
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 0);
}

void tst_SignInBrowser::wrongStateIsIgnored()
{
    auto server = startMockServer();
    FakeBrowser browser;
    HttpResult forged;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        QTimer::singleShot(0, [&, url] {
            // A forged redirect arrives first: refused, and the real one still works.
            QNetworkAccessManager nam;
            QUrl callback(queryValue(url, QStringLiteral("redirect_uri")));
            callback.setQuery(QStringLiteral("code=forged&state=not-the-state"));
            forged = send(nam, "GET", callback);
            browser.run(url);
        });
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QCOMPARE(forged.status, 400);
    QVERIFY(errors.isEmpty());
    QCOMPARE(browser.callbackPage.status, 200);
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 1);
}

void tst_SignInBrowser::missingCode()
{
    auto server = startMockServer();
    HttpResult page;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        QTimer::singleShot(0, [&, url] {
            QNetworkAccessManager nam;
            QUrl callback(queryValue(url, QStringLiteral("redirect_uri")));
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("state"), queryValue(url, QStringLiteral("state")));
            // The right issuer (the mock server promises iss, RFC 9207), so
            // that it is the missing code that fails, not the issuer check.
            query.addQueryItem(QStringLiteral("iss"), server->baseUrl().toString());
            callback.setQuery(query);
            page = send(nam, "GET", callback);
        });
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::MalformedResponse);
    QVERIFY2(lastError(errors).message.contains(QStringLiteral("no code")),
             qPrintable(lastError(errors).message));
    QCOMPARE(session.state(), Session::State::SignedOut);
    QTRY_COMPARE_WITH_TIMEOUT(page.status, 400, kWait);
}

void tst_SignInBrowser::wrongIssuerParameter_data()
{
    QTest::addColumn<QString>("iss");
    QTest::addColumn<QString>("reason");
    QTest::addRow("another issuer")
            << QStringLiteral("https://evil.example") << QStringLiteral("\"https://evil.example\"");
    // The mock server's metadata says authorization_response_iss_parameter_supported.
    QTest::addRow("no iss although promised") << QString() << QStringLiteral("names no issuer");
}

void tst_SignInBrowser::wrongIssuerParameter()
{
    // RFC 9207: a response with the right state but another issuer's iss is a
    // mix-up; so is one without iss from a provider that promised to send it.
    QFETCH(QString, iss);
    QFETCH(QString, reason);
    auto server = startMockServer();
    HttpResult page;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        QTimer::singleShot(0, [&, url] {
            QNetworkAccessManager nam;
            QUrl callback(queryValue(url, QStringLiteral("redirect_uri")));
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("code"), QStringLiteral("abc"));
            query.addQueryItem(QStringLiteral("state"), queryValue(url, QStringLiteral("state")));
            if (!iss.isEmpty())
                query.addQueryItem(QStringLiteral("iss"), iss);
            callback.setQuery(query);
            page = send(nam, "GET", callback);
        });
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::IssuerMismatch);
    QVERIFY(lastError(errors).message.contains(QStringLiteral("9207")));
    QVERIFY2(lastError(errors).message.contains(reason), qPrintable(lastError(errors).message));
    // The message names the issuer the request went to as well.
    QVERIFY2(lastError(errors).message.contains(server->baseUrl().toString()),
             qPrintable(lastError(errors).message));
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 0);
}

void tst_SignInBrowser::pkceMismatch()
{
    auto server = startMockServer();
    setCodeVerifierTestHook(
            [](QByteArray &verifier) { verifier[0] = verifier[0] == 'A' ? 'B' : 'A'; });
    FakeBrowser browser;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = browser.opener();
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    setCodeVerifierTestHook({});
    QCOMPARE(lastError(errors).code, Error::InvalidGrant);
    QCOMPARE(session.state(), Session::State::SignedOut);
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 0);
}

void tst_SignInBrowser::replayedCallbackRefused()
{
    auto server = startMockServer();
    FakeBrowser browser;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = browser.opener();
    Session session(config);
    session.signInWithBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QCOMPARE(browser.callbackPage.status, 200);
    // The same redirect again (a replay, or a second tab): nobody accepts it.
    QNetworkAccessManager nam;
    const HttpResult replay = send(nam, "GET", browser.callbackUrl);
    QVERIFY2(replay.status != 200, qPrintable(QString::number(replay.status)));
    QCOMPARE(replay.error, QNetworkReply::ConnectionRefusedError);
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 1);
}

void tst_SignInBrowser::otherHostRefused()
{
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid(), kWait);
    const QUrl callback(queryValue(opened, QStringLiteral("redirect_uri")));

    // A DNS-rebinding page would reach the port with its own Host header.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(callback.port()));
    QVERIFY(socket.waitForConnected(kWait));
    const QByteArray request = "GET /callback?code=x&state="
            + QUrl::toPercentEncoding(queryValue(opened, QStringLiteral("state")))
            + " HTTP/1.1\r\nHost: evil.example:" + QByteArray::number(callback.port()) + "\r\n\r\n";
    socket.write(request);
    QTRY_VERIFY_WITH_TIMEOUT(socket.bytesAvailable() > 0
                                     || socket.state() == QAbstractSocket::UnconnectedState,
                             kWait);
    const QByteArray answer = socket.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 400"), answer.constData());
    QCOMPARE(session.state(), Session::State::SigningIn); // still waiting for the real one
    QVERIFY(errors.isEmpty());

    session.cancelSignIn();
    QCOMPARE(session.state(), Session::State::SignedOut);
    QCOMPARE(lastError(errors).code, Error::Cancelled);
}

void tst_SignInBrowser::timeout()
{
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.browserTimeout = std::chrono::seconds(1);
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true; // the user walks away
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::Timeout);
    QCOMPARE(session.state(), Session::State::SignedOut);
    // The listener is gone.
    QNetworkAccessManager nam;
    const HttpResult late
            = send(nam, "GET", QUrl(queryValue(opened, QStringLiteral("redirect_uri"))));
    QCOMPARE(late.error, QNetworkReply::ConnectionRefusedError);
}

void tst_SignInBrowser::cancel()
{
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    QSignalSpy states(&session, &Session::stateChanged);
    session.cancelSignIn(); // nothing to cancel: no effect
    QVERIFY(!errors.wait(50));
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid(), kWait);
    session.cancelSignIn();
    QCOMPARE(errors.size(), 1);
    QCOMPARE(lastError(errors).code, Error::Cancelled);
    QCOMPARE(session.state(), Session::State::SignedOut);
    QTest::qWait(0);
    QNetworkAccessManager nam;
    const HttpResult late
            = send(nam, "GET", QUrl(queryValue(opened, QStringLiteral("redirect_uri"))));
    QCOMPARE(late.error, QNetworkReply::ConnectionRefusedError);
    QCOMPARE(errors.size(), 1);
}

void tst_SignInBrowser::signOutAbandonsSignIn()
{
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    QSignalSpy signedOut(&session, &Session::signedOut);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid(), kWait);
    session.signOut();
    QVERIFY(signedOut.wait(kWait));
    QCOMPARE(session.state(), Session::State::SignedOut);
    // The listener went with the abandoned sign-in, not at the browser timeout.
    QNetworkAccessManager nam;
    QTRY_COMPARE_WITH_TIMEOUT(
            send(nam, "GET", QUrl(queryValue(opened, QStringLiteral("redirect_uri")))).error,
            QNetworkReply::ConnectionRefusedError, kWait);
    // And a new sign-in works.
    FakeBrowser browser;
    SessionConfig second = config;
    second.openBrowser = browser.opener();
    Session again(second);
    again.signInWithBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(again.state(), Session::State::SignedIn, kWait);
}

void tst_SignInBrowser::idTokenRejected_data()
{
    QTest::addColumn<QJsonObject>("fault");
    QTest::addColumn<QString>("reason");
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QTest::addRow("tampered signature") << QJsonObject {{QStringLiteral("id_token_tamper"), true}}
                                        << QStringLiteral("signature");
    QTest::addRow("wrong aud") << QJsonObject {{QStringLiteral("id_token_claims"),
                                                QJsonObject {{QStringLiteral("aud"),
                                                              QStringLiteral("other-app")}}}}
                               << QStringLiteral("client");
    // OIDC Core §3.1.3.7 item 3: an audience we do not trust is refused before
    // azp is looked at (SessionConfig::trustedAudiences is empty here).
    QTest::addRow("several aud, one untrusted, no azp")
            << QJsonObject {{QStringLiteral("id_token_claims"),
                             QJsonObject {{QStringLiteral("aud"),
                                           QJsonArray {QStringLiteral("demo"),
                                                       QStringLiteral("other-app")}}}}}
            << QStringLiteral("untrusted additional audience");
    QTest::addRow("wrong nonce") << QJsonObject {{QStringLiteral("id_token_claims"),
                                                  QJsonObject {{QStringLiteral("nonce"),
                                                                QStringLiteral("replayed")}}}}
                                 << QStringLiteral("nonce");
    QTest::addRow("no nonce") << QJsonObject {{QStringLiteral("id_token_claims"),
                                               QJsonObject {{QStringLiteral("nonce"),
                                                             QJsonValue::Null}}}}
                              << QStringLiteral("nonce");
    QTest::addRow("expired") << QJsonObject {{QStringLiteral("id_token_claims"),
                                              QJsonObject {{QStringLiteral("exp"), now - 3600},
                                                           {QStringLiteral("iat"), now - 7200}}}}
                             << QStringLiteral("expired");
    QTest::addRow("wrong iss") << QJsonObject {{QStringLiteral("id_token_claims"),
                                                QJsonObject {{QStringLiteral("iss"),
                                                              QStringLiteral("https://evil")}}}}
                               << QStringLiteral("issuer");
    QTest::addRow("kid not in JWKS")
            << QJsonObject {{QStringLiteral("id_token_kid"), QStringLiteral("no-such-key")}}
            << QStringLiteral("no key");
}

void tst_SignInBrowser::idTokenRejected()
{
    QFETCH(QJsonObject, fault);
    QFETCH(QString, reason);
    auto server = startMockServer();
    server->setFaults(fault);
    auto store = std::make_shared<ScriptedSecretStore>();
    FakeBrowser browser;
    SessionConfig config = discoveryConfig(server->baseUrl(), store);
    config.openBrowser = browser.opener();
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    const ErrorInfo error = lastError(errors);
    QCOMPARE(error.code, Error::IdTokenRejected);
    QVERIFY(!error.isTransient());
    QVERIFY2(error.message.contains(reason), qPrintable(error.message));
    QCOMPARE(session.state(), Session::State::SignedOut);
    QVERIFY(session.idTokenClaims().isEmpty());
    // Nothing was stored: a rejected ID token fails the whole sign-in.
    QVERIFY(!store->contains(config.account));
}

void tst_SignInBrowser::unknownKidRefetchesOnce()
{
    auto server = startMockServer();
    server->setFaults(QJsonObject {{QStringLiteral("id_token_kid"), QStringLiteral("rotated")}});
    FakeBrowser browser;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = browser.opener();
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    const int before = server->stats().value(QStringLiteral("requests")).toInt();
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    // discovery + authorize GET + POST + token + JWKS twice (the refetch), nothing more.
    const int requests = server->stats().value(QStringLiteral("requests")).toInt() - before;
    QCOMPARE(requests, 6);
}

QTEST_GUILESS_MAIN(tst_SignInBrowser)
// The claims belong to one sign-in: a later one (here the password grant,
// whose ID token the server makes say another name) shows its own, never the
// earlier browser sign-in's.
void tst_SignInBrowser::claimsBelongToOneSignIn()
{
    auto server = startMockServer({});
    auto store = std::make_shared<ScriptedSecretStore>();
    FakeBrowser browser;
    SessionConfig config = discoveryConfig(server->baseUrl(), store);
    config.openBrowser = browser.opener();
    Session session(config);
    session.signInWithBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QCOMPARE(session.idTokenClaims().value(QStringLiteral("name")).toString(),
             QStringLiteral("Alice"));
    QSignalSpy signedOut(&session, &Session::signedOut);
    session.signOut();
    QVERIFY(signedOut.wait(kWait));

    server->setFaults(
            QJsonObject {{QStringLiteral("id_token_claims"),
                          QJsonObject {{QStringLiteral("name"), QStringLiteral("Second")}}}});
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QCOMPARE(session.idTokenClaims().value(QStringLiteral("name")).toString(),
             QStringLiteral("Second"));
}

#include "tst_signin_browser.moc"
