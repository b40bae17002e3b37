// SPDX-License-Identifier: MIT
// Client authentication (RFC 6749 §2.3) at the token, revocation,
// device-authorization and PAR endpoints; --revocation-auth required; what
// discovery advertises; the --client ID:SECRET flag of the executable.
#include "mockserverrequests.h"

using namespace MockTest;

class tst_MockServerClientAuth : public QObject, public Fixture
{
    Q_OBJECT

private:
    static ServerConfig confidential()
    {
        ServerConfig config;
        config.clientSecrets.insert(str("app"), str("s3cret+/:%"));
        return config;
    }
    HttpResult appPassword(const MockAuthServer &server, const FormList &extra,
                           const HeaderList &headers = {})
    {
        FormList fields {{str("grant_type"), str("password")},
                         {str("username"), str("alice")},
                         {str("password"), str("wonderland")}};
        return tokenRequest(server, fields + extra, headers);
    }

private Q_SLOTS:
    void basicAndPostAuthenticate_data();
    void basicAndPostAuthenticate();
    void refusals_data();
    void refusals();
    void secretInTheQueryIsRefused();
    void publicClientsUnchanged();
    void publicClientWithSecretRefused();
    void refreshNeedsAuthentication();
    void failedSecretsLockOut();
    void revocationOfConfidentialTokens();
    void revocationAuthRequired();
    void deviceAuthorizationAuthenticates();
    void discoveryAdvertisesMethods();
    void executableFlags();
};

void tst_MockServerClientAuth::basicAndPostAuthenticate_data()
{
    QTest::addColumn<bool>("basic");
    QTest::addRow("client_secret_basic") << true;
    QTest::addRow("client_secret_post") << false;
}

void tst_MockServerClientAuth::basicAndPostAuthenticate()
{
    QFETCH(bool, basic);
    auto server = startServer(confidential());
    // The secret has characters that RFC 6749 Appendix B encodes: '+', '/', ':', '%'.
    const HttpResult r = basic ? appPassword(*server, {}, basicAuth(str("app"), str("s3cret+/:%")))
                               : appPassword(*server,
                                             {{str("client_id"), str("app")},
                                              {str("client_secret"), str("s3cret+/:%")}});
    QCOMPARE(r.status, 200);
    const QJsonObject claims = jwtPart(r.jsonString("access_token"), 1);
    QCOMPARE(claims.value(str("client_id")).toString(), str("app"));
    QCOMPARE(stat(*server, "client_auth_failures"), 0);
    // The client_id may also be repeated in the body next to Basic.
    if (basic) {
        QCOMPARE(appPassword(*server, {{str("client_id"), str("app")}},
                             basicAuth(str("app"), str("s3cret+/:%")))
                         .status,
                 200);
    }
}

void tst_MockServerClientAuth::refusals_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addColumn<bool>("challenge");
    QTest::addRow("no secret") << "none" << 401 << "invalid_client" << true;
    QTest::addRow("wrong secret (post)") << "post-wrong" << 401 << "invalid_client" << true;
    QTest::addRow("wrong secret (basic)") << "basic-wrong" << 401 << "invalid_client" << true;
    QTest::addRow("malformed Basic") << "basic-garbage" << 401 << "invalid_client" << true;
    QTest::addRow("both methods") << "both" << 400 << "invalid_request" << false;
    QTest::addRow("Basic for another client_id")
            << "basic-other-id" << 400 << "invalid_request" << false;
    QTest::addRow("unknown client (basic)") << "basic-unknown" << 401 << "invalid_client" << true;
}

