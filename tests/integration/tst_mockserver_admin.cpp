// SPDX-License-Identifier: MIT
// The mock server's admin API (stats, tokens, every fault), --state across a
// restart, and the securetokens-mock-server executable itself.
#include "mockauthserver.h"
#include "mockhttp.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QNetworkCookie>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace MockTest;
using MockTest::startMockServer;
using SecureTokens::Mock::MockAuthServer;
using SecureTokens::Mock::ServerConfig;

class tst_MockServerAdmin : public QObject
{
    Q_OBJECT

private:
    QUrl url(MockAuthServer &server, const char *path)
    {
        return endpoint(server.baseUrl(), QString::fromLatin1(path));
    }
    HttpResult passwordGrant(MockAuthServer &server)
    {
        return postForm(m_nam, url(server, "/oauth/token"),
                        {{QStringLiteral("grant_type"), QStringLiteral("password")},
                         {QStringLiteral("client_id"), QStringLiteral("demo")},
                         {QStringLiteral("username"), QStringLiteral("alice")},
                         {QStringLiteral("password"), QStringLiteral("wonderland")}});
    }
    QByteArray refreshBody(const QString &token)
    {
        return formEncode({{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                           {QStringLiteral("client_id"), QStringLiteral("demo")},
                           {QStringLiteral("refresh_token"), token}});
    }
    HttpResult refresh(MockAuthServer &server, const QString &token)
    {
        return send(m_nam, "POST", url(server, "/oauth/token"),
                    {{"Content-Type", "application/x-www-form-urlencoded"}}, refreshBody(token));
    }
    HttpResult me(MockAuthServer &server, const QString &token)
    {
        return get(m_nam, url(server, "/api/me"), bearer(token));
    }
    HttpResult postFaults(MockAuthServer &server, const QByteArray &json)
    {
        return send(m_nam, "POST", url(server, "/admin/faults"),
                    {{"Content-Type", "application/json"}}, json);
    }
    int stat(MockAuthServer &server, const char *name)
    {
        return server.stats().value(QLatin1String(name)).toInt();
    }

    QNetworkAccessManager m_nam;

private Q_SLOTS:
    void adminAbsentWithoutFlag();
    void statsOverHttpMatchInProcess();
    void tokensListsLiveTokens();
    void rejectAccessTokens();
    void refreshErrors_data();
    void refreshErrors();
    void refreshErrorsApplyInOrderToBothFlows();
    void refreshDropClosesConnection();
    void refreshDelayKeepsServing();
    void refreshDelayClientGoneLosesSuccessor();
    void expireAccessTokens();
    void replayRefreshToken();
    void deleteFaults();
    void malformedFaults_data();
    void malformedFaults();
    void stateSurvivesRestart();
    void executableListensAndStops();
    void executableFlags();
    void executableHelpListsEveryFlag();
    void executableRejectsBadFlags();
};

void tst_MockServerAdmin::adminAbsentWithoutFlag()
{
    auto server = startMockServer({}, false);
    for (const char *path : {"/admin/stats", "/admin/tokens", "/admin/faults"}) {
        QCOMPARE(get(m_nam, url(*server, path)).status, 404);
    }
    QCOMPARE(postFaults(*server, R"({"reject_access_tokens": 1})").status, 404);
    QCOMPARE(send(m_nam, "DELETE", url(*server, "/admin/faults")).status, 404);
    // The fault was not applied.
    QCOMPARE(me(*server, passwordGrant(*server).jsonString("access_token")).status, 200);
    // The in-process API keeps working; tokens are not recorded without admin.
    QCOMPARE(server->tokens().value(QStringLiteral("access_tokens")).toArray().size(), 0);
}

void tst_MockServerAdmin::statsOverHttpMatchInProcess()
{
    auto server = startMockServer();
    const HttpResult grant = passwordGrant(*server);
    me(*server, grant.jsonString("access_token"));
    get(m_nam, url(*server, "/api/me"));
    refresh(*server, grant.jsonString("refresh_token"));
    const HttpResult r = get(m_nam, url(*server, "/admin/stats"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
    const QJsonObject stats = r.json();
    for (const char *key :
         {"password_grants", "refresh_grants", "authorization_code_grants", "reuse_detected",
          "revocations", "protected_requests", "unauthorized", "cookie_logins", "cookie_refreshes",
          "login_failures", "rate_limited", "id_tokens_issued", "device_authorizations",
          "device_polls", "device_slow_downs", "device_approvals", "device_grants"})
        QVERIFY2(stats.contains(QLatin1String(key)), key);
    QCOMPARE(stats.value(QStringLiteral("password_grants")).toInt(), 1);
    QCOMPARE(stats.value(QStringLiteral("refresh_grants")).toInt(), 1);
    QCOMPARE(stats.value(QStringLiteral("protected_requests")).toInt(), 2);
    QCOMPARE(stats.value(QStringLiteral("unauthorized")).toInt(), 1);
    QJsonObject inProcess = server->stats();
    // "requests" counts the GET /admin/stats itself too: compare the rest.
    inProcess.remove(QStringLiteral("requests"));
    QJsonObject overHttp = stats;
    overHttp.remove(QStringLiteral("requests"));
    QCOMPARE(overHttp, inProcess);
    QCOMPARE(send(m_nam, "POST", url(*server, "/admin/stats")).status, 405);
}

void tst_MockServerAdmin::tokensListsLiveTokens()
{
    auto server = startMockServer();
    const HttpResult grant = passwordGrant(*server);
    const QString t0 = grant.jsonString("refresh_token");
    const HttpResult rotated = refresh(*server, t0);
    const QString t1 = rotated.jsonString("refresh_token");
    const HttpResult r = get(m_nam, url(*server, "/admin/tokens"));
    QCOMPARE(r.status, 200);
    const QJsonObject tokens = r.json();
    QCOMPARE(tokens, server->tokens());
    const QJsonArray access = tokens.value(QStringLiteral("access_tokens")).toArray();
    QVERIFY(access.contains(grant.jsonString("access_token")));
    QVERIFY(access.contains(rotated.jsonString("access_token")));
    const QJsonArray refreshTokens = tokens.value(QStringLiteral("refresh_tokens")).toArray();
    QCOMPARE(refreshTokens, QJsonArray {t1});
    // Every one ever answered, for leak scans that look for rotated-away ones too.
    QCOMPARE(tokens.value(QStringLiteral("issued_refresh_tokens")).toArray(),
             (QJsonArray {t0, t1}));
}

void tst_MockServerAdmin::rejectAccessTokens()
{
    auto server = startMockServer();
    const QString token = passwordGrant(*server).jsonString("access_token");
    // Faults accumulate: 1 + 1 = 2 rejections.
    QCOMPARE(postFaults(*server, R"({"reject_access_tokens": 1})").status, 200);
    server->setFaults(QJsonObject {{QStringLiteral("reject_access_tokens"), 1}});
    for (int i = 0; i < 2; ++i) {
        const HttpResult r = me(*server, token);
        QCOMPARE(r.status, 401);
        QVERIFY(r.header("WWW-Authenticate").startsWith("Bearer error=\"invalid_token\""));
    }
    QCOMPARE(me(*server, token).status, 200);
    QCOMPARE(stat(*server, "unauthorized"), 2);
}

void tst_MockServerAdmin::refreshErrors_data()
{
    QTest::addColumn<QByteArray>("fault");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QByteArray>("retryAfter");
    QTest::addRow("500") << QByteArray(R"({"status": 500})") << 500 << "server_error"
                         << QByteArray();
    QTest::addRow("503 + Retry-After") << QByteArray(R"({"status": 503, "retry_after": 1})") << 503
                                       << "temporarily_unavailable" << QByteArray("1");
    QTest::addRow("invalid_grant") << QByteArray(R"({"error": "invalid_grant"})") << 400
                                   << "invalid_grant" << QByteArray();
    QTest::addRow("429") << QByteArray(R"({"status": 429, "retry_after": 7})") << 429
                         << "temporarily_unavailable" << QByteArray("7");
    // A gateway's own page, and JSON without an RFC 6749 error.
    QTest::addRow("401 html") << QByteArray(R"({"status": 401, "body": "html"})") << 401 << ""
                              << QByteArray();
    QTest::addRow("400 json without error")
            << QByteArray(R"({"status": 400, "body": "json"})") << 400 << "" << QByteArray();
}

void tst_MockServerAdmin::refreshErrors()
{
    QFETCH(QByteArray, fault);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(QByteArray, retryAfter);
    auto server = startMockServer();
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    QCOMPARE(postFaults(*server, R"({"refresh_errors": [)" + fault + "]}").status, 200);
    const HttpResult r = refresh(*server, t0);
    QCOMPARE(r.status, status);
    QCOMPARE(r.jsonString("error"), error);
    QCOMPARE(r.header("Retry-After"), retryAfter);
    if (fault.contains("html")) {
        QVERIFY(r.header("Content-Type").startsWith("text/html"));
        QCOMPARE(r.header("WWW-Authenticate"), QByteArray("Basic realm=\"gateway\""));
    }
    QCOMPARE(stat(*server, "faults_applied"), 1);
    QCOMPARE(stat(*server, "refresh_grants"), 0);
    // A faulted refresh consumed nothing: the same token rotates normally now.
    const HttpResult ok = refresh(*server, t0);
    QCOMPARE(ok.status, 200);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
}

void tst_MockServerAdmin::refreshErrorsApplyInOrderToBothFlows()
{
    auto server = startMockServer();
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    const HttpResult login
            = postJson(m_nam, url(*server, "/auth/login"),
                       QJsonObject {{QStringLiteral("username"), QStringLiteral("alice")},
                                    {QStringLiteral("password"), QStringLiteral("wonderland")}});
    const QByteArray cookie
            = QNetworkCookie::parseCookies(login.header("Set-Cookie")).value(0).value();
    const QByteArray csrf = login.jsonString("csrf_token").toLatin1();
    server->setFaults(QJsonObject {
            {QStringLiteral("refresh_errors"),
             QJsonArray {QJsonObject {{QStringLiteral("status"), 500}},
                         QJsonObject {{QStringLiteral("error"), QStringLiteral("invalid_grant")}},
                         QJsonObject {{QStringLiteral("status"), 502}}}}});
    QCOMPARE(refresh(*server, t0).status, 500);
    const HttpResult cookieRefresh
            = send(m_nam, "POST", url(*server, "/auth/refresh"),
                   {{"Cookie", "refresh_token=" + cookie}, {"X-CSRF-Token", csrf}});
    QCOMPARE(cookieRefresh.status, 400);
    QCOMPARE(cookieRefresh.jsonString("error"), QStringLiteral("invalid_grant"));
    QVERIFY(!cookieRefresh.hasHeader("Set-Cookie"));
    const HttpResult third = refresh(*server, t0);
    QCOMPARE(third.status, 502);
    QCOMPARE(third.jsonString("error"), QStringLiteral("server_error"));
    QCOMPARE(refresh(*server, t0).status, 200);
    QCOMPARE(send(m_nam, "POST", url(*server, "/auth/refresh"),
                  {{"Cookie", "refresh_token=" + cookie}, {"X-CSRF-Token", csrf}})
                     .status,
             200);
}

void tst_MockServerAdmin::refreshDropClosesConnection()
{
    auto server = startMockServer();
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    QCOMPARE(postFaults(*server, R"({"refresh_errors": [{"drop": true}]})").status, 200);
    // A raw socket shows exactly what happens on the wire: no bytes, then close.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server->port());
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray body = refreshBody(t0);
    socket.write("POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                 + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QSignalSpy disconnected(&socket, &QTcpSocket::disconnected);
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(socket.readAll(), QByteArray());
    QCOMPARE(stat(*server, "faults_applied"), 1);

    // QNetworkAccessManager silently resends a request once when the connection
    // closes before any byte of the answer: a client sees the failure after two drops.
    QCOMPARE(postFaults(*server, R"({"refresh_errors": [{"drop": true}, {"drop": true}]})").status,
             200);
    const HttpResult viaQnam = refresh(*server, t0);
    QCOMPARE(viaQnam.status, 0);
    QCOMPARE(viaQnam.error, QNetworkReply::RemoteHostClosedError);
    QCOMPARE(stat(*server, "faults_applied"), 3);
    // Nothing was consumed.
    QCOMPARE(refresh(*server, t0).status, 200);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
}

void tst_MockServerAdmin::refreshDelayKeepsServing()
{
    auto server = startMockServer();
    const HttpResult grant = passwordGrant(*server);
    QCOMPARE(postFaults(*server, R"({"refresh_delay_ms": 1500})").status, 200);
    QElapsedTimer clock;
    clock.start();
    QNetworkReply *pending = start(m_nam, "POST", url(*server, "/oauth/token"),
                                   {{"Content-Type", "application/x-www-form-urlencoded"}},
                                   refreshBody(grant.jsonString("refresh_token")));
    // The rotation happens before the delay...
    QTRY_COMPARE_WITH_TIMEOUT(stat(*server, "refresh_grants"), 1, 5000);
    const QJsonArray live = server->tokens().value(QStringLiteral("refresh_tokens")).toArray();
    QCOMPARE(live.size(), 1);
    QVERIFY(live.first().toString() != grant.jsonString("refresh_token"));
    // ...and other requests are served meanwhile.
    const HttpResult other = me(*server, grant.jsonString("access_token"));
    QCOMPARE(other.status, 200);
    QVERIFY(!pending->isFinished());
    const HttpResult delayed = collect(pending, 10000);
    QCOMPARE(delayed.status, 200);
    QVERIFY(clock.elapsed() >= 1400);
    QCOMPARE(delayed.jsonString("refresh_token"), live.first().toString());
}

void tst_MockServerAdmin::refreshDelayClientGoneLosesSuccessor()
{
    auto server = startMockServer();
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    server->setFaults(QJsonObject {{QStringLiteral("refresh_delay_ms"), 2000}});
    QNetworkReply *pending
            = start(m_nam, "POST", url(*server, "/oauth/token"),
                    {{"Content-Type", "application/x-www-form-urlencoded"}}, refreshBody(t0));
    QTRY_COMPARE_WITH_TIMEOUT(stat(*server, "refresh_grants"), 1, 5000);
    pending->abort(); // the "crash": the successor never reaches the client
    pending->deleteLater();
    server->clearFaults();
    QTest::ignoreMessage(QtWarningMsg, "refresh token reuse detected: family revoked");
    const HttpResult r = refresh(*server, t0);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.jsonString("error"), QStringLiteral("invalid_grant"));
    QCOMPARE(stat(*server, "reuse_detected"), 1);
}

void tst_MockServerAdmin::expireAccessTokens()
{
    auto server = startMockServer();
    const HttpResult a = passwordGrant(*server);
    const HttpResult b = passwordGrant(*server);
    QCOMPARE(me(*server, a.jsonString("access_token")).status, 200);
    QCOMPARE(postFaults(*server, R"({"expire_access_tokens": true})").status, 200);
    for (const HttpResult *grant : {&a, &b}) {
        const HttpResult r = me(*server, grant->jsonString("access_token"));
        QCOMPARE(r.status, 401);
        QVERIFY(r.header("WWW-Authenticate").contains("token expired"));
    }
    // Tokens issued afterwards are fine.
    const HttpResult fresh = refresh(*server, a.jsonString("refresh_token"));
    QCOMPARE(me(*server, fresh.jsonString("access_token")).status, 200);
}

void tst_MockServerAdmin::replayRefreshToken()
{
    auto server = startMockServer();
    const QString a0 = passwordGrant(*server).jsonString("refresh_token");
    const QString a1 = refresh(*server, a0).jsonString("refresh_token"); // rotated once
    const HttpResult b = passwordGrant(*server); // never rotated
    QCOMPARE(stat(*server, "live_families"), 2);
    QCOMPARE(postFaults(*server, R"({"replay_refresh_token": true})").status, 200);
    QCOMPARE(stat(*server, "reuse_detected"), 2);
    QCOMPARE(stat(*server, "live_families"), 0);
    QCOMPARE(refresh(*server, a1).jsonString("error"), QStringLiteral("invalid_grant"));
    QCOMPARE(refresh(*server, b.jsonString("refresh_token")).jsonString("error"),
             QStringLiteral("invalid_grant"));
    QCOMPARE(me(*server, b.jsonString("access_token")).status, 401);
}

void tst_MockServerAdmin::deleteFaults()
{
    auto server = startMockServer();
    const HttpResult grant = passwordGrant(*server);
    QCOMPARE(postFaults(*server, R"({"reject_access_tokens": 5, "refresh_errors": [{"status": 500}],
                                     "refresh_delay_ms": 3000})")
                     .status,
             200);
    const HttpResult current = get(m_nam, url(*server, "/admin/faults"));
    QCOMPARE(current.json().value(QStringLiteral("reject_access_tokens")).toInt(), 5);
    QCOMPARE(current.json().value(QStringLiteral("refresh_errors")).toArray().size(), 1);
    const HttpResult cleared = send(m_nam, "DELETE", url(*server, "/admin/faults"));
    QCOMPARE(cleared.status, 200);
    QCOMPARE(cleared.json().value(QStringLiteral("reject_access_tokens")).toInt(), 0);
    QCOMPARE(cleared.json().value(QStringLiteral("refresh_delay_ms")).toInt(), 0);
    QCOMPARE(me(*server, grant.jsonString("access_token")).status, 200);
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(refresh(*server, grant.jsonString("refresh_token")).status, 200);
    QVERIFY(clock.elapsed() < 2500);
    QCOMPARE(stat(*server, "faults_applied"), 0);
}

void tst_MockServerAdmin::malformedFaults_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addRow("not json") << QByteArray("reject_access_tokens=1");
    QTest::addRow("array") << QByteArray("[1, 2]");
    QTest::addRow("unknown fault") << QByteArray(R"({"explode": true})");
    QTest::addRow("negative count") << QByteArray(R"({"reject_access_tokens": -1})");
    QTest::addRow("errors not an array") << QByteArray(R"({"refresh_errors": {"status": 500}})");
    QTest::addRow("empty error entry") << QByteArray(R"({"refresh_errors": [{}]})");
}

void tst_MockServerAdmin::malformedFaults()
{
    QFETCH(QByteArray, json);
    auto server = startMockServer();
    const HttpResult r = postFaults(*server, json);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.jsonString("error"), QStringLiteral("invalid_request"));
    // Nothing half-applied.
    const QJsonObject faults = get(m_nam, url(*server, "/admin/faults")).json();
    QCOMPARE(faults.value(QStringLiteral("reject_access_tokens")).toInt(), 0);
    QCOMPARE(faults.value(QStringLiteral("refresh_errors")).toArray().size(), 0);
}

