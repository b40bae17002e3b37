// SPDX-License-Identifier: MIT
// Pushed Authorization Requests (RFC 9126) at the mock server: pushing,
// authorizing with the request_uri (one-time, expiring, bound to the client),
// client authentication at the PAR endpoint, --require-par, discovery.
#include "mockserverrequests.h"

using namespace MockTest;

class tst_MockServerPar : public QObject, public Fixture
{
    Q_OBJECT

private:
    QUrl par(const MockAuthServer &server) { return url(server, "/oauth/par"); }
    HttpResult push(const MockAuthServer &server, const FormList &params,
                    const HeaderList &headers = {})
    {
        return postForm(nam, par(server), params, headers);
    }
    //! Signs in with only client_id and request_uri, as the browser would after PAR.
    HttpResult signInPushed(const MockAuthServer &server, const QString &requestUri,
                            const QString &client = str("demo"))
    {
        return signIn(server, {{str("client_id"), client}, {str("request_uri"), requestUri}});
    }

private Q_SLOTS:
    void pushThenAuthorize();
    void pushedParametersWin();
    void formCarriesOnlyTheReference();
    void requestUriIsOneTime();
    void requestUriExpires();
    void requestUriBoundToClient();
    void unknownRequestUri();
    void pushErrors_data();
    void pushErrors();
    void confidentialClientAuthenticates();
    void requirePar();
    void discovery();
    void executableFlags();
};

void tst_MockServerPar::pushThenAuthorize()
{
    auto server = startServer();
    const Pkce pkce;
    const HttpResult pushed = push(*server, authorizeParams(pkce.challenge));
    QCOMPARE(pushed.status, 201);
    QCOMPARE(pushed.header("Cache-Control"), QByteArray("no-store"));
    const QString requestUri = pushed.jsonString("request_uri");
    QVERIFY2(requestUri.startsWith(str("urn:ietf:params:oauth:request_uri:")),
             qPrintable(requestUri));
    QCOMPARE(pushed.json().value(str("expires_in")).toInt(), 60);
    QCOMPARE(stat(*server, "par_requests"), 1);

    const HttpResult r = signInPushed(*server, requestUri);
    QCOMPARE(r.status, 302);
    const QUrl location = QUrl::fromEncoded(r.header("Location"));
    QCOMPARE(location.port(), 43210);
    QCOMPARE(queryValue(r, "state"), str("st-1"));
    QCOMPARE(queryValue(r, "iss"), server->baseUrl().toString());
    const HttpResult tokens = exchange(*server, queryValue(r, "code"), pkce.verifier);
    QCOMPARE(tokens.status, 200);
    QCOMPARE(jwtPart(tokens.jsonString("access_token"), 1).value(str("sub")).toString(),
             str("alice"));
}

void tst_MockServerPar::pushedParametersWin()
{
    auto server = startServer();
    const Pkce pkce;
    FormList pushedParams = authorizeParams(pkce.challenge);
    pushedParams.append({str("scope"), str("openid email")});
    const QString requestUri = push(*server, pushedParams).jsonString("request_uri");
    // RFC 9126 §4 / RFC 9101 §5: parameters outside the pushed request are ignored.
    FormList params {{str("client_id"), str("demo")},
                     {str("request_uri"), requestUri},
                     {str("redirect_uri"), str("http://127.0.0.1:9/elsewhere")},
                     {str("scope"), str("openid profile items")},
                     {str("state"), str("forged")}};
    const HttpResult r = signIn(*server, params);
    QCOMPARE(r.status, 302);
    const QUrl location = QUrl::fromEncoded(r.header("Location"));
    QCOMPARE(location.port(), 43210);
    QCOMPARE(queryValue(r, "state"), str("st-1"));
    const HttpResult tokens = exchange(*server, queryValue(r, "code"), pkce.verifier);
    QCOMPARE(tokens.jsonString("scope"), str("openid email"));
}

void tst_MockServerPar::formCarriesOnlyTheReference()
{
    auto server = startServer();
    const Pkce pkce;
    const QString requestUri
            = push(*server, authorizeParams(pkce.challenge)).jsonString("request_uri");
    const HttpResult page = authorizeGet(
            *server, {{str("client_id"), str("demo")}, {str("request_uri"), requestUri}});
    QCOMPARE(page.status, 200);
    QVERIFY(page.body.contains("name=\"request_uri\""));
    QVERIFY(!page.body.contains("name=\"code_challenge\""));
    QVERIFY(!page.body.contains("name=\"redirect_uri\""));
    // Showing the form (a reload, too) does not use the request_uri up.
    QCOMPARE(authorizeGet(*server,
                          {{str("client_id"), str("demo")}, {str("request_uri"), requestUri}})
                     .status,
             200);
    QCOMPARE(signInPushed(*server, requestUri).status, 302);
}

