// SPDX-License-Identifier: MIT
// A resource server changes its DPoP nonce in the middle of a storm of API
// requests (RFC 9449 §9): every request that meets the new nonce is answered
// 401 use_dpop_nonce and is sent again once, with the nonce that came with
// the challenge; none of them refreshes the token (the token is fine: only the
// proof's nonce was stale) and the application sees no 401. Counted by the
// in-process mock server, which verifies every proof.

#include "mockserverfixture.h"
#include "tst_signin_dpop_helpers.h"
#include "tst_signin_helpers.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QJsonObject>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <vector>

using namespace SecureTokens;
using namespace SignInTest;
using namespace DpopTest;
using Mock::ServerConfig;
using MockTest::startMockServer;

class tst_SignInDpopNonceStorm : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void newNonceMidStorm();
};

void tst_SignInDpopNonceStorm::newNonceMidStorm()
{
    // The figure: 1 000 requests. Bounded: one process, loopback,
    // some 10 s in a Debug build on 2 cores.
    constexpr int storm = 1000;
    // The nonce changes once this many answers are in: those were not challenged.
    constexpr int rotateAfter = 50;

    ServerConfig serverConfig;
    serverConfig.dpopNonce = true; // every proof must carry the server's nonce (§8, §9)
    serverConfig.accessTtl = 3600; // no expiry during the storm: a refresh is a bug
    auto server = startMockServer(serverConfig);
    auto store = std::make_shared<ScriptedSecretStore>();
    Session session(discoveryConfig(server->baseUrl(), store));
    QVERIFY(signIn(session));
    QVERIFY(!session.dpopThumbprint().isEmpty());
    const QUrl api = server->baseUrl().resolved(QUrl(QStringLiteral("/api/me")));
    // The first API request learns the resource server's nonce (one challenge).
    QCOMPARE(authenticatedGet(session, api), 200);

    QSignalSpy errors(&session, &Session::errorOccurred);
    const int challengesBefore = stat(*server, "dpop_nonce_challenges");
    const int requestsBefore = stat(*server, "protected_requests");
    const int unauthorizedBefore = stat(*server, "unauthorized");
    const int refreshBefore = stat(*server, "refresh_grants");
    const int passwordBefore = stat(*server, "password_grants");

    AuthenticatedNetworkAccessManager nam(&session);
    int finished = 0;
    int ok = 0;
    int unauthorized = 0;
    int other = 0;
    bool rotated = false;
    std::vector<std::unique_ptr<QNetworkReply>> replies;
    replies.reserve(storm);
    for (int i = 0; i < storm; ++i) {
        QNetworkReply *reply = nam.get(QNetworkRequest(api));
        replies.emplace_back(reply);
        connect(reply, &QNetworkReply::finished, this, [&, reply] {
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status == 200)
                ++ok;
            else if (status == 401)
                ++unauthorized;
            else
                ++other;
            if (++finished == rotateAfter && !rotated) {
                rotated = true;
                server->setFaults(QJsonObject {{QStringLiteral("dpop_nonce_rotate"), true}});
            }
        });
    }
    QTRY_COMPARE_WITH_TIMEOUT(finished, storm, 120000);

    QVERIFY(rotated);
    QCOMPARE(ok, storm);
    QCOMPARE(unauthorized, 0);
    QCOMPARE(other, 0);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QVERIFY(session.isSignedIn());

    const int challenges = stat(*server, "dpop_nonce_challenges") - challengesBefore;
    // Some requests met the new nonce, and only those sent with the old one:
    // at most every request after the rotation, each challenged once.
    QVERIFY2(challenges >= 1 && challenges <= storm - rotateAfter,
             QByteArray::number(challenges).constData());
    // One retry each: every request reached the server once, and once more
    // when it was challenged; every 401 was a nonce challenge.
    QCOMPARE(stat(*server, "protected_requests") - requestsBefore, storm + challenges);
    QCOMPARE(stat(*server, "unauthorized") - unauthorizedBefore, challenges);
    // A stale nonce is not a stale token: no grant of any kind.
    QCOMPARE(stat(*server, "refresh_grants") - refreshBefore, 0);
    QCOMPARE(stat(*server, "password_grants") - passwordBefore, 0);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
    qInfo("%d DPoP requests, the nonce changed after %d: %d challenges, %d retries, 0 grants",
          storm, rotateAfter, challenges, challenges);
}

QTEST_MAIN(tst_SignInDpopNonceStorm)
#include "tst_signin_dpopnoncestorm.moc"