void tst_MockServerAdmin::stateSurvivesRestart()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerConfig config;
    config.stateFile = dir.filePath(QStringLiteral("state.json"));
    QString t0, t1, kid;
    {
        auto first = startMockServer(config);
        t0 = passwordGrant(*first).jsonString("refresh_token");
        t1 = refresh(*first, t0).jsonString("refresh_token");
        QVERIFY(!t1.isEmpty());
        kid = get(m_nam, url(*first, "/.well-known/jwks.json"))
                      .json()
                      .value(QStringLiteral("keys"))
                      .toArray()
                      .first()
                      .toObject()
                      .value(QStringLiteral("kid"))
                      .toString();
    }
    QFile file(config.stateFile);
    QVERIFY(file.exists());
    // Owner-only: it holds the signing key.
    const auto perms = file.permissions();
    QVERIFY(perms & QFileDevice::ReadOwner);
    QVERIFY(!(perms
              & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup
                 | QFileDevice::WriteOther)));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray content = file.readAll();
    file.close();
    // Only hashes of refresh tokens, never the tokens (nor passwords).
    QVERIFY(!content.contains(t0.toLatin1()));
    QVERIFY(!content.contains(t1.toLatin1()));
    QVERIFY(!content.contains("wonderland"));

    QString t2;
    {
        auto second = startMockServer(config);
        const QString kid2 = get(m_nam, url(*second, "/.well-known/jwks.json"))
                                     .json()
                                     .value(QStringLiteral("keys"))
                                     .toArray()
                                     .first()
                                     .toObject()
                                     .value(QStringLiteral("kid"))
                                     .toString();
        QCOMPARE(kid2, kid); // same signing key
        const HttpResult r = refresh(*second, t1);
        QCOMPARE(r.status, 200);
        t2 = r.jsonString("refresh_token");
        QCOMPARE(me(*second, r.jsonString("access_token")).status, 200);
        // Reuse detection spans restarts too.
        QTest::ignoreMessage(QtWarningMsg, "refresh token reuse detected: family revoked");
        QCOMPARE(refresh(*second, t0).jsonString("error"), QStringLiteral("invalid_grant"));
    }
    {
        auto third = startMockServer(config);
        // The revocation was persisted.
        QCOMPARE(refresh(*third, t2).jsonString("error"), QStringLiteral("invalid_grant"));
        QCOMPARE(stat(*third, "live_families"), 0);
    }
}