void tst_MockServerClientAuth::refusals()
{
    QFETCH(QString, how);
    QFETCH(int, status);
    QFETCH(QString, error);
    QFETCH(bool, challenge);
    auto server = startServer(confidential());
    FormList extra;
    HeaderList headers;
    if (how == QLatin1String("none")) {
        extra = {{str("client_id"), str("app")}};
    } else if (how == QLatin1String("post-wrong")) {
        extra = {{str("client_id"), str("app")}, {str("client_secret"), str("guess")}};
    } else if (how == QLatin1String("basic-wrong")) {
        headers = basicAuth(str("app"), str("guess"));
    } else if (how == QLatin1String("basic-garbage")) {
        headers = {{"Authorization", "Basic !!not-base64!!"}};
    } else if (how == QLatin1String("both")) {
        extra = {{str("client_secret"), str("s3cret+/:%")}};
        headers = basicAuth(str("app"), str("s3cret+/:%"));
    } else if (how == QLatin1String("basic-other-id")) {
        extra = {{str("client_id"), str("demo")}};
        headers = basicAuth(str("app"), str("s3cret+/:%"));
    } else if (how == QLatin1String("basic-unknown")) {
        headers = basicAuth(str("intruder"), str("x"));
    }
    const HttpResult r = appPassword(*server, extra, headers);
    QCOMPARE(r.status, status);
    QCOMPARE(r.jsonString("error"), error);
    QVERIFY(!r.jsonString("error_description").isEmpty());
    QVERIFY(!r.json().contains(str("access_token")));
    // RFC 6749 §5.2: a 401 names the scheme to authenticate with.
    QCOMPARE(r.header("WWW-Authenticate").startsWith("Basic"), challenge);
    QCOMPARE(stat(*server, "password_grants"), 0);
}

void tst_MockServerClientAuth::secretInTheQueryIsRefused()
{
    auto server = startServer(confidential());
    // RFC 6749 §2.3.1: client credentials MUST NOT be in the request URI.
    QUrl u = url(*server, "/oauth/token");
    u.setQuery(str("client_id=app&client_secret=s3cret%2B%2F%3A%25"));
    const HttpResult r = postForm(nam, u,
                                  {{str("grant_type"), str("password")},
                                   {str("client_id"), str("app")},
                                   {str("username"), str("alice")},
                                   {str("password"), str("wonderland")}});
    QCOMPARE(r.status, 400);
    QCOMPARE(r.jsonString("error"), str("invalid_request"));
    QVERIFY(r.jsonString("error_description").contains(str("request URI")));
    QCOMPARE(stat(*server, "password_grants"), 0);
}

void tst_MockServerClientAuth::publicClientsUnchanged()
{
    auto server = startServer(confidential());
    const HttpResult r = passwordGrant(*server);
    QCOMPARE(r.status, 200);
    // A public client may identify itself with Basic and an empty password.
    const HttpResult basic = appPassword(*server, {}, basicAuth(str("demo"), QString()));
    QCOMPARE(basic.status, 200);
    QCOMPARE(jwtPart(basic.jsonString("access_token"), 1).value(str("client_id")).toString(),
             str("demo"));
}

void tst_MockServerClientAuth::publicClientWithSecretRefused()
{
    auto server = startServer(confidential());
    const HttpResult r = passwordGrant(*server, {{str("client_secret"), str("anything")}});
    QCOMPARE(r.status, 401);
    QCOMPARE(r.jsonString("error"), str("invalid_client"));
    QCOMPARE(stat(*server, "client_auth_failures"), 1);
}

void tst_MockServerClientAuth::refreshNeedsAuthentication()
{
    auto server = startServer(confidential());
    const HeaderList creds = basicAuth(str("app"), str("s3cret+/:%"));
    const HttpResult tokens = appPassword(*server, {}, creds);
    const QString refreshToken = tokens.jsonString("refresh_token");
    const FormList grant {{str("grant_type"), str("refresh_token")},
                          {str("refresh_token"), refreshToken}};
    // Without authentication: refused, and the token is not consumed.
    const HttpResult unauthenticated
            = tokenRequest(*server, grant + FormList {{str("client_id"), str("app")}});
    QCOMPARE(unauthenticated.status, 401);
    QCOMPARE(unauthenticated.jsonString("error"), str("invalid_client"));
    // Presented by a public client: not its token (RFC 6749 §6).
    QCOMPARE(refresh(*server, refreshToken).jsonString("error"), str("invalid_grant"));
    const HttpResult good = tokenRequest(*server, grant, creds);
    QCOMPARE(good.status, 200);
    QCOMPARE(stat(*server, "refresh_grants"), 1);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
}

