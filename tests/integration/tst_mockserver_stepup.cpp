// SPDX-License-Identifier: MIT
// Step-up authentication (RFC 9470) and insufficient scope (RFC 6750 §3.1) at
// the mock server's resource servers: acr and auth_time in the tokens, kept
// across refreshes; the step_up and require_scope faults and their
// challenges; a new authorization request that satisfies them.
#include "mockserverrequests.h"

#include <QDateTime>
#include <QDir>
#include <QFile>

using namespace MockTest;

class tst_MockServerStepUp : public QObject, public Fixture
{
    Q_OBJECT

private:
    HttpResult setFaults(const MockAuthServer &server, const QJsonObject &faults)
    {
        return postJson(nam, url(server, "/admin/faults"), faults);
    }
    HttpResult me(const MockAuthServer &server, const QString &token)
    {
        return get(nam, url(server, "/api/me"), bearer(token));
    }

private Q_SLOTS:
    void tokensCarryAcrAndAuthTime();
    void claimsKeptAcrossRefresh();
    void noClaimsWithoutRequest();
    void stepUpAcr();
    void stepUpMaxAge();
    void stepUpBoth();
    void stepUpAtExtraListener();
    void stepUpFaultValidation_data();
    void stepUpFaultValidation();
    void stepUpCleared();
    void requireScope();
    void requireScopeValidation();
};

void tst_MockServerStepUp::tokensCarryAcrAndAuthTime()
{
    auto server = startServer();
    const qint64 before = QDateTime::currentSecsSinceEpoch();
    const HttpResult tokens = codeFlow(*server, {{str("acr_values"), str("urn:mfa")}});
    const QJsonObject access = jwtPart(tokens.jsonString("access_token"), 1);
    QCOMPARE(access.value(str("acr")).toString(), str("urn:mfa"));
    const qint64 authTime = access.value(str("auth_time")).toInteger();
    QVERIFY(authTime >= before - 1 && authTime <= QDateTime::currentSecsSinceEpoch());
    const QJsonObject id = jwtPart(tokens.jsonString("id_token"), 1);
    QCOMPARE(id.value(str("acr")), access.value(str("acr")));
    QCOMPARE(id.value(str("auth_time")), access.value(str("auth_time")));
}

void tst_MockServerStepUp::claimsKeptAcrossRefresh()
{
    ServerConfig config;
    config.stateFile = QDir::temp().filePath(
            str("tst_mockserver_stepup_%1.json").arg(QCoreApplication::applicationPid()));
    QFile::remove(config.stateFile);
    auto server = startServer(config);
    const HttpResult tokens
            = codeFlow(*server, {{str("acr_values"), str("urn:mfa")}, {str("max_age"), str("60")}});
    const QJsonObject first = jwtPart(tokens.jsonString("access_token"), 1);
    const HttpResult next = refresh(*server, tokens.jsonString("refresh_token"));
    const QJsonObject second = jwtPart(next.jsonString("access_token"), 1);
    QCOMPARE(second.value(str("acr")), first.value(str("acr")));
    QCOMPARE(second.value(str("auth_time")), first.value(str("auth_time")));
    // ...and across a restart with --state.
    server.reset();
    server = startServer(config);
    const HttpResult restarted = refresh(*server, next.jsonString("refresh_token"));
    QCOMPARE(restarted.status, 200);
    QCOMPARE(jwtPart(restarted.jsonString("access_token"), 1).value(str("acr")),
             first.value(str("acr")));
    QCOMPARE(jwtPart(restarted.jsonString("access_token"), 1).value(str("auth_time")),
             first.value(str("auth_time")));
    QFile::remove(config.stateFile);
}

void tst_MockServerStepUp::noClaimsWithoutRequest()
{
    auto server = startServer();
    const QJsonObject access = jwtPart(codeFlow(*server).jsonString("access_token"), 1);
    QVERIFY(!access.contains(str("acr")));
    QVERIFY(!access.contains(str("auth_time")));
}

