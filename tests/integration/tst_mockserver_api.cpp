// SPDX-License-Identifier: MIT
// The mock server's resource side and hardening: /api/* with valid, expired,
// tampered and missing tokens (RFC 6750 challenges), HS256 mode, login rate
// limiting and lockout, the body size limit and the security headers.
#include "mockauthserver.h"
#include "mockhttp.h"

#include <QJsonArray>
#include <QMessageAuthenticationCode>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace MockTest;
using MockTest::startMockServer;
using SecureTokens::Mock::MockAuthServer;
using SecureTokens::Mock::ServerConfig;

namespace {

QByteArray b64url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray fromB64url(const QByteArray &data)
{
    return QByteArray::fromBase64(data, QByteArray::Base64UrlEncoding);
}

//! Flips one bit of the decoded part `index` of a JWT, at byte `at` from the end.
QString tamper(const QString &token, int index, int at)
{
    QList<QByteArray> parts = token.toLatin1().split('.');
    QByteArray raw = fromB64url(parts[index]);
    raw[raw.size() - at] = char(raw[raw.size() - at] ^ 0x01);
    parts[index] = b64url(raw);
    return QString::fromLatin1(parts.join('.'));
}

QString withHeader(const QString &token, const QJsonObject &header, const QByteArray &signature)
{
    const QList<QByteArray> parts = token.toLatin1().split('.');
    return QString::fromLatin1(b64url(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
                               + parts[1] + '.' + signature);
}

} // namespace

class tst_MockServerApi : public QObject
{
    Q_OBJECT

private:
    QUrl url(MockAuthServer &server, const char *path)
    {
        return endpoint(server.baseUrl(), QString::fromLatin1(path));
    }
    HttpResult passwordGrant(MockAuthServer &server, const QString &user = QStringLiteral("alice"),
                             const QString &password = QStringLiteral("wonderland"),
                             const QString &scope = QString())
    {
        FormList form {{QStringLiteral("grant_type"), QStringLiteral("password")},
                       {QStringLiteral("client_id"), QStringLiteral("demo")},
                       {QStringLiteral("username"), user},
                       {QStringLiteral("password"), password}};
        if (!scope.isEmpty())
            form.append({QStringLiteral("scope"), scope});
        return postForm(m_nam, url(server, "/oauth/token"), form);
    }
    QString accessToken(MockAuthServer &server)
    {
        return passwordGrant(server).jsonString("access_token");
    }

