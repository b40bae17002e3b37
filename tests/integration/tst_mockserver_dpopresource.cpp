// SPDX-License-Identifier: MIT
// DPoP-bound access tokens at the mock server's resources (RFC 9449 §7): the
// DPoP scheme with a proof of the bound key and ath, and every way of getting
// it wrong (bearer downgrade, no proof, another key, wrong ath/htm/htu, an
// unbound token as DPoP), at /api/*, an extra resource server and userinfo.
#include "dpopprover.h"
#include "mockserverrequests.h"

using namespace MockTest;

class tst_MockServerDpopResource : public QObject, public Fixture
{
    Q_OBJECT

private:
    QString boundToken(const MockAuthServer &server, const DpopProver &key,
                       const FormList &extra = {})
    {
        return passwordGrant(server, extra,
                             {{"DPoP", key.proof("POST", url(server, "/oauth/token"))}})
                .jsonString("access_token");
    }
    static HeaderList dpopAuth(const QString &token, const QByteArray &proof)
    {
        HeaderList h {{"Authorization", "DPoP " + token.toLatin1()}};
        if (!proof.isEmpty())
            h.append({"DPoP", proof});
        return h;
    }
    HttpResult dpopGet(const QUrl &target, const QString &token, const DpopProver &key)
    {
        return get(nam, target, dpopAuth(token, key.proof("GET", target, token.toLatin1())));
    }

private Q_SLOTS:
    void boundTokenWithProof();
    void refusals_data();
    void refusals();
    void unboundTokenAsDpop();
    void bearerAndDpopHeaderUnbound();
    void replayedProofAtResource();
    void extraListener();
    void userinfo();
    void stepUpChallengeInDpopScheme();
};

void tst_MockServerDpopResource::boundTokenWithProof()
{
    auto server = startServer();
    const DpopProver key;
    const QString token = boundToken(*server, key);
    for (const char *path : {"/api/me", "/api/items", "/api/echo"}) {
        const HttpResult r = dpopGet(url(*server, path), token, key);
        QCOMPARE(r.status, 200);
    }
    // The path and method are part of the proof: POST to /api/echo.
    const QUrl echo = url(*server, "/api/echo");
    const HttpResult post = send(nam, "POST", echo,
                                 dpopAuth(token, key.proof("POST", echo, token.toLatin1())), "hi");
    QCOMPARE(post.status, 200);
    QCOMPARE(stat(*server, "authorized_requests"), 4);
    QCOMPARE(stat(*server, "dpop_proofs"), 5); // one at the token endpoint
}

void tst_MockServerDpopResource::refusals_data()
{
    QTest::addColumn<QString>("what");
    QTest::addColumn<QByteArray>("error");
    QTest::addRow("bound token as Bearer") << "bearer" << QByteArray("invalid_token");
    QTest::addRow("no proof") << "no-proof" << QByteArray("invalid_dpop_proof");
    QTest::addRow("proof of another key") << "other-key" << QByteArray("invalid_token");
    QTest::addRow("no ath") << "no-ath" << QByteArray("invalid_dpop_proof");
    QTest::addRow("ath of another token") << "wrong-ath" << QByteArray("invalid_dpop_proof");
    QTest::addRow("wrong htm") << "htm" << QByteArray("invalid_dpop_proof");
    QTest::addRow("htu of another resource") << "htu" << QByteArray("invalid_dpop_proof");
    QTest::addRow("stale iat") << "iat" << QByteArray("invalid_dpop_proof");
    QTest::addRow("typ") << "typ" << QByteArray("invalid_dpop_proof");
}

void tst_MockServerDpopResource::refusals()
{
    QFETCH(QString, what);
    QFETCH(QByteArray, error);
    auto server = startServer();
    const DpopProver key;
    const DpopProver other;
    const QString token = boundToken(*server, key);
    const QUrl me = url(*server, "/api/me");
    DpopProver::Options o;
    o.htm = "GET";
    o.htu = me;
    o.accessToken = token.toLatin1();
    HeaderList headers;
    if (what == QLatin1String("bearer")) {
        headers = bearer(token);
    } else if (what == QLatin1String("no-proof")) {
        headers = dpopAuth(token, {});
    } else if (what == QLatin1String("other-key")) {
        headers = dpopAuth(token, other.proof(o));
    } else {
        if (what == QLatin1String("no-ath"))
            o.accessToken.clear();
        else if (what == QLatin1String("wrong-ath"))
            o.athOverride = QString::fromLatin1(DpopProver::ath("another token"));
        else if (what == QLatin1String("htm"))
            o.htm = "POST";
        else if (what == QLatin1String("htu"))
            o.htu = url(*server, "/api/items");
        else if (what == QLatin1String("iat"))
            o.iat = QDateTime::currentSecsSinceEpoch() - 3600;
        else if (what == QLatin1String("typ"))
            o.typ = str("jwt");
        headers = dpopAuth(token, key.proof(o));
    }
    const HttpResult r = get(nam, me, headers);
    QCOMPARE(r.status, 401);
    // §7.1: the challenge is in the DPoP scheme, with the algorithms accepted.
    const QByteArray challenge = r.header("WWW-Authenticate");
    QVERIFY2(challenge.startsWith("DPoP error=\"" + error + '"'), challenge.constData());
    QVERIFY(challenge.contains("algs=\"ES256\""));
    QCOMPARE(r.jsonString("error"), QString::fromLatin1(error));
    QCOMPARE(stat(*server, "unauthorized"), 1);
    QCOMPARE(stat(*server, "authorized_requests"), 0);
    QCOMPARE(stat(*server, "dpop_rejected"), 1);
}

