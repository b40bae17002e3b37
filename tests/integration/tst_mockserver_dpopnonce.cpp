// SPDX-License-Identifier: MIT
// Server-provided DPoP nonces (RFC 9449 §8, §9) at the mock server, the
// faults around them (rotation, scripted rejection, a server that consumes
// the refresh token before asking for a nonce), the server clock offset and
// the Date header (RFC 9110 §6.6.1), and the executable's flags.
#include "dpopprover.h"
#include "mockserverrequests.h"

#include <QLocale>
#include <QRegularExpression>

using namespace MockTest;

namespace {

//! The Date header (RFC 9110 §5.6.7 IMF-fixdate) as seconds since the epoch; -1 if malformed.
qint64 dateOf(const HttpResult &r)
{
    const QDateTime parsed
            = QLocale::c().toDateTime(QString::fromLatin1(r.header("Date")),
                                      QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"));
    if (!parsed.isValid())
        return -1;
    return QDateTime(parsed.date(), parsed.time(), Qt::UTC).toSecsSinceEpoch();
}

} // namespace

class tst_MockServerDpopNonce : public QObject, public Fixture
{
    Q_OBJECT

private:
    static ServerConfig nonces()
    {
        ServerConfig config;
        config.dpopNonce = true;
        return config;
    }
    QUrl tokenUrl(const MockAuthServer &server) { return url(server, "/oauth/token"); }
    HeaderList proofFor(const MockAuthServer &server, const DpopProver &key,
                        const QString &nonce = {})
    {
        return {{"DPoP", key.proof("POST", tokenUrl(server), {}, nonce)}};
    }
    //! Signs in with DPoP, answering the first use_dpop_nonce; returns tokens and nonce.
    HttpResult boundSignIn(const MockAuthServer &server, const DpopProver &key, QString *nonce)
    {
        const HttpResult first = passwordGrant(server, {}, proofFor(server, key));
        *nonce = QString::fromLatin1(first.header("DPoP-Nonce"));
        const HttpResult second = passwordGrant(server, {}, proofFor(server, key, *nonce));
        if (second.hasHeader("DPoP-Nonce"))
            *nonce = QString::fromLatin1(second.header("DPoP-Nonce"));
        return second;
    }
    HttpResult setFaults(const MockAuthServer &server, const QJsonObject &faults)
    {
        return postJson(nam, url(server, "/admin/faults"), faults);
    }

private Q_SLOTS:
    void tokenEndpointAsksForNonce();
    void wrongNonce();
    void nonceCheckedBeforeRefreshIsConsumed();
    void rotationDoesNotConsumeRefresh();
    void consumeBeforeNonceFault();
    void rejectFault_data();
    void rejectFault();
    void rejectFaultTimes();
    void resourceServerNonce();
    void faultValidation();
    void dateHeaderOnEveryAnswer();
    void clockOffset();
    void staleIatSaysSo();
    void executableFlags();
};

void tst_MockServerDpopNonce::tokenEndpointAsksForNonce()
{
    auto server = startServer(nonces());
    const DpopProver key;
    const HttpResult first = passwordGrant(*server, {}, proofFor(*server, key));
    // §8: 400 use_dpop_nonce with the nonce to use in DPoP-Nonce.
    QCOMPARE(first.status, 400);
    QCOMPARE(first.jsonString("error"), str("use_dpop_nonce"));
    const QByteArray nonce = first.header("DPoP-Nonce");
    QCOMPARE(nonce.size(), 43);
    QCOMPARE(stat(*server, "password_grants"), 0);
    QCOMPARE(stat(*server, "dpop_nonce_challenges"), 1);
    const HttpResult second
            = passwordGrant(*server, {}, proofFor(*server, key, QString::fromLatin1(nonce)));
    QCOMPARE(second.status, 200);
    QCOMPARE(second.jsonString("token_type"), str("DPoP"));
    // §8.2: the nonce to use next comes with the answer.
    QCOMPARE(second.header("DPoP-Nonce"), nonce);
    // Without DPoP nothing changes.
    QCOMPARE(passwordGrant(*server).status, 200);
}

void tst_MockServerDpopNonce::wrongNonce()
{
    auto server = startServer(nonces());
    const DpopProver key;
    const HttpResult r = passwordGrant(*server, {}, proofFor(*server, key, str("made-up")));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.jsonString("error"), str("use_dpop_nonce"));
    QVERIFY(r.hasHeader("DPoP-Nonce"));
}