void tst_MockServerClientAuth::failedSecretsLockOut()
{
    ServerConfig config = confidential();
    config.maxLoginFailures = 2;
    auto server = startServer(config);
    for (int i = 0; i < 2; ++i)
        QCOMPARE(appPassword(*server, {}, basicAuth(str("app"), str("guess"))).status, 401);
    // RFC 6749 §2.3.1: brute force is stopped, for the right secret too.
    const HttpResult locked = appPassword(*server, {}, basicAuth(str("app"), str("s3cret+/:%")));
    QCOMPARE(locked.status, 429);
    QVERIFY(locked.header("Retry-After").toInt() > 0);
    QCOMPARE(stat(*server, "client_auth_failures"), 2);
}

void tst_MockServerClientAuth::revocationOfConfidentialTokens()
{
    auto server = startServer(confidential());
    const HeaderList creds = basicAuth(str("app"), str("s3cret+/:%"));
    const HttpResult tokens = appPassword(*server, {}, creds);
    const QUrl revoke = url(*server, "/oauth/revoke");
    for (const char *kind : {"refresh_token", "access_token"}) {
        const QString token = tokens.jsonString(kind);
        // RFC 7009 §2.1: the confidential client must authenticate.
        const HttpResult anonymous = postForm(nam, revoke, {{str("token"), token}});
        QCOMPARE(anonymous.status, 401);
        QCOMPARE(anonymous.jsonString("error"), str("invalid_client"));
        QVERIFY(anonymous.header("WWW-Authenticate").startsWith("Basic"));
        const HttpResult wrong = postForm(nam, revoke, {{str("token"), token}},
                                          basicAuth(str("app"), str("guess")));
        QCOMPARE(wrong.status, 401);
        QCOMPARE(stat(*server, "revocations"), kind == QByteArray("refresh_token") ? 0 : 1);
        QCOMPARE(postForm(nam, revoke, {{str("token"), token}}, creds).status, 200);
    }
    QCOMPARE(stat(*server, "revocations"), 2);
    // A public client's token is still revoked without authentication.
    const QString publicToken = passwordGrant(*server).jsonString("refresh_token");
    QCOMPARE(postForm(nam, revoke, {{str("token"), publicToken}}).status, 200);
    QCOMPARE(stat(*server, "revocations"), 3);
}

void tst_MockServerClientAuth::revocationAuthRequired()
{
    ServerConfig config = confidential();
    config.revocationAuth = ServerConfig::RevocationAuth::Required;
    auto server = startServer(config);
    const QString publicToken = passwordGrant(*server).jsonString("refresh_token");
    const QUrl revoke = url(*server, "/oauth/revoke");
    for (const FormList &fields :
         {FormList {{str("token"), publicToken}},
          FormList {{str("token"), publicToken}, {str("client_id"), str("demo")}}}) {
        const HttpResult r = postForm(nam, revoke, fields);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.jsonString("error"), str("invalid_client"));
        QVERIFY(r.jsonString("error_description").contains(str("authentication")));
        QVERIFY(r.header("WWW-Authenticate").startsWith("Basic"));
    }
    QCOMPARE(stat(*server, "revocations"), 0);
    QCOMPARE(refresh(*server, publicToken).status, 200); // still alive
    const QJsonObject d = get(nam, url(*server, "/.well-known/openid-configuration")).json();
    QCOMPARE(d.value(str("revocation_endpoint_auth_methods_supported")).toArray(),
             (QJsonArray {str("client_secret_basic"), str("client_secret_post")}));
    // A confidential client still revokes its own tokens.
    const HeaderList creds = basicAuth(str("app"), str("s3cret+/:%"));
    const QString own = appPassword(*server, {}, creds).jsonString("refresh_token");
    QCOMPARE(postForm(nam, revoke, {{str("token"), own}}, creds).status, 200);
    QCOMPARE(stat(*server, "revocations"), 1);
}

