// SPDX-License-Identifier: MIT
// The mock server's web-app-style cookie session: /auth/login, /auth/refresh,
// /auth/logout, cookie attributes, CSRF checks and rotation with reuse detection.
#include "mockauthserver.h"
#include "mockhttp.h"

#include <QNetworkCookie>
#include <QTest>

#include <memory>

using namespace MockTest;
using MockTest::startMockServer;
using SecureTokens::Mock::MockAuthServer;
using SecureTokens::Mock::ServerConfig;

namespace {

struct CookieSession
{
    QByteArray cookie; //!< value of the refresh_token cookie
    QByteArray csrf;
    QString accessToken;
};

QNetworkCookie parseSetCookie(const HttpResult &r)
{
    const QList<QNetworkCookie> cookies = QNetworkCookie::parseCookies(r.header("Set-Cookie"));
    return cookies.value(0);
}

} // namespace

class tst_MockServerCookie : public QObject
{
    Q_OBJECT

private:
    QUrl url(MockAuthServer &server, const char *path)
    {
        return endpoint(server.baseUrl(), QString::fromLatin1(path));
    }
    HttpResult login(MockAuthServer &server, const QString &password = QStringLiteral("wonderland"))
    {
        return postJson(m_nam, url(server, "/auth/login"),
                        QJsonObject {{QStringLiteral("username"), QStringLiteral("alice")},
                                     {QStringLiteral("password"), password}});
    }
    CookieSession signIn(MockAuthServer &server)
    {
        const HttpResult r = login(server);
        return CookieSession {parseSetCookie(r).value(), r.jsonString("csrf_token").toLatin1(),
                              r.jsonString("access_token")};
    }
    HttpResult call(MockAuthServer &server, const char *path, const QByteArray &cookie,
                    const QByteArray &csrf)
    {
        HeaderList headers;
        if (!cookie.isNull())
            headers.append({"Cookie", "theme=dark; refresh_token=" + cookie});
        if (!csrf.isNull())
            headers.append({"X-CSRF-Token", csrf});
        return send(m_nam, "POST", url(server, path), headers);
    }

    QNetworkAccessManager m_nam;

private Q_SLOTS:
    void loginSetsCookie();
    void loginErrors_data();
    void loginErrors();
    void refreshRotatesCookie();
    void refreshReuseRevokesFamily();
    void refreshNeedsCsrf_data();
    void refreshNeedsCsrf();
    void refreshWithoutCookie();
    void logout();
    void logoutNeedsCsrf();
};

void tst_MockServerCookie::loginSetsCookie()
{
    auto server = startMockServer();
    const HttpResult r = login(*server);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
    const QJsonObject body = r.json();
    QCOMPARE(body.value(QStringLiteral("token_type")).toString(), QStringLiteral("Bearer"));
    QCOMPARE(body.value(QStringLiteral("expires_in")).toInt(), 900);
    QVERIFY(!body.value(QStringLiteral("csrf_token")).toString().isEmpty());
    // The refresh token is only in the cookie, never in the body.
    QVERIFY(!body.contains(QStringLiteral("refresh_token")));

    const QByteArray raw = r.header("Set-Cookie");
    QVERIFY(raw.contains("; HttpOnly"));
    QVERIFY(raw.contains("; Secure"));
    QVERIFY(raw.contains("; SameSite=Strict"));
    QVERIFY(raw.contains("; Path=/auth"));
    QVERIFY(raw.contains("; Max-Age=2592000"));
    const QNetworkCookie cookie = parseSetCookie(r);
    QCOMPARE(cookie.name(), QByteArray("refresh_token"));
    QCOMPARE(cookie.value().size(), 43);
    QVERIFY(cookie.isHttpOnly());
    QVERIFY(cookie.isSecure());
    QCOMPARE(cookie.path(), QStringLiteral("/auth"));
#if QT_VERSION >= QT_VERSION_CHECK(6, 1, 0)
    QCOMPARE(cookie.sameSitePolicy(), QNetworkCookie::SameSite::Strict);
#endif

    const HttpResult profile = get(m_nam, url(*server, "/api/me"),
                                   bearer(body.value(QStringLiteral("access_token")).toString()));
    QCOMPARE(profile.status, 200);
    QCOMPARE(profile.jsonString("sub"), QStringLiteral("alice"));
    QCOMPARE(server->stats().value(QStringLiteral("cookie_logins")).toInt(), 1);
}