void tst_MockServerDpopNonce::nonceCheckedBeforeRefreshIsConsumed()
{
    auto server = startServer(nonces());
    const DpopProver key;
    QString nonce;
    const QString rt = boundSignIn(*server, key, &nonce).jsonString("refresh_token");
    QVERIFY(!rt.isEmpty());
    // A refresh without the nonce is refused before the refresh token is touched...
    const HttpResult refused = refresh(*server, rt, {}, proofFor(*server, key));
    QCOMPARE(refused.jsonString("error"), str("use_dpop_nonce"));
    // ...so the retry with the same refresh token and the nonce works.
    const HttpResult retried = refresh(*server, rt, {}, proofFor(*server, key, nonce));
    QCOMPARE(retried.status, 200);
    QCOMPARE(stat(*server, "refresh_grants"), 1);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
}

void tst_MockServerDpopNonce::rotationDoesNotConsumeRefresh()
{
    auto server = startServer(nonces());
    const DpopProver key;
    QString nonce;
    const QString rt = boundSignIn(*server, key, &nonce).jsonString("refresh_token");
    QCOMPARE(setFaults(*server, {{str("dpop_nonce_rotate"), true}}).status, 200);
    const HttpResult stale = refresh(*server, rt, {}, proofFor(*server, key, nonce));
    QCOMPARE(stale.status, 400);
    QCOMPARE(stale.jsonString("error"), str("use_dpop_nonce"));
    const QString fresh = QString::fromLatin1(stale.header("DPoP-Nonce"));
    QVERIFY(!fresh.isEmpty() && fresh != nonce);
    const HttpResult retried = refresh(*server, rt, {}, proofFor(*server, key, fresh));
    QCOMPARE(retried.status, 200);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
    QCOMPARE(stat(*server, "live_families"), 1);
}

void tst_MockServerDpopNonce::consumeBeforeNonceFault()
{
    auto server = startServer(nonces());
    const DpopProver key;
    QString nonce;
    const QString rt = boundSignIn(*server, key, &nonce).jsonString("refresh_token");
    setFaults(*server,
              {{str("dpop_consume_before_nonce"), true}, {str("dpop_nonce_rotate"), true}});
    const HttpResult stale = refresh(*server, rt, {}, proofFor(*server, key, nonce));
    QCOMPARE(stale.jsonString("error"), str("use_dpop_nonce"));
    // This server rotated the refresh token first: the retry is a reuse, the family dies.
    QTest::ignoreMessage(QtWarningMsg, "refresh token reuse detected: family revoked");
    const HttpResult retried
            = refresh(*server, rt, {},
                      proofFor(*server, key, QString::fromLatin1(stale.header("DPoP-Nonce"))));
    QCOMPARE(retried.status, 400);
    QCOMPARE(retried.jsonString("error"), str("invalid_grant"));
    QCOMPARE(stat(*server, "reuse_detected"), 1);
    QCOMPARE(stat(*server, "live_families"), 0);
}

void tst_MockServerDpopNonce::rejectFault_data()
{
    QTest::addColumn<QString>("error");
    QTest::addRow("use_dpop_nonce") << "use_dpop_nonce";
    QTest::addRow("invalid_dpop_proof") << "invalid_dpop_proof";
}

void tst_MockServerDpopNonce::rejectFault()
{
    QFETCH(QString, error);
    auto server = startServer(); // nonces off: the fault alone asks for one
    const DpopProver key;
    const QString rt
            = passwordGrant(*server, {}, proofFor(*server, key)).jsonString("refresh_token");
    QCOMPARE(setFaults(*server, {{str("dpop_reject"), error}}).status, 200);
    const HttpResult refused = refresh(*server, rt, {}, proofFor(*server, key));
    QCOMPARE(refused.status, 400);
    QCOMPARE(refused.jsonString("error"), error);
    QCOMPARE(refused.hasHeader("DPoP-Nonce"), error == QLatin1String("use_dpop_nonce"));
    // Once only, and nothing consumed.
    const HttpResult next
            = refresh(*server, rt, {},
                      proofFor(*server, key, QString::fromLatin1(refused.header("DPoP-Nonce"))));
    QCOMPARE(next.status, 200);
    QCOMPARE(stat(*server, "faults_applied"), 1);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
}

