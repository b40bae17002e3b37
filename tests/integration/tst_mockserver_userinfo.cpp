// SPDX-License-Identifier: MIT
// The OpenID Connect UserInfo endpoint (Core §5.3) of the mock server: claims
// by scope, GET and POST, token errors, the userinfo_status fault, the counter.
#include "mockserverrequests.h"

using namespace MockTest;

class tst_MockServerUserinfo : public QObject, public Fixture
{
    Q_OBJECT

private:
    QUrl userinfo(const MockAuthServer &server) { return url(server, "/oauth/userinfo"); }

private Q_SLOTS:
    void discoveryNamesIt();
    void claimsByScope_data();
    void claimsByScope();
    void postWithHeaderOrBody();
    void tokenErrors_data();
    void tokenErrors();
    void needsOpenIdScope();
    void faultMakesItFail_data();
    void faultMakesItFail();
    void otherMethodsRefused();
};

void tst_MockServerUserinfo::discoveryNamesIt()
{
    auto server = startServer();
    const QJsonObject d = get(nam, url(*server, "/.well-known/openid-configuration")).json();
    QCOMPARE(d.value(str("userinfo_endpoint")).toString(), userinfo(*server).toString());
}

void tst_MockServerUserinfo::claimsByScope_data()
{
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QStringList>("claims");
    QTest::addRow("openid") << "openid" << QStringList {str("sub")};
    QTest::addRow("profile") << "openid profile"
                             << QStringList {str("name"), str("preferred_username"), str("sub")};
    QTest::addRow("email") << "openid email"
                           << QStringList {str("email"), str("email_verified"), str("sub")};
    QTest::addRow("default") << QString()
                             << QStringList {str("email"), str("email_verified"), str("name"),
                                             str("preferred_username"), str("sub")};
}

void tst_MockServerUserinfo::claimsByScope()
{
    QFETCH(QString, scope);
    QFETCH(QStringList, claims);
    auto server = startServer();
    const FormList extra = scope.isEmpty() ? FormList {} : FormList {{str("scope"), scope}};
    const HttpResult tokens = codeFlow(*server, extra);
    QCOMPARE(tokens.status, 200);
    const HttpResult r = get(nam, userinfo(*server), bearer(tokens.jsonString("access_token")));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
    const QJsonObject info = r.json();
    QStringList keys = info.keys();
    keys.sort();
    QCOMPARE(keys, claims);
    QCOMPARE(info.value(str("sub")).toString(), str("alice"));
    // Core §5.3.2: the same sub, and the same values, as the ID token.
    const QJsonObject id = jwtPart(tokens.jsonString("id_token"), 1);
    QCOMPARE(info.value(str("sub")), id.value(str("sub")));
    if (info.contains(str("email"))) {
        QCOMPARE(info.value(str("email")), id.value(str("email")));
        QCOMPARE(info.value(str("email_verified")).toBool(), true);
    }
    if (info.contains(str("name")))
        QCOMPARE(info.value(str("name")), id.value(str("name")));
    QCOMPARE(stat(*server, "userinfo_requests"), 1);
}

void tst_MockServerUserinfo::postWithHeaderOrBody()
{
    auto server = startServer();
    const QString token = passwordGrant(*server).jsonString("access_token");
    const HttpResult header = send(nam, "POST", userinfo(*server), bearer(token));
    QCOMPARE(header.status, 200);
    QCOMPARE(header.jsonString("sub"), str("alice"));
    // RFC 6750 §2.2: the form-encoded body parameter.
    const HttpResult body = postForm(nam, userinfo(*server), {{str("access_token"), token}});
    QCOMPARE(body.status, 200);
    QCOMPARE(body.jsonString("sub"), str("alice"));
    // RFC 6750 §2: never more than one method at once.
    const HttpResult both
            = postForm(nam, userinfo(*server), {{str("access_token"), token}}, bearer(token));
    QCOMPARE(both.status, 400);
    QCOMPARE(both.jsonString("error"), str("invalid_request"));
    QCOMPARE(stat(*server, "userinfo_requests"), 3);
}

