// SPDX-License-Identifier: MIT
// Resource indicators (RFC 8707) and Auth0's audience at the mock server:
// the access token's aud by grant and by refresh, invalid_target; extra
// resource servers per audience (in-process and --api-listen), each taking
// only its own tokens, with their own counters.
#include "mockserverrequests.h"

using namespace MockTest;

namespace {
const QString apiA = QStringLiteral("https://api.a.example");
const QString apiB = QStringLiteral("https://api.b.example/v1");
} // namespace

class tst_MockServerResources : public QObject, public Fixture
{
    Q_OBJECT

private:
    static QJsonValue aud(const HttpResult &tokens)
    {
        return jwtPart(tokens.jsonString("access_token"), 1).value(str("aud"));
    }
    static FormList resources(const QStringList &list)
    {
        FormList out;
        for (const QString &r : list)
            out.append({str("resource"), r});
        return out;
    }

private Q_SLOTS:
    void withoutResourceAsToday();
    void passwordGrantResource();
    void severalResources();
    void auth0Audience();
    void authorizationCodeResources();
    void refreshPicksOneResource();
    void refreshOfUnrestrictedGrant();
    void invalidTarget_data();
    void invalidTarget();
    void authorizeInvalidTarget();
    void listenersCheckAudience();
    void mainListenerTakesEveryToken();
    void perAudienceCounters();
    void addApiListenerNeedsListen();
    void executableApiListen();
};

void tst_MockServerResources::withoutResourceAsToday()
{
    auto server = startServer();
    const HttpResult tokens = passwordGrant(*server);
    QCOMPARE(aud(tokens), QJsonValue(str("demo")));
    QCOMPARE(aud(refresh(*server, tokens.jsonString("refresh_token"))), QJsonValue(str("demo")));
}

void tst_MockServerResources::passwordGrantResource()
{
    auto server = startServer();
    const HttpResult tokens = passwordGrant(*server, resources({apiA}));
    QCOMPARE(tokens.status, 200);
    QCOMPARE(aud(tokens), QJsonValue(apiA));
    // The client is still named in client_id.
    QCOMPARE(jwtPart(tokens.jsonString("access_token"), 1).value(str("client_id")).toString(),
             str("demo"));
    // A refresh without resource gets the grant's resources again.
    QCOMPARE(aud(refresh(*server, tokens.jsonString("refresh_token"))), QJsonValue(apiA));
}

void tst_MockServerResources::severalResources()
{
    auto server = startServer();
    const HttpResult tokens = passwordGrant(*server, resources({apiA, apiB}));
    QCOMPARE(aud(tokens), QJsonValue(QJsonArray {apiA, apiB}));
}

void tst_MockServerResources::auth0Audience()
{
    auto server = startServer();
    // Auth0's audience is an identifier, not necessarily a URI.
    const HttpResult tokens = passwordGrant(*server, {{str("audience"), str("my-api")}});
    QCOMPARE(tokens.status, 200);
    QCOMPARE(aud(tokens), QJsonValue(str("my-api")));
    const HttpResult code = codeFlow(*server, {{str("audience"), str("my-api")}});
    QCOMPARE(aud(code), QJsonValue(str("my-api")));
}

void tst_MockServerResources::authorizationCodeResources()
{
    auto server = startServer();
    // RFC 8707 §2.1: the authorization request names both, the token request one.
    const HttpResult narrowed = codeFlow(*server, resources({apiA, apiB}), resources({apiB}));
    QCOMPARE(narrowed.status, 200);
    QCOMPARE(aud(narrowed), QJsonValue(apiB));
    // The ID token is still for the client.
    QCOMPARE(jwtPart(narrowed.jsonString("id_token"), 1).value(str("aud")).toString(), str("demo"));
    const HttpResult all = codeFlow(*server, resources({apiA, apiB}));
    QCOMPARE(aud(all), QJsonValue(QJsonArray {apiA, apiB}));
    const HttpResult other = codeFlow(*server, resources({apiA}), resources({apiB}));
    QCOMPARE(other.status, 400);
    QCOMPARE(other.jsonString("error"), str("invalid_target"));
}