void tst_MockServerPar::requestUriIsOneTime()
{
    auto server = startServer();
    const Pkce pkce;
    const QString requestUri
            = push(*server, authorizeParams(pkce.challenge)).jsonString("request_uri");
    QCOMPARE(signInPushed(*server, requestUri).status, 302);
    // RFC 9126 §4: a request_uri is used once.
    const HttpResult replay = signInPushed(*server, requestUri);
    QCOMPARE(replay.status, 400);
    QVERIFY(!replay.hasHeader("Location"));
    QVERIFY(replay.body.contains("request_uri"));
    QCOMPARE(stat(*server, "authorization_codes_issued"), 1);
    // A denial uses it up as well.
    const QString denied = push(*server, authorizeParams(pkce.challenge)).jsonString("request_uri");
    const HttpResult deny = postForm(nam, url(*server, "/oauth/authorize"),
                                     {{str("client_id"), str("demo")},
                                      {str("request_uri"), denied},
                                      {str("action"), str("deny")}});
    QCOMPARE(queryValue(deny, "error"), str("access_denied"));
    QCOMPARE(signInPushed(*server, denied).status, 400);
}

void tst_MockServerPar::requestUriExpires()
{
    ServerConfig config;
    config.parTtl = 1;
    auto server = startServer(config);
    const Pkce pkce;
    const HttpResult pushed = push(*server, authorizeParams(pkce.challenge));
    QCOMPARE(pushed.json().value(str("expires_in")).toInt(), 1);
    const QString requestUri = pushed.jsonString("request_uri");
    const FormList params {{str("client_id"), str("demo")}, {str("request_uri"), requestUri}};
    QCOMPARE(authorizeGet(*server, params).status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(authorizeGet(*server, params).status, 400, 5000);
    QCOMPARE(signInPushed(*server, requestUri).status, 400);
    QCOMPARE(stat(*server, "authorization_codes_issued"), 0);
}

void tst_MockServerPar::requestUriBoundToClient()
{
    ServerConfig config;
    config.clients = {str("demo"), str("other")};
    auto server = startServer(config);
    const Pkce pkce;
    const QString requestUri
            = push(*server, authorizeParams(pkce.challenge)).jsonString("request_uri");
    const HttpResult r = signInPushed(*server, requestUri, str("other"));
    QCOMPARE(r.status, 400);
    QVERIFY(!r.hasHeader("Location"));
    // Still usable by the client that pushed it.
    QCOMPARE(signInPushed(*server, requestUri).status, 302);
}

void tst_MockServerPar::unknownRequestUri()
{
    auto server = startServer();
    const HttpResult r
            = signInPushed(*server, str("urn:ietf:params:oauth:request_uri:never-issued"));
    QCOMPARE(r.status, 400);
    QVERIFY(r.body.contains("Authorization error"));
}

void tst_MockServerPar::pushErrors_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value"); // empty: drop the parameter
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addRow("no client_id") << "client_id" << QString() << 400 << "invalid_request";
    QTest::addRow("unknown client") << "client_id"
                                    << "intruder" << 401 << "invalid_client";
    QTest::addRow("foreign redirect_uri") << "redirect_uri"
                                          << "https://evil.example/cb" << 400 << "invalid_request";
    QTest::addRow("no PKCE") << "code_challenge" << QString() << 400 << "invalid_request";
    QTest::addRow("implicit") << "response_type"
                              << "token" << 400 << "unsupported_response_type";
    QTest::addRow("unknown scope") << "scope"
                                   << "openid root" << 400 << "invalid_scope";
    QTest::addRow("relative resource") << "resource"
                                       << "/api" << 400 << "invalid_target";
    QTest::addRow("request_uri pushed") << "request_uri"
                                        << "urn:x" << 400 << "invalid_request";
}

