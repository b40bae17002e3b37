// SPDX-License-Identifier: MIT
// DPoP (RFC 9449) at the mock server's authorization-server endpoints: proof
// checks (§4.3) with a proof per rule broken, token binding (token_type DPoP,
// cnf.jkt, §5, §6), refresh-token binding for public clients, code binding
// (dpop_jkt, PAR, §10), revocation, discovery.
#include "dpopprover.h"
#include "mockserverrequests.h"

#include <QTcpSocket>

using namespace MockTest;

class tst_MockServerDpop : public QObject, public Fixture
{
    Q_OBJECT

private:
    QUrl tokenUrl(const MockAuthServer &server) { return url(server, "/oauth/token"); }
    HeaderList dpopHeader(const QByteArray &proof) { return {{"DPoP", proof}}; }
    HttpResult dpopPassword(const MockAuthServer &server, const DpopProver &key,
                            const FormList &extra = {})
    {
        return passwordGrant(server, extra, dpopHeader(key.proof("POST", tokenUrl(server))));
    }
    HttpResult dpopRefresh(const MockAuthServer &server, const QString &token,
                           const DpopProver *key)
    {
        return refresh(server, token, {},
                       key ? dpopHeader(key->proof("POST", tokenUrl(server))) : HeaderList {});
    }

private Q_SLOTS:
    void discovery();
    void boundTokens();
    void withoutProofAsToday();
    void refreshBoundToKey();
    void refreshBindsLaterProof();
    void confidentialRefreshNotBound();
    void proofErrors_data();
    void proofErrors();
    void htuIgnoresQueryAndNormalises();
    void replayedJti();
    void twoDpopHeaders();
    void codeBoundByDpopJkt();
    void codeBoundByParProof();
    void revocationChecksProof();
};

void tst_MockServerDpop::discovery()
{
    auto server = startServer();
    const QJsonObject d = get(nam, url(*server, "/.well-known/openid-configuration")).json();
    QCOMPARE(d.value(str("dpop_signing_alg_values_supported")).toArray(),
             QJsonArray {str("ES256")});
}

void tst_MockServerDpop::boundTokens()
{
    auto server = startServer();
    const DpopProver key;
    const HttpResult r = dpopPassword(*server, key);
    QCOMPARE(r.status, 200);
    // RFC 9449 §5: token_type DPoP; §6.1: cnf.jkt is the key's RFC 7638 thumbprint.
    QCOMPARE(r.jsonString("token_type"), str("DPoP"));
    const QJsonObject claims = jwtPart(r.jsonString("access_token"), 1);
    QCOMPARE(claims.value(str("cnf")).toObject().value(str("jkt")).toString(),
             QString::fromLatin1(key.thumbprint()));
    QCOMPARE(stat(*server, "dpop_proofs"), 1);
    QCOMPARE(stat(*server, "dpop_rejected"), 0);
    // The code flow and the refresh bind too.
    const Pkce pkce;
    const QString code = queryValue(signIn(*server, authorizeParams(pkce.challenge)), "code");
    const HttpResult exchanged
            = exchange(*server, code, pkce.verifier, str("http://127.0.0.1:43210/callback"), {},
                       dpopHeader(key.proof("POST", tokenUrl(*server))));
    QCOMPARE(exchanged.jsonString("token_type"), str("DPoP"));
    const HttpResult refreshed = dpopRefresh(*server, exchanged.jsonString("refresh_token"), &key);
    QCOMPARE(refreshed.jsonString("token_type"), str("DPoP"));
    QCOMPARE(jwtPart(refreshed.jsonString("access_token"), 1)
                     .value(str("cnf"))
                     .toObject()
                     .value(str("jkt"))
                     .toString(),
             QString::fromLatin1(key.thumbprint()));
}

void tst_MockServerDpop::withoutProofAsToday()
{
    auto server = startServer();
    const HttpResult r = passwordGrant(*server);
    QCOMPARE(r.jsonString("token_type"), str("Bearer"));
    QVERIFY(!jwtPart(r.jsonString("access_token"), 1).contains(str("cnf")));
    QVERIFY(!r.hasHeader("DPoP-Nonce"));
    QCOMPARE(stat(*server, "dpop_proofs"), 0);
}

