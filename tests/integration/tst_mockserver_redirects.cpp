// SPDX-License-Identifier: MIT
// Native-app redirect URIs at the mock server's authorization endpoint
// (private-use schemes, RFC 8252 §7.1; claimed https, §7.2; loopback, §7.3)
// and the OpenID Connect request parameters it honours (login_hint,
// ui_locales, acr_values, max_age) or ignores (unknown ones, RFC 6749 §3.1).
#include "mockserverrequests.h"

using namespace MockTest;

class tst_MockServerRedirects : public QObject, public Fixture
{
    Q_OBJECT

private:
    HttpResult signInWith(const MockAuthServer &server, const QString &redirect,
                          const QString &client = str("demo"), const Pkce &pkce = Pkce())
    {
        return signIn(server, authorizeParams(pkce.challenge, redirect, client));
    }

private Q_SLOTS:
    void accepted_data();
    void accepted();
    void refused_data();
    void refused();
    void privateUseCodeExchange();
    void executableFlags();
    void loginHintPrefillsForm();
    void uiLocalesSetsLanguage();
    void acrValuesAndMaxAgeReachTheIdToken();
    void unknownParametersIgnored();
};

void tst_MockServerRedirects::accepted_data()
{
    QTest::addColumn<QString>("client");
    QTest::addColumn<QString>("redirect");
    QTest::addRow("demo: com.example.app") << "demo"
                                           << "com.example.app:/oauth2redirect";
    QTest::addRow("demo: com.example.other.ios") << "demo"
                                                 << "com.example.other.ios:/cb?x=1";
    QTest::addRow("registered scheme") << "other"
                                       << "org.acme.notes:/callback";
    QTest::addRow("registered scheme, any case") << "demo"
                                                 << "Org.Acme.Notes:/callback";
    QTest::addRow("claimed https") << "other"
                                   << "https://app.example.net/oauth/cb";
    QTest::addRow("loopback still") << "other"
                                    << "http://127.0.0.1:4000/cb";
}

void tst_MockServerRedirects::accepted()
{
    QFETCH(QString, client);
    QFETCH(QString, redirect);
    ServerConfig config;
    config.clients = {str("demo"), str("other")};
    config.redirectSchemes = {str("org.acme.notes")};
    config.redirectUris = {str("https://app.example.net/oauth/cb")};
    auto server = startServer(config);
    const HttpResult r = signInWith(*server, redirect, client);
    QCOMPARE(r.status, 302);
    const QUrl location = QUrl::fromEncoded(r.header("Location"));
    QCOMPARE(location.scheme(), QUrl(redirect).scheme());
    QCOMPARE(location.path(), QUrl(redirect).path());
    // code, state and iss in the query, as for loopback (RFC 6749 §4.1.2, RFC 9207).
    const QUrlQuery q(location);
    QCOMPARE(q.queryItemValue(str("code")).size(), 43);
    QCOMPARE(q.queryItemValue(str("state")), str("st-1"));
    QCOMPARE(q.queryItemValue(str("iss"), QUrl::FullyDecoded), server->baseUrl().toString());
    if (redirect.contains(str("x=1")))
        QCOMPARE(q.queryItemValue(str("x")), str("1"));
}

void tst_MockServerRedirects::refused_data()
{
    QTest::addColumn<QString>("client");
    QTest::addColumn<QString>("redirect");
    QTest::addRow("com.example for another client") << "other"
                                                    << "com.example.app:/cb";
    QTest::addRow("bare com.example.") << "demo"
                                       << "com.example.:/cb";
    QTest::addRow("scheme without a period") << "demo"
                                             << "myapp:/cb";
    QTest::addRow("authority after the scheme") << "demo"
                                                << "com.example.app://cb";
    QTest::addRow("no path") << "demo"
                             << "com.example.app:cb";
    QTest::addRow("fragment") << "demo"
                              << "com.example.app:/cb#x";
    QTest::addRow("unregistered https") << "demo"
                                        << "https://app.example.net/other";
    QTest::addRow("https prefix of a registered one") << "demo"
                                                      << "https://app.example.net/oauth/cb/more";
    QTest::addRow("registered https over http") << "demo"
                                                << "http://app.example.net/oauth/cb";
}

void tst_MockServerRedirects::refused()
{
    QFETCH(QString, client);
    QFETCH(QString, redirect);
    ServerConfig config;
    config.clients = {str("demo"), str("other")};
    config.redirectUris = {str("https://app.example.net/oauth/cb")};
    auto server = startServer(config);
    const HttpResult r = signInWith(*server, redirect, client);
    QCOMPARE(r.status, 400);
    QVERIFY(!r.hasHeader("Location"));
    QVERIFY(r.body.contains("redirect_uri"));
    QCOMPARE(stat(*server, "authorization_codes_issued"), 0);
}