void tst_MockServerPar::pushErrors()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(int, status);
    QFETCH(QString, error);
    auto server = startServer();
    const Pkce pkce;
    FormList params;
    for (const auto &p : authorizeParams(pkce.challenge)) {
        if (p.first != key)
            params.append(p);
    }
    if (!value.isEmpty())
        params.append({key, value});
    const HttpResult r = push(*server, params);
    QCOMPARE(r.status, status);
    QCOMPARE(r.jsonString("error"), error);
    QVERIFY(!r.json().contains(str("request_uri")));
    QCOMPARE(stat(*server, "par_requests"), 0);
    // Only POST with a form.
    QCOMPARE(get(nam, par(*server)).status, 405);
    QCOMPARE(postJson(nam, par(*server), QJsonObject {{str("client_id"), str("demo")}}).status,
             400);
}

void tst_MockServerPar::confidentialClientAuthenticates()
{
    ServerConfig config;
    config.clientSecrets.insert(str("app"), str("secret"));
    auto server = startServer(config);
    const Pkce pkce;
    FormList params;
    for (const auto &p :
         authorizeParams(pkce.challenge, str("http://127.0.0.1:43210/callback"), str("app"))) {
        if (p.first != QLatin1String("client_id"))
            params.append(p);
    }
    // RFC 9126 §2.1: authenticated like at the token endpoint.
    const HttpResult anonymous = push(*server, params + FormList {{str("client_id"), str("app")}});
    QCOMPARE(anonymous.status, 401);
    QCOMPARE(anonymous.jsonString("error"), str("invalid_client"));
    QVERIFY(anonymous.header("WWW-Authenticate").startsWith("Basic"));
    QCOMPARE(push(*server, params, basicAuth(str("app"), str("wrong"))).status, 401);
    const HttpResult good = push(*server, params, basicAuth(str("app"), str("secret")));
    QCOMPARE(good.status, 201);
    const HttpResult r = signInPushed(*server, good.jsonString("request_uri"), str("app"));
    QCOMPARE(r.status, 302);
    const HttpResult tokens = exchange(*server, queryValue(r, "code"), pkce.verifier,
                                       str("http://127.0.0.1:43210/callback"), {},
                                       basicAuth(str("app"), str("secret")), QString());
    QCOMPARE(tokens.status, 200);
}

void tst_MockServerPar::requirePar()
{
    ServerConfig config;
    config.requirePar = true;
    auto server = startServer(config);
    const Pkce pkce;
    // Not pushed: refused, to the (valid) redirect URI.
    const HttpResult direct = signIn(*server, authorizeParams(pkce.challenge));
    QCOMPARE(direct.status, 302);
    QCOMPARE(queryValue(direct, "error"), str("invalid_request"));
    QVERIFY(!redirectQuery(direct).hasQueryItem(str("code")));
    const QString requestUri
            = push(*server, authorizeParams(pkce.challenge)).jsonString("request_uri");
    const HttpResult pushed = signInPushed(*server, requestUri);
    QVERIFY(!queryValue(pushed, "code").isEmpty());
    QCOMPARE(stat(*server, "authorization_codes_issued"), 1);
}

void tst_MockServerPar::discovery()
{
    auto plain = startServer();
    QJsonObject d = get(nam, url(*plain, "/.well-known/openid-configuration")).json();
    QCOMPARE(d.value(str("pushed_authorization_request_endpoint")).toString(),
             par(*plain).toString());
    QCOMPARE(d.value(str("require_pushed_authorization_requests")), QJsonValue(false));
    ServerConfig config;
    config.requirePar = true;
    auto server = startServer(config);
    d = get(nam, url(*server, "/.well-known/openid-configuration")).json();
    QCOMPARE(d.value(str("require_pushed_authorization_requests")), QJsonValue(true));
}

void tst_MockServerPar::executableFlags()
{
    MockServerProcess process;
    QVERIFY(process.start({str("--require-par"), str("--par-ttl"), str("30")}));
    const Pkce pkce;
    const HttpResult pushed = postForm(nam, endpoint(process.baseUrl(), str("/oauth/par")),
                                       authorizeParams(pkce.challenge));
    QCOMPARE(pushed.status, 201);
    QCOMPARE(pushed.json().value(str("expires_in")).toInt(), 30);
    QCOMPARE(get(nam, endpoint(process.baseUrl(), str("/.well-known/openid-configuration")))
                     .json()
                     .value(str("require_pushed_authorization_requests")),
             QJsonValue(true));
    QVERIFY(process.stop());
}

QTEST_GUILESS_MAIN(tst_MockServerPar)
#include "tst_mockserver_par.moc"
