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
#include <QHostInfo>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>

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
    //! The authorization URL the flow opens for \a config (the sign-in is then cancelled).
    static QUrl openedUrl(SessionConfig config, ErrorInfo *error = nullptr)
    {
        QUrl opened;
        config.openBrowser = [&](const QUrl &url) {
            opened = url;
            return true;
        };
        Session session(config);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithBrowser();
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(opened.isValid() || !errors.isEmpty(), kWait);
        }();
        if (error)
            *error = lastError(errors);
        session.cancelSignIn();
        return opened;
    }
    //! One raw request to the listener at \a address; the answer's status line.
    //! (Waits with the event loop running: the listener lives on this thread.)
    static QByteArray ask(const QHostAddress &address, quint16 port, const QByteArray &target,
                          const QByteArray &host)
    {
        QTcpSocket socket;
        QSignalSpy connected(&socket, &QTcpSocket::connected);
        socket.connectToHost(address, port);
        if (socket.state() != QAbstractSocket::ConnectedState && !connected.wait(kWait))
            return "no connection: " + socket.errorString().toUtf8();
        socket.write("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        QSignalSpy readable(&socket, &QTcpSocket::readyRead);
        QByteArray answer;
        while (!answer.contains("\r\n")) {
            if (socket.bytesAvailable() == 0 && !readable.wait(kWait))
                break;
            answer += socket.readAll();
        }
        return answer.left(answer.indexOf("\r\n"));
    }

private Q_SLOTS:
    void init()
    {
        setCodeVerifierTestHook({});
        setLocalhostResolutionTestHook({});
    }
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
    void localhostListensOnEveryAddress();
    void localhostBothFamilies();
    void localhostPortTakenOnOneFamily();
    void localhostNotLoopbackRefused();
    void fixedPortsAndPath();
    void redirectPortsAllTaken();
    void badRedirectPathRefused();
    void requestParameters_data();
    void requestParameters();
    void reservedParameterRefused_data();
    void reservedParameterRefused();
    void pushedWhenOffered();
    void pushedWhenRequired();
    void pushErrors_data();
    void pushErrors();
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

void tst_SignInBrowser::localhostListensOnEveryAddress()
{
    // RFC 8252 §8.3: the browser resolves "localhost" itself, so the
    // listener serves every loopback address the name resolves to, on one port.
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.redirectHost = LoopbackRedirectHost::Localhost;
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    const QUrl callback(queryValue(opened, QStringLiteral("redirect_uri")));
    QCOMPARE(callback.host(), QStringLiteral("localhost"));
    QCOMPARE(callback.path(), QStringLiteral("/callback"));
    const auto port = quint16(callback.port());
    const QByteArray host = "localhost:" + QByteArray::number(port);

    const QList<QHostAddress> addresses
            = QHostInfo::fromName(QStringLiteral("localhost")).addresses();
    QVERIFY(!addresses.isEmpty());
    for (const QHostAddress &address : addresses) {
        // A response with another state reaches the flow (and is refused
        // there) on each address; the listener keeps waiting.
        QCOMPARE(ask(address, port, "/callback?code=x&state=other", host),
                 QByteArray("HTTP/1.1 400 Bad Request"));
        QCOMPARE(ask(address, port, "/elsewhere", host), QByteArray("HTTP/1.1 404 Not Found"));
        // The IP literal is not the name the redirect URI says.
        QCOMPARE(ask(address, port, "/callback",
                     address.toString().toLatin1() + ':' + QByteArray::number(port)),
                 QByteArray("HTTP/1.1 400 Bad Request"));
    }
    QCOMPARE(session.state(), Session::State::SigningIn);
    QVERIFY(errors.isEmpty());
    session.cancelSignIn();
    QCOMPARE(lastError(errors).code, Error::Cancelled);
}

void tst_SignInBrowser::localhostBothFamilies()
{
    // As most systems resolve it (this machine's hosts file may not): both
    // families, one port, each serving the redirect.
    const QHostAddress v4(QHostAddress::LocalHost);
    const QHostAddress v6(QHostAddress::LocalHostIPv6);
    setLocalhostResolutionTestHook([&] { return QList<QHostAddress> {v4, v6}; });
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.redirectHost = LoopbackRedirectHost::Localhost;
    QUrl opened;
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    const QUrl callback(queryValue(opened, QStringLiteral("redirect_uri")));
    QCOMPARE(callback.host(), QStringLiteral("localhost"));
    const auto port = quint16(callback.port());
    const QByteArray host = "localhost:" + QByteArray::number(port);
    for (const QHostAddress &address : {v4, v6}) {
        QCOMPARE(ask(address, port, "/callback?code=x&state=other", host),
                 QByteArray("HTTP/1.1 400 Bad Request"));
    }
    // A response with the right state on the IPv6 side is the response:
    // accepted (200), and its (made-up) code goes to the code exchange,
    // which the server refuses.
    const QByteArray state = QUrl::toPercentEncoding(queryValue(opened, QStringLiteral("state")));
    QVERIFY(!state.isEmpty());
    const QByteArray iss = QUrl::toPercentEncoding(server->baseUrl().toString()); // RFC 9207
    QCOMPARE(ask(v6, port, "/callback?code=made-up&state=" + state + "&iss=" + iss, host),
             QByteArray("HTTP/1.1 200 OK"));
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kWait);
    QCOMPARE(lastError(errors).code, Error::InvalidGrant);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

void tst_SignInBrowser::localhostPortTakenOnOneFamily()
{
    // Another program holds the first port on ::1 only: a listener on
    // 127.0.0.1 alone would let it receive the code of a browser that picks
    // IPv6. The port is skipped as a whole; the next serves both families.
    const QHostAddress v4(QHostAddress::LocalHost);
    const QHostAddress v6(QHostAddress::LocalHostIPv6);
    setLocalhostResolutionTestHook([&] { return QList<QHostAddress> {v4, v6}; });
    QTcpServer squatter;
    QVERIFY(squatter.listen(v6, 0));
    QTcpServer probe;
    QVERIFY(probe.listen(v4, 0));
    const quint16 next = probe.serverPort();
    probe.close();
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.redirectHost = LoopbackRedirectHost::Localhost;
    config.redirectPorts = {squatter.serverPort(), next};
    ErrorInfo error;
    const QUrl url = openedUrl(config, &error);
    QVERIFY2(!error.isError(), qPrintable(error.message));
    QCOMPARE(queryValue(url, QStringLiteral("redirect_uri")),
             QStringLiteral("http://localhost:%1/callback").arg(next));
}

void tst_SignInBrowser::localhostNotLoopbackRefused()
{
    setLocalhostResolutionTestHook([] {
        return QList<QHostAddress> {QHostAddress(QHostAddress::LocalHost),
                                    QHostAddress(QStringLiteral("192.0.2.7"))};
    });
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.redirectHost = LoopbackRedirectHost::Localhost;
    ErrorInfo error;
    const QUrl url = openedUrl(config, &error);
    QVERIFY(!url.isValid());
    QCOMPARE(error.code, Error::InvalidConfiguration);
    QVERIFY2(error.message.contains(QLatin1String("192.0.2.7")), qPrintable(error.message));
}

void tst_SignInBrowser::fixedPortsAndPath()
{
    // A port another program holds is skipped; the next one on the list is
    // used, with the custom path, through the whole sign-in.
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 free = probe.serverPort();
    probe.close();

    auto server = startMockServer();
    FakeBrowser browser;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = browser.opener();
    config.redirectPorts = {taken.serverPort(), free};
    config.redirectPath = QStringLiteral("/oauth2/native-cb");
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(queryValue(browser.authorizationUrl, QStringLiteral("redirect_uri")),
             QStringLiteral("http://127.0.0.1:%1/oauth2/native-cb").arg(free));
    QCOMPARE(browser.callbackPage.status, 200);
}

void tst_SignInBrowser::redirectPortsAllTaken()
{
    QTcpServer first;
    QTcpServer second;
    QVERIFY(first.listen(QHostAddress::LocalHost, 0));
    QVERIFY(second.listen(QHostAddress::LocalHost, 0));
    auto server = startMockServer();
    bool opened = false;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &) {
        return opened = true;
    };
    config.redirectPorts = {first.serverPort(), second.serverPort()};
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kWait);
    const ErrorInfo error = lastError(errors);
    QCOMPARE(error.code, Error::NetworkError);
    QVERIFY2(error.message.contains(
                     QStringLiteral("%1, %2").arg(first.serverPort()).arg(second.serverPort())),
             qPrintable(error.message));
    QVERIFY(!opened);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