    QNetworkAccessManager m_nam;

private Q_SLOTS:
    void protectedResources();
    void echoReturnsTheRequest();
    void missingToken_data();
    void missingToken();
    void expiredToken();
    void rejectedTokens_data();
    void rejectedTokens();
    void insufficientScope();
    void hs256Mode();
    void passwordRateLimitAndLockout();
    void rateLimitPerClient();
    void rateLimitOnFormAndCookieLogin();
    void bodySizeLimit();
    void securityHeaders_data();
    void securityHeaders();
    void webSocketUpgradeIsAnswered();
};

void tst_MockServerApi::protectedResources()
{
    auto server = startMockServer();
    const QString token = accessToken(*server);
    const HttpResult me = get(m_nam, url(*server, "/api/me"), bearer(token));
    QCOMPARE(me.status, 200);
    QCOMPARE(me.json(),
             (QJsonObject {{QStringLiteral("sub"), QStringLiteral("alice")},
                           {QStringLiteral("name"), QStringLiteral("Alice")},
                           {QStringLiteral("email"), QStringLiteral("alice@example.com")}}));
    const HttpResult items = get(m_nam, url(*server, "/api/items"), bearer(token));
    QCOMPARE(items.status, 200);
    const QJsonArray list = QJsonDocument::fromJson(items.body).array();
    QVERIFY(list.size() >= 2);
    QVERIFY(list.first().toObject().contains(QStringLiteral("title")));
    // "bearer" is case-insensitive (RFC 7235 §2.1).
    QCOMPARE(get(m_nam, url(*server, "/api/me"), {{"Authorization", "bearer " + token.toLatin1()}})
                     .status,
             200);
    QCOMPARE(send(m_nam, "POST", url(*server, "/api/me"), bearer(token)).status, 405);
    QCOMPARE(get(m_nam, url(*server, "/api/nothing"), bearer(token)).status, 404);
    const QJsonObject stats = server->stats();
    QCOMPARE(stats.value(QStringLiteral("protected_requests")).toInt(), 5);
    QCOMPARE(stats.value(QStringLiteral("authorized_requests")).toInt(), 5);
    QCOMPARE(stats.value(QStringLiteral("unauthorized")).toInt(), 0);
}

void tst_MockServerApi::echoReturnsTheRequest()
{
    auto server = startMockServer();
    const QString token = accessToken(*server);
    HeaderList headers = bearer(token);
    headers.append(qMakePair(QByteArray("X-Test"), QByteArray("42")));
    headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("text/plain")));
    for (const QByteArray &verb : {QByteArray("PUT"), QByteArray("POST"), QByteArray("PATCH"),
                                   QByteArray("DELETE"), QByteArray("GET")}) {
        const QByteArray body = verb == "GET" ? QByteArray() : QByteArray("hello ") + verb;
        const HttpResult r = send(m_nam, verb, url(*server, "/api/echo"), headers, body);
        QCOMPARE(r.status, 200);
        const QJsonObject echo = r.json();
        QCOMPARE(echo.value(QStringLiteral("method")).toString(), QString::fromLatin1(verb));
        QCOMPARE(echo.value(QStringLiteral("path")).toString(), QStringLiteral("/api/echo"));
        QCOMPARE(echo.value(QStringLiteral("body")).toString(), QString::fromLatin1(body));
        const QJsonObject seen = echo.value(QStringLiteral("headers")).toObject();
        QString authorization;
        QString custom;
        for (auto it = seen.begin(); it != seen.end(); ++it) {
            if (it.key().compare(QLatin1String("authorization"), Qt::CaseInsensitive) == 0)
                authorization = it.value().toString();
            if (it.key().compare(QLatin1String("x-test"), Qt::CaseInsensitive) == 0)
                custom = it.value().toString();
        }
        QCOMPARE(authorization, QStringLiteral("Bearer ") + token);
        QCOMPARE(custom, QStringLiteral("42"));
        // Spelled as sent, whichever Qt the server was built with (6.8 lower-cases names).
        QVERIFY(seen.contains(QStringLiteral("Authorization")));
        QVERIFY(seen.contains(QStringLiteral("X-Test")));
    }
}

void tst_MockServerApi::missingToken_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addRow("no header") << QByteArray();
    QTest::addRow("basic scheme") << QByteArray("Basic YWxpY2U6d29uZGVybGFuZA==");
}

void tst_MockServerApi::missingToken()
{
    QFETCH(QByteArray, authorization);
    auto server = startMockServer();
    HeaderList headers;
    if (!authorization.isEmpty())
        headers.append({"Authorization", authorization});
    for (const char *path : {"/api/me", "/api/items", "/api/echo"}) {
        const HttpResult r = get(m_nam, url(*server, path), headers);
        QCOMPARE(r.status, 401);
        // RFC 6750 §3.1: no credentials → a challenge without an error code.
        QCOMPARE(r.header("WWW-Authenticate"), QByteArray("Bearer"));
    }
    QCOMPARE(server->stats().value(QStringLiteral("unauthorized")).toInt(), 3);
    QCOMPARE(server->stats().value(QStringLiteral("protected_requests")).toInt(), 3);
}

void tst_MockServerApi::expiredToken()
{
    ServerConfig config;
    config.accessTtl = 1;
    auto server = startMockServer(config);
    const HttpResult grant = passwordGrant(*server);
    QCOMPARE(grant.json().value(QStringLiteral("expires_in")).toInt(), 1);
    const QString token = grant.jsonString("access_token");
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(token)).status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(get(m_nam, url(*server, "/api/me"), bearer(token)).status, 401, 5000);
    const HttpResult r = get(m_nam, url(*server, "/api/me"), bearer(token));
    QCOMPARE(r.header("WWW-Authenticate"),
             QByteArray(R"(Bearer error="invalid_token", error_description="token expired")"));
    QCOMPARE(r.jsonString("error"), QStringLiteral("invalid_token"));
    // A refreshed token works again.
    const HttpResult refreshed
            = postForm(m_nam, url(*server, "/oauth/token"),
                       {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                        {QStringLiteral("client_id"), QStringLiteral("demo")},
                        {QStringLiteral("refresh_token"), grant.jsonString("refresh_token")}});
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(refreshed.jsonString("access_token")))
                     .status,
             200);
}

