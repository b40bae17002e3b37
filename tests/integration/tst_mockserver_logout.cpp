// SPDX-License-Identifier: MIT
// The browser login state of the mock server (prompt=none, prompt=login,
// max_age, --sso) and OpenID Connect RP-Initiated Logout 1.0 at
// /oauth/logout: id_token_hint, post_logout_redirect_uri, state, client_id,
// and the error page for everything that cannot be trusted.
#include "mockserverrequests.h"

using namespace MockTest;

class tst_MockServerLogout : public QObject, public Fixture
{
    Q_OBJECT

private:
    struct SignedIn
    {
        QByteArray cookie; //!< "st_login=..."
        QString idToken;
    };
    SignedIn signInWithBrowser(const MockAuthServer &server, const FormList &extra = {})
    {
        const Pkce pkce;
        const HttpResult r = signIn(server, authorizeParams(pkce.challenge) + extra);
        SignedIn out;
        out.cookie = cookiePair(r, "st_login");
        const HttpResult tokens = exchange(server, queryValue(r, "code"), pkce.verifier);
        out.idToken = tokens.jsonString("id_token");
        return out;
    }
    HttpResult logout(const MockAuthServer &server, const FormList &params,
                      const QByteArray &cookie = {}, bool post = false)
    {
        const HeaderList headers
                = cookie.isEmpty() ? HeaderList {} : HeaderList {{"Cookie", cookie}};
        if (post)
            return postForm(nam, url(server, "/oauth/logout"), params, headers);
        QUrl u = url(server, "/oauth/logout");
        u.setQuery(QString::fromLatin1(formEncode(params)));
        return get(nam, u, headers);
    }
    HttpResult silent(const MockAuthServer &server, const QByteArray &cookie,
                      const FormList &extra = {})
    {
        const Pkce pkce;
        return authorizeGet(server,
                            authorizeParams(pkce.challenge)
                                    + FormList {{str("prompt"), str("none")}} + extra,
                            cookie.isEmpty() ? HeaderList {} : HeaderList {{"Cookie", cookie}});
    }

private Q_SLOTS:
    void signInSetsLoginState();
    void promptNoneWithoutLoginState();
    void promptNoneWithLoginState();
    void promptNoneCannotBeCombined();
    void maxAgeNeedsNewSignIn();
    void ssoAndPromptLogin();
    void logoutRedirectsWithState_data();
    void logoutRedirectsWithState();
    void logoutEndsLoginState();
    void logoutWithoutRedirectShowsPage();
    void expiredIdTokenHintAccepted();
    void logoutErrors_data();
    void logoutErrors();
    void foreignIdTokenHint();
    void discovery();
    void executableSso();
};

void tst_MockServerLogout::signInSetsLoginState()
{
    auto server = startServer();
    const Pkce pkce;
    const HttpResult r = signIn(*server, authorizeParams(pkce.challenge));
    QCOMPARE(r.status, 302);
    QByteArray setCookie;
    for (const auto &h : r.headers) {
        if (h.first.compare("Set-Cookie", Qt::CaseInsensitive) == 0)
            setCookie = h.second;
    }
    QVERIFY2(setCookie.startsWith("st_login="), setCookie.constData());
    QVERIFY(setCookie.contains("HttpOnly"));
    QVERIFY(setCookie.contains("SameSite=Lax"));
    QVERIFY(setCookie.contains("Path=/oauth"));
    // A wrong password sets nothing.
    FormList params = authorizeParams(pkce.challenge);
    params.append({str("username"), str("alice")});
    params.append({str("password"), str("nope")});
    QVERIFY(!postForm(nam, url(*server, "/oauth/authorize"), params).hasHeader("Set-Cookie"));
}

void tst_MockServerLogout::promptNoneWithoutLoginState()
{
    auto server = startServer();
    // OpenID Connect Core §3.1.2.6: no interaction allowed, no login state.
    const HttpResult r = silent(*server, {});
    QCOMPARE(r.status, 302);
    QCOMPARE(queryValue(r, "error"), str("login_required"));
    QCOMPARE(queryValue(r, "state"), str("st-1"));
    QVERIFY(!redirectQuery(r).hasQueryItem(str("code")));
    // An unknown cookie is no login state either.
    QCOMPARE(queryValue(silent(*server, "st_login=forged"), "error"), str("login_required"));
}