void tst_MockServerDpop::refreshBoundToKey()
{
    auto server = startServer();
    const DpopProver key;
    const DpopProver other;
    QString rt = dpopPassword(*server, key).jsonString("refresh_token");
    // §5: a public client's refresh token needs a proof of the same key...
    const HttpResult none = dpopRefresh(*server, rt, nullptr);
    QCOMPARE(none.status, 400);
    QCOMPARE(none.jsonString("error"), str("invalid_dpop_proof"));
    const HttpResult wrongKey = dpopRefresh(*server, rt, &other);
    QCOMPARE(wrongKey.status, 400);
    QCOMPARE(wrongKey.jsonString("error"), str("invalid_dpop_proof"));
    QVERIFY(wrongKey.jsonString("error_description").contains(str("another")));
    // ...and those refusals consumed nothing.
    const HttpResult good = dpopRefresh(*server, rt, &key);
    QCOMPARE(good.status, 200);
    rt = good.jsonString("refresh_token");
    QCOMPARE(dpopRefresh(*server, rt, &key).status, 200);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
    QCOMPARE(stat(*server, "refresh_grants"), 2);
    QCOMPARE(stat(*server, "dpop_rejected"), 2);
}

void tst_MockServerDpop::refreshBindsLaterProof()
{
    auto server = startServer();
    const DpopProver key;
    const QString rt = passwordGrant(*server).jsonString("refresh_token");
    const HttpResult first = dpopRefresh(*server, rt, &key);
    QCOMPARE(first.status, 200);
    QCOMPARE(first.jsonString("token_type"), str("DPoP"));
    // From then on the grant is bound (§5: "MUST be bound").
    QCOMPARE(dpopRefresh(*server, first.jsonString("refresh_token"), nullptr).jsonString("error"),
             str("invalid_dpop_proof"));
}

void tst_MockServerDpop::confidentialRefreshNotBound()
{
    ServerConfig config;
    config.clientSecrets.insert(str("app"), str("secret"));
    auto server = startServer(config);
    const DpopProver key;
    const FormList grant {{str("grant_type"), str("password")},
                          {str("username"), str("alice")},
                          {str("password"), str("wonderland")}};
    HeaderList headers = basicAuth(str("app"), str("secret"));
    headers.append({"DPoP", key.proof("POST", tokenUrl(*server))});
    const HttpResult r = tokenRequest(*server, grant, headers);
    QCOMPARE(r.jsonString("token_type"), str("DPoP")); // the access token is bound...
    // ...the refresh token is not: the client authenticates instead (§5).
    const HttpResult refreshed
            = tokenRequest(*server,
                           {{str("grant_type"), str("refresh_token")},
                            {str("refresh_token"), r.jsonString("refresh_token")}},
                           basicAuth(str("app"), str("secret")));
    QCOMPARE(refreshed.status, 200);
    QCOMPARE(refreshed.jsonString("token_type"), str("Bearer"));
}

void tst_MockServerDpop::proofErrors_data()
{
    QTest::addColumn<QString>("what");
    QTest::addColumn<QString>("why"); // part of error_description
    QTest::addRow("wrong htm") << "htm"
                               << "htm";
    QTest::addRow("wrong htu (path)") << "htu-path"
                                      << "htu";
    QTest::addRow("wrong htu (port)") << "htu-port"
                                      << "htu";
    QTest::addRow("missing htu") << "htu-missing"
                                 << "required";
    QTest::addRow("typ JWT") << "typ"
                             << "typ";
    QTest::addRow("alg none") << "alg-none"
                              << "ES256";
    QTest::addRow("alg RS256") << "alg-rs256"
                               << "ES256";
    QTest::addRow("alg HS256") << "alg-hs256"
                               << "ES256";
    QTest::addRow("private key in jwk") << "private"
                                        << "private";
    QTest::addRow("bad signature") << "signature"
                                   << "signature";
    QTest::addRow("stale iat") << "iat-old"
                               << "in the past";
    QTest::addRow("future iat") << "iat-future"
                                << "in the future";
    QTest::addRow("not a JWT") << "garbage"
                               << "JWT";
    QTest::addRow("long jti") << "jti-long"
                              << "jti";
}