void tst_MockServerStepUp::stepUpAcr()
{
    auto server = startServer();
    const QString weak = passwordGrant(*server).jsonString("access_token");
    const HttpResult set = setFaults(
            *server, {{str("step_up"), QJsonObject {{str("acr_values"), str("urn:mfa")}}}});
    QCOMPARE(set.status, 200);
    QCOMPARE(set.json().value(str("step_up")).toObject().value(str("acr_values")).toString(),
             str("urn:mfa"));
    const HttpResult refused = me(*server, weak);
    QCOMPARE(refused.status, 401);
    QCOMPARE(refused.jsonString("error"), str("insufficient_user_authentication"));
    const QByteArray challenge = refused.header("WWW-Authenticate");
    QVERIFY2(challenge.startsWith("Bearer error=\"insufficient_user_authentication\", "
                                  "error_description=\""),
             challenge.constData());
    QVERIFY(challenge.contains("acr_values=\"urn:mfa\""));
    QVERIFY(!challenge.contains("max_age"));
    QCOMPARE(stat(*server, "step_up_challenges"), 1);
    QCOMPARE(stat(*server, "unauthorized"), 1);
    // Another acr is not enough either.
    const QString other
            = codeFlow(*server, {{str("acr_values"), str("urn:pwd")}}).jsonString("access_token");
    QCOMPARE(me(*server, other).status, 401);
    // The requested acr "performed": satisfied (RFC 9470 §4).
    const QString strong
            = codeFlow(*server, {{str("acr_values"), str("urn:mfa")}}).jsonString("access_token");
    QCOMPARE(me(*server, strong).status, 200);
    QCOMPARE(stat(*server, "step_up_challenges"), 2);
}

void tst_MockServerStepUp::stepUpMaxAge()
{
    auto server = startServer();
    const HttpResult fresh = codeFlow(*server, {{str("max_age"), str("0")}});
    const QString token = fresh.jsonString("access_token");
    const qint64 authTime = jwtPart(token, 1).value(str("auth_time")).toInteger();
    QVERIFY(authTime > 0);
    setFaults(*server, {{str("step_up"), QJsonObject {{str("max_age"), 300}}}});
    QCOMPARE(me(*server, token).status, 200);
    // A token without auth_time cannot show a recent sign-in.
    const HttpResult noTime = me(*server, passwordGrant(*server).jsonString("access_token"));
    QCOMPARE(noTime.status, 401);
    QVERIFY(noTime.header("WWW-Authenticate").contains("max_age=\"300\""));
    QVERIFY(noTime.header("WWW-Authenticate").contains("more recent authentication"));
    // max_age 0: whatever the token, the sign-in is too old once a second has passed.
    setFaults(*server, {{str("step_up"), QJsonObject {{str("max_age"), 0}}}});
    QTRY_COMPARE_WITH_TIMEOUT(me(*server, token).status, 401, 5000);
}

void tst_MockServerStepUp::stepUpBoth()
{
    auto server = startServer();
    setFaults(*server,
              {{str("step_up"),
                QJsonObject {{str("acr_values"), str("urn:a urn:b")}, {str("max_age"), 60}}}});
    const HttpResult r = me(*server, passwordGrant(*server).jsonString("access_token"));
    QCOMPARE(r.status, 401);
    const QByteArray challenge = r.header("WWW-Authenticate");
    QVERIFY(challenge.contains("acr_values=\"urn:a urn:b\", max_age=\"60\""));
    // Any of the acr_values will do, with a recent auth_time.
    const QString token
            = codeFlow(*server, {{str("acr_values"), str("urn:b")}, {str("max_age"), str("60")}})
                      .jsonString("access_token");
    QCOMPARE(me(*server, token).status, 200);
}

void tst_MockServerStepUp::stepUpAtExtraListener()
{
    auto server = startServer();
    const QUrl api = server->addApiListener(str("https://api.a.example"));
    const QString token = passwordGrant(*server, {{str("resource"), str("https://api.a.example")}})
                                  .jsonString("access_token");
    setFaults(*server, {{str("step_up"), QJsonObject {{str("acr_values"), str("urn:mfa")}}}});
    const HttpResult r = get(nam, endpoint(api, str("/api/me")), bearer(token));
    QCOMPARE(r.status, 401);
    QCOMPARE(r.jsonString("error"), str("insufficient_user_authentication"));
    QCOMPARE(server->stats()
                     .value(str("audiences"))
                     .toObject()
                     .value(str("https://api.a.example"))
                     .toObject()
                     .value(str("unauthorized"))
                     .toInt(),
             1);
}