void tst_MockServerClientAuth::deviceAuthorizationAuthenticates()
{
    auto server = startServer(confidential());
    const QUrl device = url(*server, "/oauth/device_authorization");
    const HttpResult anonymous = postForm(nam, device, {{str("client_id"), str("app")}});
    QCOMPARE(anonymous.status, 401);
    QCOMPARE(anonymous.jsonString("error"), str("invalid_client"));
    const HttpResult good = postForm(nam, device, {}, basicAuth(str("app"), str("s3cret+/:%")));
    QCOMPARE(good.status, 200);
    QVERIFY(!good.jsonString("device_code").isEmpty());
    // The public client needs no secret, as before.
    QCOMPARE(postForm(nam, device, {{str("client_id"), str("demo")}}).status, 200);
}

void tst_MockServerClientAuth::discoveryAdvertisesMethods()
{
    const QJsonArray all {str("none"), str("client_secret_basic"), str("client_secret_post")};
    auto plain = startServer();
    QJsonObject d = get(nam, url(*plain, "/.well-known/openid-configuration")).json();
    QCOMPARE(d.value(str("token_endpoint_auth_methods_supported")).toArray(),
             QJsonArray {str("none")});
    QCOMPARE(d.value(str("revocation_endpoint_auth_methods_supported")).toArray(),
             QJsonArray {str("none")});
    auto server = startServer(confidential());
    d = get(nam, url(*server, "/.well-known/openid-configuration")).json();
    QCOMPARE(d.value(str("token_endpoint_auth_methods_supported")).toArray(), all);
    QCOMPARE(d.value(str("revocation_endpoint_auth_methods_supported")).toArray(), all);
}

void tst_MockServerClientAuth::executableFlags()
{
    MockServerProcess process;
    QVERIFY2(process.start({str("--client"), str("demo"), str("--client"), str("app:pa:ss"),
                            str("--revocation-auth"), str("required")}),
             qPrintable(process.firstLine()));
    const QUrl token = endpoint(process.baseUrl(), str("/oauth/token"));
    const FormList grant {{str("grant_type"), str("password")},
                          {str("username"), str("alice")},
                          {str("password"), str("wonderland")}};
    // The secret is everything after the first colon.
    const HttpResult good = postForm(nam, token, grant, basicAuth(str("app"), str("pa:ss")));
    QCOMPARE(good.status, 200);
    QCOMPARE(postForm(nam, token, grant, basicAuth(str("app"), str("pa"))).status, 401);
    const HttpResult demo
            = postForm(nam, token, grant + FormList {{str("client_id"), str("demo")}});
    QCOMPARE(demo.status, 200);
    const HttpResult revoke = postForm(nam, endpoint(process.baseUrl(), str("/oauth/revoke")),
                                       {{str("token"), demo.jsonString("refresh_token")}});
    QCOMPARE(revoke.status, 401);
    QVERIFY(process.stop());

    MockServerProcess bad;
    QVERIFY(!bad.start({str("--revocation-auth"), str("sometimes")}));
    QVERIFY(bad.process().state() == QProcess::NotRunning || bad.process().waitForFinished(10000));
    QCOMPARE(bad.process().exitCode(), 2);
    QVERIFY(bad.process().readAllStandardError().contains("--revocation-auth"));
}

QTEST_GUILESS_MAIN(tst_MockServerClientAuth)
#include "tst_mockserver_clientauth.moc"