void tst_MockServerDpop::proofErrors()
{
    QFETCH(QString, what);
    QFETCH(QString, why);
    auto server = startServer();
    const DpopProver key;
    DpopProver::Options o;
    o.htm = "POST";
    o.htu = tokenUrl(*server);
    QByteArray proof;
    if (what == QLatin1String("htm")) {
        o.htm = "GET";
    } else if (what == QLatin1String("htu-path")) {
        o.htu = url(*server, "/oauth/revoke");
    } else if (what == QLatin1String("htu-port")) {
        o.htu.setPort(server->port() + 1);
    } else if (what == QLatin1String("htu-missing")) {
        o.omitHtu = true;
    } else if (what == QLatin1String("typ")) {
        o.typ = str("JWT");
    } else if (what == QLatin1String("alg-none")) {
        o.alg = str("none");
        o.unsigned_ = true;
    } else if (what == QLatin1String("alg-rs256")) {
        o.alg = str("RS256");
    } else if (what == QLatin1String("alg-hs256")) {
        o.alg = str("HS256");
    } else if (what == QLatin1String("private")) {
        o.withPrivateKey = true;
    } else if (what == QLatin1String("signature")) {
        o.corruptSignature = true;
    } else if (what == QLatin1String("iat-old")) {
        o.iat = QDateTime::currentSecsSinceEpoch() - 120; // the window is 60 s
    } else if (what == QLatin1String("iat-future")) {
        o.iat = QDateTime::currentSecsSinceEpoch() + 120;
    } else if (what == QLatin1String("garbage")) {
        proof = "not-a-jwt";
    } else if (what == QLatin1String("jti-long")) {
        o.jti = QString(300, QLatin1Char('j'));
    }
    if (proof.isEmpty())
        proof = key.proof(o);
    const HttpResult r = passwordGrant(*server, {}, dpopHeader(proof));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.jsonString("error"), str("invalid_dpop_proof"));
    QVERIFY2(r.jsonString("error_description").contains(why),
             qPrintable(r.jsonString("error_description")));
    QVERIFY(!r.json().contains(str("access_token")));
    QCOMPARE(stat(*server, "password_grants"), 0);
    QCOMPARE(stat(*server, "dpop_rejected"), 1);
    QCOMPARE(stat(*server, "dpop_proofs"), 0);
}

void tst_MockServerDpop::htuIgnoresQueryAndNormalises()
{
    auto server = startServer();
    const DpopProver key;
    // §4.3: compared without query and fragment, after RFC 3986 normalisation.
    QUrl htu = tokenUrl(*server);
    htu.setQuery(str("x=1"));
    htu.setFragment(str("f"));
    QCOMPARE(passwordGrant(*server, {}, dpopHeader(key.proof("POST", htu))).status, 200);
    const QUrl upper(str("HTTP://127.0.0.1:%1/oauth/./token").arg(server->port()));
    QCOMPARE(passwordGrant(*server, {}, dpopHeader(key.proof("POST", upper))).status, 200);
}

void tst_MockServerDpop::replayedJti()
{
    auto server = startServer();
    const DpopProver key;
    const QByteArray proof = key.proof("POST", tokenUrl(*server));
    QCOMPARE(passwordGrant(*server, {}, dpopHeader(proof)).status, 200);
    const HttpResult replay = passwordGrant(*server, {}, dpopHeader(proof));
    QCOMPARE(replay.status, 400);
    QCOMPARE(replay.jsonString("error"), str("invalid_dpop_proof"));
    QVERIFY(replay.jsonString("error_description").contains(str("jti")));
    QCOMPARE(stat(*server, "password_grants"), 1);
}