void tst_MockServerLogout::promptNoneWithLoginState()
{
    auto server = startServer();
    const SignedIn session = signInWithBrowser(*server);
    QVERIFY(!session.cookie.isEmpty());
    const Pkce pkce;
    const HttpResult r = authorizeGet(
            *server,
            authorizeParams(pkce.challenge)
                    + FormList {{str("prompt"), str("none")}, {str("nonce"), str("n-2")}},
            {{"Cookie", session.cookie}});
    QCOMPARE(r.status, 302);
    const QString code = queryValue(r, "code");
    QVERIFY(!code.isEmpty());
    const HttpResult tokens = exchange(*server, code, pkce.verifier);
    QCOMPARE(tokens.status, 200);
    const QJsonObject id = jwtPart(tokens.jsonString("id_token"), 1);
    QCOMPARE(id.value(str("sub")).toString(), str("alice"));
    QCOMPARE(id.value(str("nonce")).toString(), str("n-2"));
    // auth_time is the first sign-in, not this silent one.
    QCOMPARE(id.value(str("auth_time")), jwtPart(session.idToken, 1).value(str("auth_time")));
}

void tst_MockServerLogout::promptNoneCannotBeCombined()
{
    auto server = startServer();
    const Pkce pkce;
    const HttpResult r = authorizeGet(*server,
                                      authorizeParams(pkce.challenge)
                                              + FormList {{str("prompt"), str("none login")}});
    QCOMPARE(queryValue(r, "error"), str("invalid_request"));
}

void tst_MockServerLogout::maxAgeNeedsNewSignIn()
{
    auto server = startServer();
    const SignedIn session = signInWithBrowser(*server);
    // max_age=0: any login state is too old (Core §3.1.2.1).
    QCOMPARE(queryValue(silent(*server, session.cookie, {{str("max_age"), str("0")}}), "error"),
             str("login_required"));
    QVERIFY(!queryValue(silent(*server, session.cookie, {{str("max_age"), str("3600")}}), "code")
                     .isEmpty());
    const Pkce pkce;
    const HttpResult bad = authorizeGet(
            *server, authorizeParams(pkce.challenge) + FormList {{str("max_age"), str("soon")}});
    QCOMPARE(queryValue(bad, "error"), str("invalid_request"));
}

void tst_MockServerLogout::ssoAndPromptLogin()
{
    ServerConfig config;
    config.sso = true;
    auto server = startServer(config);
    const SignedIn session = signInWithBrowser(*server);
    const Pkce pkce;
    const HeaderList cookie {{"Cookie", session.cookie}};
    // With --sso a login state answers at once...
    const HttpResult sso = authorizeGet(*server, authorizeParams(pkce.challenge), cookie);
    QCOMPARE(sso.status, 302);
    QVERIFY(!queryValue(sso, "code").isEmpty());
    // ...unless prompt=login forces the form.
    const HttpResult forced = authorizeGet(
            *server, authorizeParams(pkce.challenge) + FormList {{str("prompt"), str("login")}},
            cookie);
    QCOMPARE(forced.status, 200);
    QVERIFY(forced.body.contains("name=\"password\""));
    // Without --sso the form is always shown.
    auto plain = startServer();
    const SignedIn other = signInWithBrowser(*plain);
    QCOMPARE(authorizeGet(*plain, authorizeParams(pkce.challenge), {{"Cookie", other.cookie}})
                     .status,
             200);
}

void tst_MockServerLogout::logoutRedirectsWithState_data()
{
    QTest::addColumn<bool>("post");
    QTest::addColumn<QString>("redirect");
    QTest::addRow("GET, loopback") << false << "http://127.0.0.1:43210/signed-out?keep=1";
    QTest::addRow("POST, loopback ipv6") << true << "http://[::1]:5555/bye";
    QTest::addRow("GET, private-use scheme") << false << "com.example.app:/logout";
}