void tst_MockServerRedirects::privateUseCodeExchange()
{
    auto server = startServer();
    const Pkce pkce;
    const QString redirect = str("com.example.app:/oauth2redirect");
    const HttpResult r = signInWith(*server, redirect, str("demo"), pkce);
    const QString code = queryValue(r, "code");
    // RFC 6749 §4.1.3: the same redirect_uri at the token endpoint.
    QCOMPARE(exchange(*server, code, pkce.verifier, str("com.example.app:/other"))
                     .jsonString("error"),
             str("invalid_grant"));
    const Pkce again;
    const HttpResult second = signInWith(*server, redirect, str("demo"), again);
    QCOMPARE(exchange(*server, queryValue(second, "code"), again.verifier, redirect).status, 200);
}

void tst_MockServerRedirects::executableFlags()
{
    MockServerProcess process;
    QVERIFY(process.start({str("--redirect-scheme"), str("org.acme.notes"), str("--redirect-uri"),
                           str("https://app.example.net/cb")}));
    for (const char *redirect : {"org.acme.notes:/cb", "https://app.example.net/cb"}) {
        const Pkce pkce;
        FormList params = authorizeParams(pkce.challenge, str(redirect));
        params.append({str("username"), str("alice")});
        params.append({str("password"), str("wonderland")});
        const HttpResult r
                = postForm(nam, endpoint(process.baseUrl(), str("/oauth/authorize")), params);
        QCOMPARE(r.status, 302);
        QVERIFY(r.header("Location").startsWith(redirect));
    }
    QVERIFY(process.stop());
    for (const QStringList &bad : {QStringList {str("--redirect-scheme"), str("myapp")},
                                   QStringList {str("--redirect-uri"), str("http://x.test/cb")}}) {
        MockServerProcess refused;
        QVERIFY(!refused.start(bad));
        QVERIFY(refused.process().state() == QProcess::NotRunning
                || refused.process().waitForFinished(10000));
        QCOMPARE(refused.process().exitCode(), 2);
    }
}

void tst_MockServerRedirects::loginHintPrefillsForm()
{
    auto server = startServer();
    const Pkce pkce;
    const HttpResult r = authorizeGet(*server,
                                      authorizeParams(pkce.challenge)
                                              + FormList {{str("login_hint"), str("al\"ice<")}});
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.contains("name=\"username\" autocomplete=\"username\" "
                             "value=\"al&quot;ice&lt;\""),
             r.body.constData());
    // It travels with the form, too.
    QVERIFY(r.body.contains("name=\"login_hint\""));
}

void tst_MockServerRedirects::uiLocalesSetsLanguage()
{
    auto server = startServer();
    const Pkce pkce;
    const HttpResult r = authorizeGet(*server,
                                      authorizeParams(pkce.challenge)
                                              + FormList {{str("ui_locales"), str("fr-CA en")}});
    QVERIFY(r.body.startsWith("<!doctype html><html lang=\"fr-CA\">"));
    const HttpResult odd = authorizeGet(
            *server,
            authorizeParams(pkce.challenge) + FormList {{str("ui_locales"), str("\"><script>")}});
    QCOMPARE(odd.status, 200);
    QVERIFY(odd.body.startsWith("<!doctype html><html><head>"));
}

void tst_MockServerRedirects::acrValuesAndMaxAgeReachTheIdToken()
{
    auto server = startServer();
    const HttpResult tokens = codeFlow(
            *server,
            {{str("acr_values"), str("urn:mace:mfa urn:pwd")}, {str("max_age"), str("600")}});
    QCOMPARE(tokens.status, 200);
    const QJsonObject id = jwtPart(tokens.jsonString("id_token"), 1);
    QCOMPARE(id.value(str("acr")).toString(), str("urn:mace:mfa"));
    const qint64 authTime = id.value(str("auth_time")).toInteger();
    QVERIFY(qAbs(authTime - QDateTime::currentSecsSinceEpoch()) <= 5);
    // Without acr_values there is no acr claim, as before.
    const HttpResult plain = codeFlow(*server);
    QVERIFY(!jwtPart(plain.jsonString("id_token"), 1).contains(str("acr")));
}

void tst_MockServerRedirects::unknownParametersIgnored()
{
    auto server = startServer();
    const HttpResult tokens = codeFlow(*server,
                                       {{str("display"), str("popup")},
                                        {str("x-vendor-thing"), str("1")},
                                        {str("claims_locales"), str("de")}});
    QCOMPARE(tokens.status, 200);
}

QTEST_GUILESS_MAIN(tst_MockServerRedirects)
#include "tst_mockserver_redirects.moc"