void tst_MockServerApi::rejectedTokens_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addRow("signature byte flipped") << "signature";
    QTest::addRow("payload byte flipped") << "payload";
    QTest::addRow("payload sub changed") << "sub";
    QTest::addRow("alg none, no signature") << "none";
    QTest::addRow("alg none, signature kept") << "none-signed";
    QTest::addRow("alg HS256 keyed with the public key") << "confusion";
    QTest::addRow("two parts") << "truncated";
    QTest::addRow("garbage") << "garbage";
    QTest::addRow("foreign issuer") << "issuer";
}

void tst_MockServerApi::rejectedTokens()
{
    QFETCH(QString, kind);
    auto server = startMockServer();
    const QString token = accessToken(*server);
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(token)).status, 200);
    const QList<QByteArray> parts = token.toLatin1().split('.');
    const QJsonObject header = QJsonDocument::fromJson(fromB64url(parts[0])).object();
    QString bad;
    if (kind == QLatin1String("signature")) {
        bad = tamper(token, 2, 10);
    } else if (kind == QLatin1String("payload")) {
        bad = tamper(token, 1, 3);
    } else if (kind == QLatin1String("sub") || kind == QLatin1String("issuer")) {
        QJsonObject claims = QJsonDocument::fromJson(fromB64url(parts[1])).object();
        if (kind == QLatin1String("sub"))
            claims.insert(QStringLiteral("sub"), QStringLiteral("admin"));
        else
            claims.insert(QStringLiteral("iss"), QStringLiteral("http://127.0.0.1:1"));
        bad = QString::fromLatin1(parts[0] + '.'
                                  + b64url(QJsonDocument(claims).toJson(QJsonDocument::Compact))
                                  + '.' + parts[2]);
    } else if (kind == QLatin1String("none")) {
        bad = withHeader(token,
                         {{QStringLiteral("alg"), QStringLiteral("none")},
                          {QStringLiteral("typ"), QStringLiteral("JWT")}},
                         QByteArray());
    } else if (kind == QLatin1String("none-signed")) {
        bad = withHeader(token, {{QStringLiteral("alg"), QStringLiteral("none")}}, parts[2]);
    } else if (kind == QLatin1String("confusion")) {
        // The classic RS256→HS256 confusion: HMAC keyed with public material.
        const QJsonObject jwks = get(m_nam, url(*server, "/.well-known/jwks.json")).json();
        const QByteArray key = jwks.value(QStringLiteral("keys"))
                                       .toArray()
                                       .first()
                                       .toObject()
                                       .value(QStringLiteral("n"))
                                       .toString()
                                       .toLatin1();
        QJsonObject h = header;
        h.insert(QStringLiteral("alg"), QStringLiteral("HS256"));
        const QByteArray input
                = b64url(QJsonDocument(h).toJson(QJsonDocument::Compact)) + '.' + parts[1];
        bad = QString::fromLatin1(
                input + '.'
                + b64url(QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256)));
    } else if (kind == QLatin1String("truncated")) {
        bad = QString::fromLatin1(parts[0] + '.' + parts[1]);
    } else {
        bad = QStringLiteral("not-a-jwt");
    }
    QVERIFY(bad != token);
    const HttpResult r = get(m_nam, url(*server, "/api/me"), bearer(bad));
    QCOMPARE(r.status, 401);
    const QByteArray challenge = r.header("WWW-Authenticate");
    QVERIFY2(challenge.startsWith(R"(Bearer error="invalid_token", error_description=")"),
             challenge.constData());
    QCOMPARE(r.jsonString("error"), QStringLiteral("invalid_token"));
    QCOMPARE(server->stats().value(QStringLiteral("unauthorized")).toInt(), 1);
}

void tst_MockServerApi::insufficientScope()
{
    auto server = startMockServer();
    const QString token = passwordGrant(*server, QStringLiteral("alice"),
                                        QStringLiteral("wonderland"), QStringLiteral("openid"))
                                  .jsonString("access_token");
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(token)).status, 200);
    const HttpResult r = get(m_nam, url(*server, "/api/items"), bearer(token));
    QCOMPARE(r.status, 403);
    QVERIFY(r.header("WWW-Authenticate").contains("error=\"insufficient_scope\""));
}