void tst_MockServerDpopNonce::rejectFaultTimes()
{
    // "dpop_reject_times": the next N proofs are refused, then none.
    auto server = startServer();
    const DpopProver key;
    const QString rt
            = passwordGrant(*server, {}, proofFor(*server, key)).jsonString("refresh_token");
    QCOMPARE(setFaults(*server,
                       {{str("dpop_reject"), str("use_dpop_nonce")}, {str("dpop_reject_times"), 2}})
                     .status,
             200);
    QCOMPARE(get(nam, url(*server, "/admin/faults")).json().value(str("dpop_reject_times")).toInt(),
             2);
    for (int i = 0; i < 2; ++i) {
        const HttpResult refused = refresh(*server, rt, {}, proofFor(*server, key));
        QCOMPARE(refused.status, 400);
        QCOMPARE(refused.jsonString("error"), str("use_dpop_nonce"));
    }
    QCOMPARE(refresh(*server, rt, {}, proofFor(*server, key)).status, 200);
    QCOMPARE(stat(*server, "faults_applied"), 2);
    QCOMPARE(get(nam, url(*server, "/admin/faults")).json().value(str("dpop_reject")),
             QJsonValue(QJsonValue::Null));
}

void tst_MockServerDpopNonce::resourceServerNonce()
{
    auto server = startServer(nonces());
    const DpopProver key;
    QString asNonce;
    const QString token = boundSignIn(*server, key, &asNonce).jsonString("access_token");
    const QUrl me = url(*server, "/api/me");
    const auto call = [&](const QString &nonce) {
        return get(nam, me,
                   {{"Authorization", "DPoP " + token.toLatin1()},
                    {"DPoP", key.proof("GET", me, token.toLatin1(), nonce)}});
    };
    // §9: 401 with a DPoP challenge use_dpop_nonce and the resource server's own nonce.
    const HttpResult first = call(asNonce);
    QCOMPARE(first.status, 401);
    QVERIFY2(first.header("WWW-Authenticate").startsWith("DPoP error=\"use_dpop_nonce\""),
             first.header("WWW-Authenticate").constData());
    const QString rsNonce = QString::fromLatin1(first.header("DPoP-Nonce"));
    QVERIFY(!rsNonce.isEmpty());
    QVERIFY(rsNonce != asNonce);
    const HttpResult second = call(rsNonce);
    QCOMPARE(second.status, 200);
    QCOMPARE(second.header("DPoP-Nonce").constData(), rsNonce.toLatin1().constData());
    // Rotation reaches the resource server too.
    setFaults(*server, {{str("dpop_nonce_rotate"), true}});
    QCOMPARE(call(rsNonce).status, 401);
}

void tst_MockServerDpopNonce::faultValidation()
{
    auto server = startServer();
    for (const QJsonObject &bad :
         {QJsonObject {{str("dpop_reject"), str("nope")}},
          QJsonObject {{str("dpop_nonce_rotate"), 1}},
          QJsonObject {{str("dpop_consume_before_nonce"), str("yes")}},
          QJsonObject {{str("clock_offset"), 1.5}}, QJsonObject {{str("clock_offset"), str("600")}},
          QJsonObject {{str("dpop_reject_times"), 2}},
          QJsonObject {{str("dpop_reject"), str("use_dpop_nonce")}, {str("dpop_reject_times"), 0}},
          QJsonObject {{str("dpop_reject"), str("use_dpop_nonce")},
                       {str("dpop_reject_times"), 1.5}}}) {
        QCOMPARE(setFaults(*server, bad).status, 400);
    }
    const QJsonObject pending = get(nam, url(*server, "/admin/faults")).json();
    QCOMPARE(pending.value(str("dpop_reject")), QJsonValue(QJsonValue::Null));
    QCOMPARE(pending.value(str("clock_offset")).toInt(), 0);
    QCOMPARE(pending.value(str("dpop_consume_before_nonce")).toBool(), false);
}

void tst_MockServerDpopNonce::dateHeaderOnEveryAnswer()
{
    auto server = startServer();
    const QUrl api = server->addApiListener(str("https://api.a.example"));
    const QByteArray tooBig(70 * 1024, 'x');
    const QList<HttpResult> answers {get(nam, url(*server, "/.well-known/openid-configuration")),
                                     passwordGrant(*server),
                                     get(nam, url(*server, "/api/me")),
                                     get(nam, url(*server, "/no/such/path")),
                                     get(nam, endpoint(api, str("/api/me"))),
                                     send(nam, "POST", url(*server, "/oauth/token"),
                                          {{"Content-Type", "application/x-www-form-urlencoded"}},
                                          tooBig)};
    for (const HttpResult &r : answers) {
        QVERIFY2(dateOf(r) > 0, r.header("Date").constData());
        QVERIFY(qAbs(dateOf(r) - QDateTime::currentSecsSinceEpoch()) <= 5);
    }
    QCOMPARE(answers.last().status, 413);
}