void tst_SignInBrowser::badRedirectPathRefused()
{
    auto server = startMockServer();
    bool opened = false;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &) {
        return opened = true;
    };
    config.redirectPath = QStringLiteral("/cb?x=1");
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kWait);
    QCOMPARE(lastError(errors).code, Error::InvalidConfiguration);
    QVERIFY(!opened);
}

void tst_SignInBrowser::requestParameters_data()
{
    QTest::addColumn<QStringList>("scopes");
    QTest::addColumn<QString>("prompt");
    QTest::addColumn<bool>("typed");
    QTest::addColumn<QString>("expectedPrompt"); // empty: none sent
    QTest::addColumn<bool>("nonce");
    const QString openid = QStringLiteral("openid");
    const QString offline = QStringLiteral("offline_access");
    // OIDC Core §11: offline_access asks for consent, unless the app chose.
    QTest::addRow("offline_access") << QStringList {openid, offline} << QString() << false
                                    << QStringLiteral("consent") << true;
    QTest::addRow("offline_access, app's prompt")
            << QStringList {openid, offline} << QStringLiteral("login") << false
            << QStringLiteral("login") << true;
    QTest::addRow("no offline_access")
            << QStringList {openid} << QString() << false << QString() << true;
    // OIDC Core §3.1.2.1: no nonce without openid.
    QTest::addRow("plain OAuth") << QStringList {offline} << QString() << false
                                 << QStringLiteral("consent") << false;
    QTest::addRow("typed fields and extras")
            << QStringList {openid, offline} << QStringLiteral("select_account") << true
            << QStringLiteral("select_account") << true;
}