void tst_MockServerCookie::loginErrors_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addRow("wrong password")
            << QByteArray("application/json")
            << QByteArray(R"({"username":"alice","password":"x"})") << 401 << "invalid_grant";
    QTest::addRow("unknown user") << QByteArray("application/json")
                                  << QByteArray(R"({"username":"mallory","password":"x"})") << 401
                                  << "invalid_grant";
    QTest::addRow("missing password")
            << QByteArray("application/json") << QByteArray(R"({"username":"alice"})") << 400
            << "invalid_request";
    QTest::addRow("not json") << QByteArray("application/json") << QByteArray("username=alice")
                              << 400 << "invalid_request";
    QTest::addRow("form encoded") << QByteArray("application/x-www-form-urlencoded")
                                  << QByteArray("username=alice&password=wonderland") << 400
                                  << "invalid_request";
}

void tst_MockServerCookie::loginErrors()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, error);
    auto server = startMockServer();
    const HttpResult r = send(m_nam, "POST", url(*server, "/auth/login"),
                              {{"Content-Type", contentType}}, body);
    QCOMPARE(r.status, status);
    QCOMPARE(r.jsonString("error"), error);
    QVERIFY(!r.hasHeader("Set-Cookie"));
    QCOMPARE(server->stats().value(QStringLiteral("cookie_logins")).toInt(), 0);
    const HttpResult wrongMethod = get(m_nam, url(*server, "/auth/login"));
    QCOMPARE(wrongMethod.status, 405);
    QCOMPARE(wrongMethod.header("Allow"), QByteArray("POST"));
}

void tst_MockServerCookie::refreshRotatesCookie()
{
    auto server = startMockServer();
    const CookieSession s = signIn(*server);
    const HttpResult r = call(*server, "/auth/refresh", s.cookie, s.csrf);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
    const QNetworkCookie rotated = parseSetCookie(r);
    QCOMPARE(rotated.name(), QByteArray("refresh_token"));
    QVERIFY(rotated.value() != s.cookie);
    QVERIFY(rotated.isHttpOnly() && rotated.isSecure());
    QCOMPARE(rotated.path(), QStringLiteral("/auth"));
    const QByteArray csrf2 = r.jsonString("csrf_token").toLatin1();
    QVERIFY(!csrf2.isEmpty());
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(r.jsonString("access_token"))).status, 200);
    // The next refresh uses the new cookie and the new CSRF token.
    const HttpResult next = call(*server, "/auth/refresh", rotated.value(), csrf2);
    QCOMPARE(next.status, 200);
    QCOMPARE(server->stats().value(QStringLiteral("cookie_refreshes")).toInt(), 2);
    // The CSRF token of a previous round no longer matches.
    const QByteArray cookie3 = parseSetCookie(next).value();
    QCOMPARE(call(*server, "/auth/refresh", cookie3, csrf2).status, 403);
}

void tst_MockServerCookie::refreshReuseRevokesFamily()
{
    auto server = startMockServer();
    const CookieSession s = signIn(*server);
    const HttpResult first = call(*server, "/auth/refresh", s.cookie, s.csrf);
    const QByteArray newCookie = parseSetCookie(first).value();
    const QByteArray newCsrf = first.jsonString("csrf_token").toLatin1();
    const QString access = first.jsonString("access_token");

    QTest::ignoreMessage(QtWarningMsg, "refresh cookie reuse detected: family revoked");
    // The old cookie again (its family's CSRF token is the new one): theft.
    const HttpResult reuse = call(*server, "/auth/refresh", s.cookie, newCsrf);
    QCOMPARE(reuse.status, 401);
    QCOMPARE(reuse.jsonString("error"), QStringLiteral("invalid_grant"));
    QVERIFY(reuse.header("Set-Cookie").contains("Max-Age=0"));
    QCOMPARE(server->stats().value(QStringLiteral("reuse_detected")).toInt(), 1);
    QCOMPARE(call(*server, "/auth/refresh", newCookie, newCsrf).status, 401);
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(access)).status, 401);
}