void tst_MockServerDpopResource::unboundTokenAsDpop()
{
    auto server = startServer();
    const DpopProver key;
    const QString token = passwordGrant(*server).jsonString("access_token");
    const HttpResult r = dpopGet(url(*server, "/api/me"), token, key);
    QCOMPARE(r.status, 401);
    QVERIFY(r.header("WWW-Authenticate").startsWith("DPoP error=\"invalid_token\""));
    QVERIFY(r.jsonString("error_description").contains(str("not DPoP-bound")));
}

void tst_MockServerDpopResource::bearerAndDpopHeaderUnbound()
{
    auto server = startServer();
    const DpopProver key;
    const QString token = passwordGrant(*server).jsonString("access_token");
    // An unbound token stays a bearer token; a stray DPoP header changes nothing.
    HeaderList headers = bearer(token);
    headers.append({"DPoP", key.proof("GET", url(*server, "/api/me"), token.toLatin1())});
    QCOMPARE(get(nam, url(*server, "/api/me"), headers).status, 200);
}

void tst_MockServerDpopResource::replayedProofAtResource()
{
    auto server = startServer();
    const DpopProver key;
    const QString token = boundToken(*server, key);
    const QUrl me = url(*server, "/api/me");
    const HeaderList headers = dpopAuth(token, key.proof("GET", me, token.toLatin1()));
    QCOMPARE(get(nam, me, headers).status, 200);
    const HttpResult replay = get(nam, me, headers);
    QCOMPARE(replay.status, 401);
    QVERIFY(replay.header("WWW-Authenticate").startsWith("DPoP error=\"invalid_dpop_proof\""));
    QVERIFY(replay.jsonString("error_description").contains(str("jti")));
}

void tst_MockServerDpopResource::extraListener()
{
    auto server = startServer();
    const QString audience = str("https://api.a.example");
    const QUrl api = server->addApiListener(audience);
    const DpopProver key;
    const QString token = boundToken(*server, key, {{str("resource"), audience}});
    // htu is the extra listener's URI, not the main one's.
    const QUrl me = endpoint(api, str("/api/me"));
    QCOMPARE(dpopGet(me, token, key).status, 200);
    const HttpResult wrongHtu = get(
            nam, me, dpopAuth(token, key.proof("GET", url(*server, "/api/me"), token.toLatin1())));
    QCOMPARE(wrongHtu.status, 401);
    QVERIFY(wrongHtu.header("WWW-Authenticate").startsWith("DPoP error=\"invalid_dpop_proof\""));
    const QJsonObject counters
            = server->stats().value(str("audiences")).toObject().value(audience).toObject();
    QCOMPARE(counters.value(str("authorized_requests")).toInt(), 1);
    QCOMPARE(counters.value(str("unauthorized")).toInt(), 1);
}

void tst_MockServerDpopResource::userinfo()
{
    auto server = startServer();
    const DpopProver key;
    const QString token = boundToken(*server, key);
    const QUrl info = url(*server, "/oauth/userinfo");
    const HttpResult r = dpopGet(info, token, key);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.jsonString("sub"), str("alice"));
    const HttpResult asBearer = get(nam, info, bearer(token));
    QCOMPARE(asBearer.status, 401);
    QVERIFY(asBearer.header("WWW-Authenticate").startsWith("DPoP error=\"invalid_token\""));
    const QUrl post = info;
    const HttpResult viaPost
            = send(nam, "POST", post, dpopAuth(token, key.proof("POST", post, token.toLatin1())));
    QCOMPARE(viaPost.status, 200);
}

void tst_MockServerDpopResource::stepUpChallengeInDpopScheme()
{
    auto server = startServer();
    const DpopProver key;
    const QString token = boundToken(*server, key);
    server->setFaults(
            QJsonObject {{str("step_up"), QJsonObject {{str("acr_values"), str("urn:mfa")}}}});
    const HttpResult r = dpopGet(url(*server, "/api/me"), token, key);
    QCOMPARE(r.status, 401);
    const QByteArray challenge = r.header("WWW-Authenticate");
    QVERIFY2(challenge.startsWith("DPoP error=\"insufficient_user_authentication\""),
             challenge.constData());
    QVERIFY(challenge.contains("acr_values=\"urn:mfa\""));
}

QTEST_GUILESS_MAIN(tst_MockServerDpopResource)
#include "tst_mockserver_dpopresource.moc"