void tst_SignInBrowser::requestParameters()
{
    QFETCH(QStringList, scopes);
    QFETCH(QString, prompt);
    QFETCH(bool, typed);
    QFETCH(QString, expectedPrompt);
    QFETCH(bool, nonce);
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.scopes = scopes;
    config.prompt = prompt;
    if (typed) {
        config.loginHint = QStringLiteral("alice@example.test");
        config.acrValues = {QStringLiteral("urn:mace:incommon:iap:silver"), QStringLiteral("mfa")};
        config.maxAge = std::chrono::seconds(0);
        config.uiLocales = {QStringLiteral("fr-CA"), QStringLiteral("en")};
        config.audience = QStringLiteral("https://api.example.test/");
        config.resources = {QStringLiteral("https://a.example.test/"),
                            QStringLiteral("https://b.example.test/")};
        config.extraAuthorizationParameters.insert(QStringLiteral("organization"),
                                                   QStringLiteral("org_1 & co"));
    }
    ErrorInfo error;
    const QUrl url = openedUrl(config, &error);
    QVERIFY2(!error.isError(), qPrintable(error.message));
    const QUrlQuery query(url);
    QCOMPARE(query.hasQueryItem(QStringLiteral("prompt")), !expectedPrompt.isEmpty());
    QCOMPARE(query.allQueryItemValues(QStringLiteral("prompt")).size(),
             expectedPrompt.isEmpty() ? 0 : 1);
    QCOMPARE(queryValue(url, QStringLiteral("prompt")), expectedPrompt);
    QCOMPARE(query.hasQueryItem(QStringLiteral("nonce")), nonce);
    QCOMPARE(queryValue(url, QStringLiteral("scope")), scopes.join(u' '));
    if (!typed)
        return;
    QCOMPARE(queryValue(url, QStringLiteral("login_hint")), QStringLiteral("alice@example.test"));
    QCOMPARE(queryValue(url, QStringLiteral("acr_values")),
             QStringLiteral("urn:mace:incommon:iap:silver mfa"));
    QCOMPARE(queryValue(url, QStringLiteral("max_age")), QStringLiteral("0"));
    QCOMPARE(queryValue(url, QStringLiteral("ui_locales")), QStringLiteral("fr-CA en"));
    QCOMPARE(queryValue(url, QStringLiteral("audience")),
             QStringLiteral("https://api.example.test/"));
    // RFC 8707 §2.1: one resource parameter per indicator.
    QCOMPARE(query.allQueryItemValues(QStringLiteral("resource"), QUrl::FullyDecoded),
             (QStringList {QStringLiteral("https://a.example.test/"),
                           QStringLiteral("https://b.example.test/")}));
    QCOMPARE(queryValue(url, QStringLiteral("organization")), QStringLiteral("org_1 & co"));
    // The SDK's own parameters are still there once each.
    for (const char *own : {"state", "code_challenge", "redirect_uri", "client_id"})
        QCOMPARE(query.allQueryItemValues(QLatin1String(own)).size(), 1);
}