void tst_MockServerLogout::logoutRedirectsWithState()
{
    QFETCH(bool, post);
    QFETCH(QString, redirect);
    auto server = startServer();
    const SignedIn session = signInWithBrowser(*server);
    const HttpResult r = logout(*server,
                                {{str("id_token_hint"), session.idToken},
                                 {str("post_logout_redirect_uri"), redirect},
                                 {str("state"), str("bye & see you")}},
                                session.cookie, post);
    QCOMPARE(r.status, 302);
    const QUrl location = QUrl::fromEncoded(r.header("Location"));
    QCOMPARE(location.adjusted(QUrl::RemoveQuery), QUrl(redirect).adjusted(QUrl::RemoveQuery));
    const QUrlQuery q(location);
    QCOMPARE(q.queryItemValue(str("state"), QUrl::FullyDecoded), str("bye & see you"));
    if (redirect.contains(str("keep=1")))
        QCOMPARE(q.queryItemValue(str("keep")), str("1"));
    QCOMPARE(stat(*server, "end_sessions"), 1);
}

void tst_MockServerLogout::logoutEndsLoginState()
{
    auto server = startServer();
    const SignedIn session = signInWithBrowser(*server);
    QVERIFY(!queryValue(silent(*server, session.cookie), "code").isEmpty());
    const HttpResult r
            = logout(*server,
                     {{str("client_id"), str("demo")},
                      {str("post_logout_redirect_uri"), str("http://127.0.0.1:43210/bye")}},
                     session.cookie);
    QCOMPARE(r.status, 302);
    QVERIFY(!redirectQuery(r).hasQueryItem(str("state")));
    QCOMPARE(cookiePair(r, "st_login"), QByteArray("st_login="));
    // The old cookie is no login state any more.
    QCOMPARE(queryValue(silent(*server, session.cookie), "error"), str("login_required"));
}

void tst_MockServerLogout::logoutWithoutRedirectShowsPage()
{
    auto server = startServer();
    const SignedIn session = signInWithBrowser(*server);
    const HttpResult r = logout(*server, {}, session.cookie);
    QCOMPARE(r.status, 200);
    QVERIFY(r.header("Content-Type").startsWith("text/html"));
    QVERIFY(r.body.contains("signed out"));
    QCOMPARE(queryValue(silent(*server, session.cookie), "error"), str("login_required"));
    QCOMPARE(stat(*server, "end_sessions"), 1);
}

void tst_MockServerLogout::expiredIdTokenHintAccepted()
{
    auto server = startServer();
    // RP-Initiated Logout §2: an expired ID token is still a valid hint.
    server->setFaults(QJsonObject {{str("id_token_claims"), QJsonObject {{str("exp"), 1}}}});
    const SignedIn session = signInWithBrowser(*server);
    QCOMPARE(jwtPart(session.idToken, 1).value(str("exp")).toInt(), 1);
    const HttpResult r
            = logout(*server,
                     {{str("id_token_hint"), session.idToken},
                      {str("post_logout_redirect_uri"), str("http://127.0.0.1:43210/bye")}},
                     session.cookie);
    QCOMPARE(r.status, 302);
}

void tst_MockServerLogout::logoutErrors_data()
{
    QTest::addColumn<QString>("hint"); // "good", "tampered", "garbage" or empty
    QTest::addColumn<QString>("client");
    QTest::addColumn<QString>("redirect");
    QTest::addRow("unregistered redirect") << "good" << QString() << "https://evil.example/bye";
    QTest::addRow("redirect with authority") << "good" << QString() << "com.example.app://bye";
    QTest::addRow("another app's scheme") << "good" << QString() << "org.example.app:/bye";
    QTest::addRow("redirect without hint or client")
            << QString() << QString() << "http://127.0.0.1:43210/bye";
    QTest::addRow("tampered hint") << "tampered" << QString() << "http://127.0.0.1:43210/bye";
    QTest::addRow("garbage hint") << "garbage" << QString() << QString();
    QTest::addRow("hint of another client") << "good"
                                            << "other"
                                            << "http://127.0.0.1:43210/bye";
    QTest::addRow("unknown client") << QString() << "intruder"
                                    << "http://127.0.0.1:43210/bye";
}