void tst_MockServerCookie::refreshNeedsCsrf_data()
{
    QTest::addColumn<bool>("withHeader");
    QTest::addColumn<QByteArray>("csrf");
    QTest::addRow("missing header") << false << QByteArray();
    QTest::addRow("wrong token") << true << QByteArray("not-the-csrf-token");
}

void tst_MockServerCookie::refreshNeedsCsrf()
{
    QFETCH(bool, withHeader);
    QFETCH(QByteArray, csrf);
    auto server = startMockServer();
    const CookieSession s = signIn(*server);
    const HttpResult r = call(*server, "/auth/refresh", s.cookie, withHeader ? csrf : QByteArray());
    QCOMPARE(r.status, 403);
    QVERIFY(r.header("Content-Type").startsWith("application/json"));
    QCOMPARE(r.jsonString("error"), QStringLiteral("csrf_failed"));
    QVERIFY(!r.hasHeader("Set-Cookie"));
    QCOMPARE(server->stats().value(QStringLiteral("csrf_failures")).toInt(), 1);
    // Nothing was consumed: the right CSRF token still works with the same cookie.
    QCOMPARE(call(*server, "/auth/refresh", s.cookie, s.csrf).status, 200);
}

void tst_MockServerCookie::refreshWithoutCookie()
{
    auto server = startMockServer();
    const CookieSession s = signIn(*server);
    const HttpResult none = call(*server, "/auth/refresh", QByteArray(), s.csrf);
    QCOMPARE(none.status, 401);
    QCOMPARE(none.jsonString("error"), QStringLiteral("invalid_grant"));
    const HttpResult unknown = call(*server, "/auth/refresh", "forged", s.csrf);
    QCOMPARE(unknown.status, 401);
    QVERIFY(unknown.header("Set-Cookie").contains("Max-Age=0"));
    QCOMPARE(get(m_nam, url(*server, "/auth/refresh")).status, 405);
}

void tst_MockServerCookie::logout()
{
    auto server = startMockServer();
    const CookieSession s = signIn(*server);
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(s.accessToken)).status, 200);
    const HttpResult r = call(*server, "/auth/logout", s.cookie, s.csrf);
    QCOMPARE(r.status, 200);
    const QByteArray cleared = r.header("Set-Cookie");
    QVERIFY(cleared.startsWith("refresh_token=;"));
    QVERIFY(cleared.contains("Max-Age=0"));
    QVERIFY(cleared.contains("Path=/auth"));
    QVERIFY(cleared.contains("HttpOnly"));
    QCOMPARE(server->stats().value(QStringLiteral("cookie_logouts")).toInt(), 1);
    // The family is gone: the cookie and the access token stop working.
    QCOMPARE(call(*server, "/auth/refresh", s.cookie, s.csrf).status, 401);
    QCOMPARE(get(m_nam, url(*server, "/api/me"), bearer(s.accessToken)).status, 401);
    QCOMPARE(server->stats().value(QStringLiteral("live_families")).toInt(), 0);
}

void tst_MockServerCookie::logoutNeedsCsrf()
{
    auto server = startMockServer();
    const CookieSession s = signIn(*server);
    QCOMPARE(call(*server, "/auth/logout", s.cookie, QByteArray()).status, 403);
    const HttpResult wrong = call(*server, "/auth/logout", s.cookie, "wrong");
    QCOMPARE(wrong.status, 403);
    QCOMPARE(wrong.jsonString("error"), QStringLiteral("csrf_failed"));
    QVERIFY(!wrong.hasHeader("Set-Cookie"));
    // Still signed in.
    QCOMPARE(server->stats().value(QStringLiteral("live_families")).toInt(), 1);
    QCOMPARE(call(*server, "/auth/refresh", s.cookie, s.csrf).status, 200);
}

QTEST_GUILESS_MAIN(tst_MockServerCookie)
#include "tst_mockserver_cookie.moc"