void tst_MockServerUserinfo::tokenErrors_data()
{
    QTest::addColumn<QString>("how");
    QTest::addRow("garbage") << "garbage";
    QTest::addRow("expired") << "expired";
    QTest::addRow("revoked") << "revoked";
}

void tst_MockServerUserinfo::tokenErrors()
{
    QFETCH(QString, how);
    auto server = startServer();
    QString token = passwordGrant(*server).jsonString("access_token");
    if (how == QLatin1String("garbage"))
        token = str("not-a-token");
    else if (how == QLatin1String("expired"))
        server->setFaults(QJsonObject {{str("expire_access_tokens"), true}});
    else
        QCOMPARE(postForm(nam, url(*server, "/oauth/revoke"), {{str("token"), token}}).status, 200);
    const HttpResult r = get(nam, userinfo(*server), bearer(token));
    QCOMPARE(r.status, 401);
    QVERIFY2(r.header("WWW-Authenticate").startsWith("Bearer error=\"invalid_token\""),
             r.header("WWW-Authenticate").constData());
    QCOMPARE(r.jsonString("error"), str("invalid_token"));
    // Without any credentials: a bare challenge (RFC 6750 §3.1).
    const HttpResult none = get(nam, userinfo(*server));
    QCOMPARE(none.status, 401);
    QCOMPARE(none.header("WWW-Authenticate"), QByteArray("Bearer"));
}

void tst_MockServerUserinfo::needsOpenIdScope()
{
    auto server = startServer();
    const QString token = passwordGrant(*server, {{str("scope"), str("profile items")}})
                                  .jsonString("access_token");
    const HttpResult r = get(nam, userinfo(*server), bearer(token));
    QCOMPARE(r.status, 403);
    QVERIFY(r.header("WWW-Authenticate").contains("error=\"insufficient_scope\""));
    QVERIFY(r.header("WWW-Authenticate").contains("scope=\"openid\""));
}

void tst_MockServerUserinfo::faultMakesItFail_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addRow("403") << 403 << "insufficient_scope";
    QTest::addRow("401") << 401 << "invalid_token";
    QTest::addRow("500") << 500 << "server_error";
    QTest::addRow("503") << 503 << "temporarily_unavailable";
}

void tst_MockServerUserinfo::faultMakesItFail()
{
    QFETCH(int, status);
    QFETCH(QString, error);
    auto server = startServer();
    const QString token = passwordGrant(*server).jsonString("access_token");
    const HttpResult set = postJson(nam, url(*server, "/admin/faults"),
                                    QJsonObject {{str("userinfo_status"), status}});
    QCOMPARE(set.status, 200);
    QCOMPARE(set.json().value(str("userinfo_status")).toInt(), status);
    const HttpResult r = get(nam, userinfo(*server), bearer(token));
    QCOMPARE(r.status, status);
    QCOMPARE(r.jsonString("error"), error);
    if (status == 401 || status == 403)
        QVERIFY(r.header("WWW-Authenticate").contains(error.toLatin1()));
    // One request only.
    QCOMPARE(get(nam, userinfo(*server), bearer(token)).status, 200);
    QCOMPARE(stat(*server, "faults_applied"), 1);
    QCOMPARE(stat(*server, "userinfo_requests"), 2);
    // Out of range: refused, nothing applied.
    QCOMPARE(postJson(nam, url(*server, "/admin/faults"),
                      QJsonObject {{str("userinfo_status"), 200}})
                     .status,
             400);
}

void tst_MockServerUserinfo::otherMethodsRefused()
{
    auto server = startServer();
    const HttpResult r = send(nam, "PUT", userinfo(*server));
    QCOMPARE(r.status, 405);
    QCOMPARE(r.header("Allow"), QByteArray("GET, POST"));
}

QTEST_GUILESS_MAIN(tst_MockServerUserinfo)
#include "tst_mockserver_userinfo.moc"