void tst_SignInBrowser::reservedParameterRefused_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("why");
    for (const char *name : {"state", "nonce", "code_challenge", "code_challenge_method",
                             "redirect_uri", "client_id", "response_type", "scope", "request_uri"})
        QTest::addRow("%s", name) << QString::fromLatin1(name)
                                  << QStringLiteral("is set by the SDK");
    for (const char *name : {"prompt", "login_hint", "max_age", "audience", "resource"})
        QTest::addRow("%s (typed)", name)
                << QString::fromLatin1(name) << QStringLiteral("has its own SessionConfig field");
}

void tst_SignInBrowser::reservedParameterRefused()
{
    QFETCH(QString, name);
    QFETCH(QString, why);
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.extraAuthorizationParameters.insert(name, QStringLiteral("x"));
    ErrorInfo error;
    const QUrl url = openedUrl(config, &error);
    QVERIFY(!url.isValid()); // no browser opened
    QCOMPARE(error.code, Error::InvalidConfiguration);
    QVERIFY2(error.message.contains(u'"' + name + u'"'), qPrintable(error.message));
    QVERIFY2(error.message.contains(why), qPrintable(error.message));
}

void tst_SignInBrowser::pushedWhenOffered()
{
    // RFC 9126: the discovery document names a PAR endpoint; by default the
    // SDK pushes the request there and the browser sees only its reference.
    auto server = startMockServer();
    FakeBrowser browser;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.usePushedAuthorizationRequests = true;
    config.openBrowser = browser.opener();
    config.loginHint = QStringLiteral("alice@example.test");
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    const QUrlQuery query(browser.authorizationUrl);
    QCOMPARE(query.queryItems().size(), 2);
    QCOMPARE(queryValue(browser.authorizationUrl, QStringLiteral("client_id")),
             QStringLiteral("demo"));
    QVERIFY(queryValue(browser.authorizationUrl, QStringLiteral("request_uri"))
                    .startsWith(QLatin1String("urn:ietf:params:oauth:request_uri:")));
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 1);
    QCOMPARE(session.idTokenClaims().value(QStringLiteral("sub")).toString(),
             QStringLiteral("alice"));
}

void tst_SignInBrowser::pushedWhenRequired()
{
    // require_pushed_authorization_requests wins over the application's "no".
    ServerConfig serverConfig;
    serverConfig.requirePar = true;
    auto server = startMockServer(serverConfig);
    FakeBrowser browser;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    QVERIFY(!config.usePushedAuthorizationRequests);
    config.openBrowser = browser.opener();
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QVERIFY(queryValue(browser.authorizationUrl, QStringLiteral("request_uri")).size() > 0);
    QVERIFY(!QUrlQuery(browser.authorizationUrl).hasQueryItem(QStringLiteral("state")));
}

void tst_SignInBrowser::pushErrors_data()
{
    // RFC 9126 §2.3: the PAR endpoint's errors, typed; no browser opened.
    QTest::addColumn<QString>("clientId");
    QTest::addColumn<QStringList>("scopes");
    QTest::addColumn<Error>("expected");
    QTest::addColumn<QString>("oauthError");
    QTest::addRow("unknown scope")
            << QStringLiteral("demo")
            << QStringList {QStringLiteral("openid"), QStringLiteral("no-such-scope")}
            << Error::InvalidScope << QStringLiteral("invalid_scope");
    QTest::addRow("unknown client")
            << QStringLiteral("nobody") << QStringList {QStringLiteral("openid")}
            << Error::InvalidClient << QStringLiteral("invalid_client");
}

void tst_SignInBrowser::pushErrors()
{
    QFETCH(QString, clientId);
    QFETCH(QStringList, scopes);
    QFETCH(Error, expected);
    QFETCH(QString, oauthError);
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.usePushedAuthorizationRequests = true;
    config.clientId = clientId;
    config.scopes = scopes;
    ErrorInfo error;
    const QUrl url = openedUrl(config, &error);
    QVERIFY(!url.isValid());
    QCOMPARE(error.code, expected);
    QCOMPARE(error.oauthError, oauthError);
    QVERIFY2(error.message.contains(QLatin1String("pushed authorization request")),
             qPrintable(error.message));
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