void tst_MockServerStepUp::stepUpFaultValidation_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addRow("empty object") << QJsonValue(QJsonObject {});
    QTest::addRow("negative max_age") << QJsonValue(QJsonObject {{str("max_age"), -1}});
    QTest::addRow("max_age string") << QJsonValue(QJsonObject {{str("max_age"), str("5")}});
    QTest::addRow("quote in acr") << QJsonValue(QJsonObject {{str("acr_values"), str("a\"b")}});
    QTest::addRow("unknown member")
            << QJsonValue(QJsonObject {{str("acr_values"), str("x")}, {str("acr"), str("x")}});
    QTest::addRow("not an object") << QJsonValue(str("urn:mfa"));
}

void tst_MockServerStepUp::stepUpFaultValidation()
{
    QFETCH(QJsonValue, value);
    auto server = startServer();
    const HttpResult r = setFaults(*server, {{str("step_up"), value}});
    QCOMPARE(r.status, 400);
    QCOMPARE(get(nam, url(*server, "/admin/faults")).json().value(str("step_up")),
             QJsonValue(QJsonValue::Null));
    QCOMPARE(me(*server, passwordGrant(*server).jsonString("access_token")).status, 200);
}

void tst_MockServerStepUp::stepUpCleared()
{
    auto server = startServer();
    const QString token = passwordGrant(*server).jsonString("access_token");
    setFaults(*server, {{str("step_up"), QJsonObject {{str("acr_values"), str("urn:mfa")}}}});
    QCOMPARE(me(*server, token).status, 401);
    QCOMPARE(me(*server, token).status, 401); // sticky until cleared
    QCOMPARE(setFaults(*server, {{str("step_up"), QJsonValue(QJsonValue::Null)}}).status, 200);
    QCOMPARE(me(*server, token).status, 200);
    setFaults(*server, {{str("step_up"), QJsonObject {{str("acr_values"), str("urn:mfa")}}}});
    QCOMPARE(send(nam, "DELETE", url(*server, "/admin/faults")).status, 200);
    QCOMPARE(me(*server, token).status, 200);
}

void tst_MockServerStepUp::requireScope()
{
    auto server = startServer();
    const QString narrow = passwordGrant(*server).jsonString("access_token");
    QCOMPARE(setFaults(*server, {{str("require_scope"), str("items:write")}}).status, 200);
    for (const char *path : {"/api/me", "/api/items", "/api/echo"}) {
        const HttpResult r = get(nam, url(*server, path), bearer(narrow));
        QCOMPARE(r.status, 403);
        QCOMPARE(r.jsonString("error"), str("insufficient_scope"));
        const QByteArray challenge = r.header("WWW-Authenticate");
        QVERIFY2(challenge.startsWith("Bearer error=\"insufficient_scope\""),
                 challenge.constData());
        QVERIFY(challenge.contains("scope=\"items:write\""));
    }
    QCOMPARE(stat(*server, "insufficient_scope"), 3);
    QCOMPARE(stat(*server, "unauthorized"), 0); // 403, not 401
    // A new authorization request for more scope simply gets it.
    const HttpResult wider = codeFlow(*server, {{str("scope"), str("openid items items:write")}});
    QCOMPARE(wider.jsonString("scope"), str("openid items items:write"));
    QCOMPARE(get(nam, url(*server, "/api/items"), bearer(wider.jsonString("access_token"))).status,
             200);
    // And a refresh cannot widen the old grant.
    const HttpResult widened = refresh(*server, passwordGrant(*server).jsonString("refresh_token"),
                                       {{str("scope"), str("openid items:write")}});
    QCOMPARE(widened.jsonString("error"), str("invalid_scope"));
}

void tst_MockServerStepUp::requireScopeValidation()
{
    auto server = startServer();
    QCOMPARE(setFaults(*server, {{str("require_scope"), str("root")}}).status, 400);
    QCOMPARE(setFaults(*server, {{str("require_scope"), str("items write")}}).status, 400);
    QCOMPARE(setFaults(*server, {{str("require_scope"), 5}}).status, 400);
    QCOMPARE(get(nam, url(*server, "/admin/faults")).json().value(str("require_scope")),
             QJsonValue(QJsonValue::Null));
    QCOMPARE(setFaults(*server, {{str("require_scope"), str("items")}}).status, 200);
    QCOMPARE(setFaults(*server, {{str("require_scope"), QJsonValue(QJsonValue::Null)}}).status,
             200);
    QCOMPARE(get(nam, url(*server, "/admin/faults")).json().value(str("require_scope")),
             QJsonValue(QJsonValue::Null));
}

QTEST_GUILESS_MAIN(tst_MockServerStepUp)
#include "tst_mockserver_stepup.moc"