void tst_MockServerLogout::logoutErrors()
{
    QFETCH(QString, hint);
    QFETCH(QString, client);
    QFETCH(QString, redirect);
    ServerConfig config;
    config.clients = {str("demo"), str("other")};
    auto server = startServer(config);
    const SignedIn session = signInWithBrowser(*server);
    FormList params;
    if (hint == QLatin1String("good")) {
        params.append({str("id_token_hint"), session.idToken});
    } else if (hint == QLatin1String("tampered")) {
        QString token = session.idToken;
        const int dot = token.lastIndexOf(QLatin1Char('.'));
        token[dot + 1] = token[dot + 1] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
        params.append({str("id_token_hint"), token});
    } else if (hint == QLatin1String("garbage")) {
        params.append({str("id_token_hint"), str("not.a.jwt")});
    }
    if (!client.isEmpty())
        params.append({str("client_id"), client});
    if (!redirect.isEmpty())
        params.append({str("post_logout_redirect_uri"), redirect});
    const HttpResult r = logout(*server, params, session.cookie);
    QCOMPARE(r.status, 400);
    QVERIFY(!r.hasHeader("Location"));
    QVERIFY(r.header("Content-Type").startsWith("text/html"));
    QVERIFY(r.body.contains("Logout error"));
    // Nothing was ended.
    QCOMPARE(stat(*server, "end_sessions"), 0);
    QVERIFY(!queryValue(silent(*server, session.cookie), "code").isEmpty());
}

void tst_MockServerLogout::foreignIdTokenHint()
{
    // Two servers in one process share the RSA key: the issuer check is what tells them apart.
    auto server = startServer();
    auto foreign = startServer();
    const SignedIn elsewhere = signInWithBrowser(*foreign);
    QVERIFY(!elsewhere.idToken.isEmpty());
    const HttpResult r
            = logout(*server,
                     {{str("id_token_hint"), elsewhere.idToken},
                      {str("post_logout_redirect_uri"), str("http://127.0.0.1:43210/bye")}});
    QCOMPARE(r.status, 400);
    QVERIFY(!r.hasHeader("Location"));
    // And an ES256 server's own key is the only one it takes.
    ServerConfig es;
    es.idTokenAlg = ServerConfig::IdTokenAlg::ES256;
    auto esServer = startServer(es);
    const SignedIn own = signInWithBrowser(*esServer);
    QCOMPARE(jwtPart(own.idToken, 0).value(str("alg")).toString(), str("ES256"));
    QCOMPARE(logout(*esServer, {{str("id_token_hint"), own.idToken}}).status, 200);
    QCOMPARE(logout(*esServer, {{str("id_token_hint"), elsewhere.idToken}}).status, 400);
}

void tst_MockServerLogout::discovery()
{
    auto server = startServer();
    const QJsonObject d = get(nam, url(*server, "/.well-known/openid-configuration")).json();
    QCOMPARE(d.value(str("end_session_endpoint")).toString(),
             url(*server, "/oauth/logout").toString());
    QCOMPARE(send(nam, "PUT", url(*server, "/oauth/logout")).status, 405);
}

void tst_MockServerLogout::executableSso()
{
    MockServerProcess process;
    QVERIFY(process.start({str("--sso")}));
    const QUrl authorize = endpoint(process.baseUrl(), str("/oauth/authorize"));
    const Pkce pkce;
    FormList params = authorizeParams(pkce.challenge);
    const HttpResult signedIn = postForm(nam, authorize,
                                         params
                                                 + FormList {{str("username"), str("alice")},
                                                             {str("password"), str("wonderland")}});
    const QByteArray cookie = cookiePair(signedIn, "st_login");
    QVERIFY(!cookie.isEmpty());
    QUrl again = authorize;
    again.setQuery(QString::fromLatin1(formEncode(params)));
    const HttpResult sso = get(nam, again, {{"Cookie", cookie}});
    QCOMPARE(sso.status, 302);
    QVERIFY(!queryValue(sso, "code").isEmpty());
    QVERIFY(process.stop());
}

QTEST_GUILESS_MAIN(tst_MockServerLogout)
#include "tst_mockserver_logout.moc"