void tst_MockServerDpop::twoDpopHeaders()
{
    auto server = startServer();
    const DpopProver key;
    // §4.3 1: not more than one DPoP header. QNetworkAccessManager sends one per
    // name, so this request is written by hand.
    const QByteArray body = formEncode({{str("grant_type"), str("password")},
                                        {str("client_id"), str("demo")},
                                        {str("username"), str("alice")},
                                        {str("password"), str("wonderland")}});
    QTcpSocket socket;
    socket.connectToHost(QHostAddress(QHostAddress::LocalHost), server->port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1:"
                 + QByteArray::number(server->port())
                 + "\r\nContent-Type: application/x-www-form-urlencoded\r\nDPoP: "
                 + key.proof("POST", tokenUrl(*server))
                 + "\r\nDPoP: " + key.proof("POST", tokenUrl(*server)) + "\r\nContent-Length: "
                 + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    // The server runs on this thread: wait with the event loop running.
    QByteArray answer;
    QTRY_VERIFY_WITH_TIMEOUT((answer += socket.readAll()).contains("\"error_description\""), 5000);
    QVERIFY2(answer.startsWith("HTTP/1.1 400"), answer.left(200).constData());
    QVERIFY(answer.contains("invalid_dpop_proof"));
    QVERIFY(answer.contains("exactly one DPoP header"));
    QCOMPARE(stat(*server, "password_grants"), 0);
}

void tst_MockServerDpop::codeBoundByDpopJkt()
{
    auto server = startServer();
    const DpopProver key;
    const DpopProver other;
    for (const DpopProver *presenter : {&other, &key}) {
        const Pkce pkce;
        const QString code
                = queryValue(signIn(*server,
                                    authorizeParams(pkce.challenge)
                                            + FormList {{str("dpop_jkt"),
                                                         QString::fromLatin1(key.thumbprint())}}),
                             "code");
        QVERIFY(!code.isEmpty());
        const HttpResult r
                = exchange(*server, code, pkce.verifier, str("http://127.0.0.1:43210/callback"), {},
                           dpopHeader(presenter->proof("POST", tokenUrl(*server))));
        // §10: only a proof of the dpop_jkt key redeems the code.
        QCOMPARE(r.status, presenter == &key ? 200 : 400);
        if (presenter != &key)
            QCOMPARE(r.jsonString("error"), str("invalid_dpop_proof"));
    }
    const Pkce pkce;
    const HttpResult malformed = signIn(
            *server, authorizeParams(pkce.challenge) + FormList {{str("dpop_jkt"), str("short")}});
    QCOMPARE(queryValue(malformed, "error"), str("invalid_request"));
}

void tst_MockServerDpop::codeBoundByParProof()
{
    auto server = startServer();
    const DpopProver key;
    const Pkce pkce;
    const QUrl par = url(*server, "/oauth/par");
    const HttpResult pushed = postForm(nam, par, authorizeParams(pkce.challenge),
                                       dpopHeader(key.proof("POST", par)));
    QCOMPARE(pushed.status, 201);
    const QString code
            = queryValue(signIn(*server,
                                {{str("client_id"), str("demo")},
                                 {str("request_uri"), pushed.jsonString("request_uri")}}),
                         "code");
    // §10.1: as if dpop_jkt named the PAR proof's key: no proof, no tokens.
    const HttpResult r = exchange(*server, code, pkce.verifier);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.jsonString("error"), str("invalid_dpop_proof"));
    // A bad proof at PAR, and a dpop_jkt that is not the proof's key, are refused.
    const DpopProver other;
    QCOMPARE(postForm(nam, par, authorizeParams(pkce.challenge),
                      dpopHeader(key.proof("POST", tokenUrl(*server))))
                     .jsonString("error"),
             str("invalid_dpop_proof"));
    QCOMPARE(postForm(nam, par,
                      authorizeParams(pkce.challenge)
                              + FormList {{str("dpop_jkt"),
                                           QString::fromLatin1(other.thumbprint())}},
                      dpopHeader(key.proof("POST", par)))
                     .jsonString("error"),
             str("invalid_dpop_proof"));
}

void tst_MockServerDpop::revocationChecksProof()
{
    auto server = startServer();
    const DpopProver key;
    const QString rt = dpopPassword(*server, key).jsonString("refresh_token");
    const QUrl revoke = url(*server, "/oauth/revoke");
    // A proof is not needed, but one that is sent must be valid.
    const HttpResult bad = postForm(nam, revoke, {{str("token"), rt}},
                                    dpopHeader(key.proof("POST", tokenUrl(*server))));
    QCOMPARE(bad.status, 400);
    QCOMPARE(bad.jsonString("error"), str("invalid_dpop_proof"));
    QCOMPARE(stat(*server, "revocations"), 0);
    QCOMPARE(postForm(nam, revoke, {{str("token"), rt}}, dpopHeader(key.proof("POST", revoke)))
                     .status,
             200);
    QCOMPARE(stat(*server, "revocations"), 1);
}

QTEST_GUILESS_MAIN(tst_MockServerDpop)
#include "tst_mockserver_dpop.moc"