void tst_MockServerResources::refreshPicksOneResource()
{
    auto server = startServer();
    const HttpResult tokens = codeFlow(*server, resources({apiA, apiB}), resources({apiA}));
    QString rt = tokens.jsonString("refresh_token");
    // RFC 8707 §2.2: a refresh may ask for any one of the grant's resources...
    const HttpResult b = refresh(*server, rt, resources({apiB}));
    QCOMPARE(b.status, 200);
    QCOMPARE(aud(b), QJsonValue(apiB));
    rt = b.jsonString("refresh_token");
    const HttpResult a = refresh(*server, rt, resources({apiA}));
    QCOMPARE(aud(a), QJsonValue(apiA));
    rt = a.jsonString("refresh_token");
    // ...but not another, and that refusal consumes nothing.
    const HttpResult refused = refresh(*server, rt, resources({str("https://api.c.example")}));
    QCOMPARE(refused.status, 400);
    QCOMPARE(refused.jsonString("error"), str("invalid_target"));
    QCOMPARE(refresh(*server, rt).status, 200);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
}

void tst_MockServerResources::refreshOfUnrestrictedGrant()
{
    auto server = startServer();
    const QString rt = passwordGrant(*server).jsonString("refresh_token");
    const HttpResult a = refresh(*server, rt, resources({apiA}));
    QCOMPARE(a.status, 200);
    QCOMPARE(aud(a), QJsonValue(apiA));
}

void tst_MockServerResources::invalidTarget_data()
{
    QTest::addColumn<QString>("resource");
    QTest::addRow("relative") << "/api";
    QTest::addRow("fragment") << "https://api.a.example/#frag";
    QTest::addRow("not a URI") << "api a";
}

void tst_MockServerResources::invalidTarget()
{
    QFETCH(QString, resource);
    auto server = startServer();
    const HttpResult r = passwordGrant(*server, resources({resource}));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.jsonString("error"), str("invalid_target"));
    QVERIFY(!r.jsonString("error_description").isEmpty());
    QCOMPARE(stat(*server, "password_grants"), 0);
}

void tst_MockServerResources::authorizeInvalidTarget()
{
    auto server = startServer();
    const Pkce pkce;
    const HttpResult r
            = signIn(*server, authorizeParams(pkce.challenge) + resources({str("urn:x#y")}));
    QCOMPARE(r.status, 302);
    QCOMPARE(queryValue(r, "error"), str("invalid_target"));
    QCOMPARE(queryValue(r, "state"), str("st-1"));
    QVERIFY(!redirectQuery(r).hasQueryItem(str("code")));
    // Other parameters still may not repeat.
    const HttpResult repeated = signIn(
            *server,
            authorizeParams(pkce.challenge)
                    + FormList {{str("scope"), str("openid")}, {str("scope"), str("email")}});
    QCOMPARE(repeated.status, 400);
}

void tst_MockServerResources::listenersCheckAudience()
{
    ServerConfig config;
    config.apiListeners = {{QHostAddress(QHostAddress::LocalHost), 0, apiA}};
    auto server = startServer(config);
    const QUrl urlB = server->addApiListener(apiB);
    QVERIFY(urlB.isValid() && urlB.port() > 0);
    const QUrl urlA = server->apiBaseUrl(apiA);
    QVERIFY(urlA.port() > 0 && urlA.port() != urlB.port() && urlA.port() != server->port());
    QCOMPARE(server->apiBaseUrls(), (QList<QUrl> {urlA, urlB}));

    const QString tokenA = passwordGrant(*server, resources({apiA})).jsonString("access_token");
    const QString tokenAB
            = passwordGrant(*server, resources({apiA, apiB})).jsonString("access_token");
    const QString plain = passwordGrant(*server).jsonString("access_token");
    for (const char *path : {"/api/me", "/api/items", "/api/echo"}) {
        QCOMPARE(get(nam, endpoint(urlA, str(path)), bearer(tokenA)).status, 200);
        QCOMPARE(get(nam, endpoint(urlB, str(path)), bearer(tokenAB)).status, 200);
        // A token of audience A at listener B, and today's token at either.
        for (const auto &[base, token] : {qMakePair(urlB, tokenA), qMakePair(urlA, plain)}) {
            const HttpResult r = get(nam, endpoint(base, str(path)), bearer(token));
            QCOMPARE(r.status, 401);
            QVERIFY(r.header("WWW-Authenticate").startsWith("Bearer error=\"invalid_token\""));
            QVERIFY(r.header("WWW-Authenticate").contains("aud"));
        }
    }
    QCOMPARE(get(nam, endpoint(urlA, str("/api/me")), bearer(tokenA)).jsonString("sub"),
             str("alice"));
    // The extra listeners are resource servers only.
    QCOMPARE(get(nam, endpoint(urlA, str("/.well-known/openid-configuration"))).status, 404);
    QCOMPARE(postForm(nam, endpoint(urlA, str("/oauth/token")), {}).status, 404);
    QCOMPARE(get(nam, endpoint(urlA, str("/admin/stats"))).status, 404);
}