void tst_MockServerApi::hs256Mode()
{
    ServerConfig config;
    config.signing = ServerConfig::Signing::HS256;
    auto server = startMockServer(config);
    const QString token = accessToken(*server);
    const QJsonObject header
            = QJsonDocument::fromJson(fromB64url(token.toLatin1().split('.')[0])).object();
    QCOMPARE(header.value(QStringLiteral("alg")).toString(), QStringLiteral("HS256"));
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(token)).status, 200);
    // The secret is not published.
    QCOMPARE(get(m_nam, url(*server, "/.well-known/jwks.json"))
                     .json()
                     .value(QStringLiteral("keys"))
                     .toArray()
                     .size(),
             0);
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(tamper(token, 2, 1))).status, 401);
    // A token from an RS256 server (right shape, other algorithm) is refused.
    auto rsServer = startMockServer();
    const QString rsToken = accessToken(*rsServer);
    const HttpResult r = get(m_nam, url(*server, "/api/me"), bearer(rsToken));
    QCOMPARE(r.status, 401);
    QVERIFY(r.header("WWW-Authenticate").contains("invalid_token"));
    // And the other way round.
    QCOMPARE(get(m_nam, url(*rsServer, "/api/me"), bearer(token)).status, 401);
}

void tst_MockServerApi::passwordRateLimitAndLockout()
{
    ServerConfig config;
    config.lockoutSeconds = 1;
    auto server = startMockServer(config);
    for (int i = 0; i < 5; ++i) {
        const HttpResult r = passwordGrant(*server, QStringLiteral("alice"), QStringLiteral("bad"));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.jsonString("error"), QStringLiteral("invalid_grant"));
    }
    // Locked out: even the right password gets 429 with Retry-After (RFC 6585 §4).
    const HttpResult limited = passwordGrant(*server);
    QCOMPARE(limited.status, 429);
    bool ok = false;
    const int retryAfter = limited.header("Retry-After").toInt(&ok);
    QVERIFY(ok);
    QCOMPARE(retryAfter, 1); // the lockout is 1 s
    QVERIFY(!limited.json().contains(QStringLiteral("access_token")));
    const QJsonObject stats = server->stats();
    QCOMPARE(stats.value(QStringLiteral("login_failures")).toInt(), 5);
    QCOMPARE(stats.value(QStringLiteral("rate_limited")).toInt(), 1);
    // Once the lockout is over, the right password works again.
    QTRY_COMPARE_WITH_TIMEOUT(passwordGrant(*server).status, 200, 5000);
}

void tst_MockServerApi::rateLimitPerClient()
{
    ServerConfig config;
    config.users = {{QStringLiteral("u1"), QStringLiteral("p1")},
                    {QStringLiteral("u2"), QStringLiteral("p2")},
                    {QStringLiteral("u3"), QStringLiteral("p3")}};
    auto server = startMockServer(config);
    // Spraying one guess over many accounts trips the per-client limit.
    for (int i = 0; i < 5; ++i) {
        const QString user = QStringLiteral("spray%1").arg(i);
        QCOMPARE(passwordGrant(*server, user, QStringLiteral("guess")).status, 400);
    }
    const HttpResult r = passwordGrant(*server, QStringLiteral("u3"), QStringLiteral("p3"));
    QCOMPARE(r.status, 429);
    QVERIFY(r.header("Retry-After").toInt() >= 1);
}

void tst_MockServerApi::rateLimitOnFormAndCookieLogin()
{
    auto server = startMockServer();
    const QJsonObject wrong {{QStringLiteral("username"), QStringLiteral("alice")},
                             {QStringLiteral("password"), QStringLiteral("nope")}};
    for (int i = 0; i < 5; ++i)
        QCOMPARE(postJson(m_nam, url(*server, "/auth/login"), wrong).status, 401);
    const HttpResult cookie
            = postJson(m_nam, url(*server, "/auth/login"),
                       QJsonObject {{QStringLiteral("username"), QStringLiteral("alice")},
                                    {QStringLiteral("password"), QStringLiteral("wonderland")}});
    QCOMPARE(cookie.status, 429);
    QVERIFY(cookie.header("Retry-After").toInt() >= 1);
    QVERIFY(!cookie.hasHeader("Set-Cookie"));

    // The sign-in form shares the same limiter (user alice is locked).
    const QByteArray challenge
            = b64url(QCryptographicHash::hash(QByteArray(50, 'a'), QCryptographicHash::Sha256));
    const HttpResult form = postForm(
            m_nam, url(*server, "/oauth/authorize"),
            {{QStringLiteral("response_type"), QStringLiteral("code")},
             {QStringLiteral("client_id"), QStringLiteral("demo")},
             {QStringLiteral("redirect_uri"), QStringLiteral("http://127.0.0.1:5555/cb")},
             {QStringLiteral("code_challenge"), QString::fromLatin1(challenge)},
             {QStringLiteral("code_challenge_method"), QStringLiteral("S256")},
             {QStringLiteral("username"), QStringLiteral("alice")},
             {QStringLiteral("password"), QStringLiteral("wonderland")}});
    QCOMPARE(form.status, 429);
    QVERIFY(form.header("Retry-After").toInt() >= 1);
    QVERIFY(!form.hasHeader("Location"));
    QVERIFY(form.body.contains("Too many failed attempts"));
}