void tst_MockServerAdmin::executableListensAndStops()
{
    MockServerProcess process;
    QVERIFY2(process.start({QStringLiteral("--admin")}), qPrintable(process.firstLine()));
    QVERIFY2(QRegularExpression(QStringLiteral("^listening on http://127\\.0\\.0\\.1:[0-9]{1,5}$"))
                     .match(process.firstLine())
                     .hasMatch(),
             qPrintable(process.firstLine()));
    const QUrl base = process.baseUrl();
    const HttpResult discovery
            = get(m_nam, endpoint(base, QStringLiteral("/.well-known/openid-configuration")));
    QCOMPARE(discovery.status, 200);
    QCOMPARE(discovery.jsonString("issuer"), base.toString());
    QCOMPARE(get(m_nam, endpoint(base, QStringLiteral("/admin/stats"))).status, 200);
    // SIGTERM → clean exit with status 0.
    QVERIFY(process.stop());
}

void tst_MockServerAdmin::executableFlags()
{
    QTemporaryDir dir;
    MockServerProcess process;
    QVERIFY(process.start({QStringLiteral("--user"), QStringLiteral("bob:se cret"),
                           QStringLiteral("--user"), QStringLiteral("carol:x"),
                           QStringLiteral("--client"), QStringLiteral("cli"),
                           QStringLiteral("--access-ttl"), QStringLiteral("60"),
                           QStringLiteral("--signing"), QStringLiteral("HS256"),
                           QStringLiteral("--state"), dir.filePath(QStringLiteral("s.json"))}));
    const QUrl token = endpoint(process.baseUrl(), QStringLiteral("/oauth/token"));
    const auto grant = [&](const QString &client, const QString &user, const QString &pw) {
        return postForm(m_nam, token,
                        {{QStringLiteral("grant_type"), QStringLiteral("password")},
                         {QStringLiteral("client_id"), client},
                         {QStringLiteral("username"), user},
                         {QStringLiteral("password"), pw}});
    };
    const HttpResult bob
            = grant(QStringLiteral("cli"), QStringLiteral("bob"), QStringLiteral("se cret"));
    QCOMPARE(bob.status, 200);
    QCOMPARE(bob.json().value(QStringLiteral("expires_in")).toInt(), 60);
    QVERIFY(bob.jsonString("access_token").startsWith(QLatin1String("eyJhbGciOiJIUzI1NiI")));
    QCOMPARE(grant(QStringLiteral("cli"), QStringLiteral("alice"), QStringLiteral("wonderland"))
                     .status,
             400); // the default user is replaced
    QCOMPARE(grant(QStringLiteral("demo"), QStringLiteral("carol"), QStringLiteral("x")).status,
             401); // and so is the default client
    // /admin is off without --admin.
    QCOMPARE(get(m_nam, endpoint(process.baseUrl(), QStringLiteral("/admin/stats"))).status, 404);
    QVERIFY(process.stop());
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("s.json"))));
}