void tst_MockServerDpopNonce::clockOffset()
{
    auto server = startServer();
    QCOMPARE(setFaults(*server, {{str("clock_offset"), 600}}).status, 200);
    const HttpResult r = passwordGrant(*server);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QVERIFY2(qAbs(dateOf(r) - (now + 600)) <= 5, r.header("Date").constData());
    const qint64 iat = jwtPart(r.jsonString("access_token"), 1).value(str("iat")).toInteger();
    QVERIFY(qAbs(iat - (now + 600)) <= 5);
    // The server's clock is what iat is checked against: a proof made "now" is 600 s old.
    const DpopProver key;
    const HttpResult stale = passwordGrant(
            *server, {}, {{"DPoP", key.proof("POST", url(*server, "/oauth/token"))}});
    QCOMPARE(stale.jsonString("error"), str("invalid_dpop_proof"));
    DpopProver::Options o;
    o.htm = "POST";
    o.htu = url(*server, "/oauth/token");
    o.iat = now + 600;
    QCOMPARE(passwordGrant(*server, {}, {{"DPoP", key.proof(o)}}).status, 200);
    // The tokens it issued are valid on its clock; clearing the faults brings it back.
    QCOMPARE(get(nam, url(*server, "/api/me"), bearer(r.jsonString("access_token"))).status, 200);
    send(nam, "DELETE", url(*server, "/admin/faults"));
    QCOMPARE(passwordGrant(*server, {}, {{"DPoP", key.proof("POST", url(*server, "/oauth/token"))}})
                     .status,
             200);
}

void tst_MockServerDpopNonce::staleIatSaysSo()
{
    ServerConfig config;
    config.dpopIatWindow = 10;
    auto server = startServer(config);
    const DpopProver key;
    DpopProver::Options o;
    o.htm = "POST";
    o.htu = url(*server, "/oauth/token");
    o.iat = QDateTime::currentSecsSinceEpoch() - 300;
    const HttpResult r = passwordGrant(*server, {}, {{"DPoP", key.proof(o)}});
    QCOMPARE(r.jsonString("error"), str("invalid_dpop_proof"));
    // The description says what is wrong, so a client can tell clock skew.
    const QString why = r.jsonString("error_description");
    static const QRegularExpression says(
            QStringLiteral("^iat is 30[0-9] s in the past \\(server time [0-9]+, accepted within "
                           "10 s\\)$"));
    QVERIFY2(says.match(why).hasMatch(), qPrintable(why));
    o.iat = QDateTime::currentSecsSinceEpoch() - 5; // inside the 10 s window
    QCOMPARE(passwordGrant(*server, {}, {{"DPoP", key.proof(o)}}).status, 200);
}

void tst_MockServerDpopNonce::executableFlags()
{
    MockServerProcess process;
    QVERIFY(process.start({str("--dpop-nonce"), str("--clock-offset"), str("-300"),
                           str("--dpop-iat-window"), str("30")}));
    const QUrl token = endpoint(process.baseUrl(), str("/oauth/token"));
    const DpopProver key;
    const FormList grant {{str("grant_type"), str("password")},
                          {str("client_id"), str("demo")},
                          {str("username"), str("alice")},
                          {str("password"), str("wonderland")}};
    DpopProver::Options o;
    o.htm = "POST";
    o.htu = token;
    o.iat = QDateTime::currentSecsSinceEpoch() - 300; // the server's time
    const HttpResult first = postForm(nam, token, grant, {{"DPoP", key.proof(o)}});
    QCOMPARE(first.jsonString("error"), str("use_dpop_nonce"));
    o.nonce = QString::fromLatin1(first.header("DPoP-Nonce"));
    const HttpResult second = postForm(nam, token, grant, {{"DPoP", key.proof(o)}});
    QCOMPARE(second.status, 200);
    QVERIFY(qAbs(dateOf(second) - (QDateTime::currentSecsSinceEpoch() - 300)) <= 5);
    QVERIFY(process.stop());
    MockServerProcess bad;
    QVERIFY(!bad.start({str("--clock-offset"), str("soon")}));
}

QTEST_GUILESS_MAIN(tst_MockServerDpopNonce)
#include "tst_mockserver_dpopnonce.moc"