void tst_MockServerResources::mainListenerTakesEveryToken()
{
    auto server = startServer();
    QVERIFY(!server->addApiListener(apiA).isEmpty());
    const QString tokenA = passwordGrant(*server, resources({apiA})).jsonString("access_token");
    QCOMPARE(get(nam, url(*server, "/api/me"), bearer(tokenA)).status, 200);
    QCOMPARE(get(nam, url(*server, "/api/me"),
                 bearer(passwordGrant(*server).jsonString("access_token")))
                     .status,
             200);
}

void tst_MockServerResources::perAudienceCounters()
{
    auto server = startServer();
    const QUrl urlA = server->addApiListener(apiA);
    QJsonObject counters
            = server->stats().value(str("audiences")).toObject().value(apiA).toObject();
    QCOMPARE(counters.value(str("requests")).toInt(), 0);
    QCOMPARE(counters.value(str("unauthorized")).toInt(), 0);
    QCOMPARE(counters.value(str("authorized_requests")).toInt(), 0);
    const QString tokenA = passwordGrant(*server, resources({apiA})).jsonString("access_token");
    const QString plain = passwordGrant(*server).jsonString("access_token");
    QCOMPARE(get(nam, endpoint(urlA, str("/api/me")), bearer(tokenA)).status, 200);
    QCOMPARE(get(nam, endpoint(urlA, str("/api/me")), bearer(plain)).status, 401);
    QCOMPARE(get(nam, endpoint(urlA, str("/api/me"))).status, 401);
    const HttpResult stats = get(nam, url(*server, "/admin/stats"));
    counters = stats.json().value(str("audiences")).toObject().value(apiA).toObject();
    QCOMPARE(counters.value(str("requests")).toInt(), 3);
    QCOMPARE(counters.value(str("authorized_requests")).toInt(), 1);
    QCOMPARE(counters.value(str("unauthorized")).toInt(), 2);
    // The main listener's counters are its own.
    QCOMPARE(stat(*server, "protected_requests"), 0);
    QCOMPARE(stat(*server, "unauthorized"), 0);
}

void tst_MockServerResources::addApiListenerNeedsListen()
{
    MockAuthServer server(ServerConfig {});
    QVERIFY(server.addApiListener(apiA).isEmpty());
    QVERIFY(!server.errorString().isEmpty());
    QVERIFY(server.apiBaseUrls().isEmpty());
}

void tst_MockServerResources::executableApiListen()
{
    MockServerProcess process;
    QVERIFY(process.start({str("--api-listen"), str("127.0.0.1:0=") + apiA, str("--api-listen"),
                           str("[::1]:0=") + apiB}));
    // After the first line, one line per extra resource server.
    QMap<QString, QUrl> apis;
    QProcess &p = process.process();
    while (apis.size() < 2) {
        while (!p.canReadLine())
            QVERIFY(p.waitForReadyRead(10000));
        const QString line = QString::fromUtf8(p.readLine()).trimmed();
        const QString prefix = str("api listening on ");
        QVERIFY2(line.startsWith(prefix), qPrintable(line));
        const int forAt = line.indexOf(str(" for "));
        apis.insert(line.mid(forAt + 5), QUrl(line.mid(prefix.size(), forAt - prefix.size())));
    }
    QCOMPARE(apis.value(apiA).host(), str("127.0.0.1"));
    QCOMPARE(apis.value(apiB).host(), str("::1"));
    const HttpResult tokens = postForm(nam, endpoint(process.baseUrl(), str("/oauth/token")),
                                       {{str("grant_type"), str("password")},
                                        {str("client_id"), str("demo")},
                                        {str("username"), str("alice")},
                                        {str("password"), str("wonderland")},
                                        {str("resource"), apiB}});
    const QString token = tokens.jsonString("access_token");
    QCOMPARE(get(nam, endpoint(apis.value(apiB), str("/api/me")), bearer(token)).status, 200);
    QCOMPARE(get(nam, endpoint(apis.value(apiA), str("/api/me")), bearer(token)).status, 401);
    QVERIFY(process.stop());
    MockServerProcess bad;
    QVERIFY(!bad.start({str("--api-listen"), str("127.0.0.1:0")}));
}

QTEST_GUILESS_MAIN(tst_MockServerResources)
#include "tst_mockserver_resources.moc"