void tst_MockServerApi::bodySizeLimit()
{
    auto server = startMockServer();
    const QString token = accessToken(*server);
    HeaderList headers = bearer(token);
    headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/octet-stream")));
    const HttpResult big = send(m_nam, "POST", url(*server, "/api/echo"), headers,
                                QByteArray(64 * 1024 + 1, 'x'));
    QCOMPARE(big.status, 413);
    QCOMPARE(big.jsonString("error"), QStringLiteral("invalid_request"));
    const HttpResult fits
            = send(m_nam, "POST", url(*server, "/api/echo"), headers, QByteArray(64 * 1024, 'x'));
    QCOMPARE(fits.status, 200);
    const HttpResult bigForm = send(m_nam, "POST", url(*server, "/oauth/token"),
                                    {{"Content-Type", "application/x-www-form-urlencoded"}},
                                    "grant_type=password&client_id=demo&username=alice&password="
                                            + QByteArray(70 * 1024, 'p'));
    QCOMPARE(bigForm.status, 413);
    QCOMPARE(server->stats().value(QStringLiteral("login_failures")).toInt(), 0);
}

void tst_MockServerApi::securityHeaders_data()
{
    QTest::addColumn<QByteArray>("verb");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("html");
    QTest::addRow("discovery") << QByteArray("GET") << "/.well-known/openid-configuration" << false;
    QTest::addRow("token error") << QByteArray("POST") << "/oauth/token" << false;
    QTest::addRow("api 401") << QByteArray("GET") << "/api/me" << false;
    QTest::addRow("authorize error page") << QByteArray("GET") << "/oauth/authorize" << true;
    QTest::addRow("404") << QByteArray("GET") << "/nowhere" << false;
}

void tst_MockServerApi::securityHeaders()
{
    QFETCH(QByteArray, verb);
    QFETCH(QString, path);
    QFETCH(bool, html);
    auto server = startMockServer();
    const HttpResult r = send(m_nam, verb, endpoint(server->baseUrl(), path));
    QVERIFY(r.status > 0);
    QCOMPARE(r.header("X-Content-Type-Options"), QByteArray("nosniff"));
    QCOMPARE(r.header("X-Frame-Options"), QByteArray("DENY"));
    QCOMPARE(r.header("Referrer-Policy"), QByteArray("no-referrer"));
    const QByteArray csp = r.header("Content-Security-Policy");
    QVERIFY(csp.contains("default-src 'none'"));
    QVERIFY(csp.contains("frame-ancestors 'none'"));
    QCOMPARE(r.header("Content-Type").startsWith("text/html"), html);
    // Errors and pages are never cached; discovery may be.
    if (path != QLatin1String("/.well-known/openid-configuration"))
        QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
}

void tst_MockServerApi::webSocketUpgradeIsAnswered()
{
    // The server speaks no WebSocket: a request asking to upgrade gets the
    // ordinary answer (RFC 9110 §7.8: the server may ignore Upgrade), then
    // Qt closes the connection. Qt 6.5+ hands such a request to
    // missingHandler() rather than handleRequest().
    auto server = startMockServer();
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server->port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("GET /.well-known/openid-configuration HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    QSignalSpy disconnected(&socket, &QTcpSocket::disconnected);
    QVERIFY(disconnected.wait(5000));
    const QByteArray answer = socket.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.left(80).constData());
    QVERIFY(answer.contains("\"token_endpoint\""));
}

QTEST_GUILESS_MAIN(tst_MockServerApi)
#include "tst_mockserver_api.moc"