void tst_MockServerAdmin::executableHelpListsEveryFlag()
{
    QProcess process;
    process.start(MockServerProcess::executable(), {QStringLiteral("--help")});
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitCode(), 0);
    const QByteArray help = process.readAllStandardOutput();
    for (const char *flag : {"--port", "--bind", "--access-ttl", "--refresh-ttl", "--reuse-grace",
                             "--user", "--client", "--admin", "--state", "--signing", "--help",
                             "--max-login-failures", "--lockout"})
        QVERIFY2(help.contains(flag), flag);
}

void tst_MockServerAdmin::executableRejectsBadFlags()
{
    for (const QStringList &args :
         {QStringList {QStringLiteral("--signing"), QStringLiteral("ES256")},
          QStringList {QStringLiteral("--port"), QStringLiteral("99999")},
          QStringList {QStringLiteral("--user"), QStringLiteral("nocolon")},
          QStringList {QStringLiteral("--bind"), QStringLiteral("not-an-address")},
          QStringList {QStringLiteral("--access-ttl"), QStringLiteral("-5")}}) {
        QProcess process;
        process.start(MockServerProcess::executable(), args);
        QVERIFY(process.waitForFinished(10000));
        QVERIFY2(process.exitCode() != 0, qPrintable(args.join(QLatin1Char(' '))));
        QVERIFY(process.readAllStandardOutput().isEmpty()); // never claims to listen
        QVERIFY(!process.readAllStandardError().isEmpty());
    }
}

QTEST_GUILESS_MAIN(tst_MockServerAdmin)
#include "tst_mockserver_admin.moc"
