// SPDX-License-Identifier: MIT
// The pure decisions of AuthenticatedNetworkAccessManager (network/requestpolicy):
// when a 401 triggers a refresh, how redirects rewrite a request, which
// methods are idempotent.
#include "network/requestpolicy_p.h"

#include <QTest>

using namespace SecureTokens;
using Action = Decision401::Action;

class tst_RequestPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decideOn401_data();
    void decideOn401();
    void notReplayableSaysWhy();
    void redirects_data();
    void redirects();
    void idempotentMethods();
};

void tst_RequestPolicy::decideOn401_data()
{
    QTest::addColumn<bool>("sentWithToken");
    QTest::addColumn<bool>("alreadyRetried");
    QTest::addColumn<QByteArray>("challenge");
    QTest::addColumn<bool>("retryOnBare");
    QTest::addColumn<bool>("bodyReplayable");
    QTest::addColumn<bool>("methodReplayable");
    QTest::addColumn<Action>("action");

    const QByteArray invalidToken = R"(Bearer error="invalid_token")";
    QTest::addRow("expired token")
            << true << false << invalidToken << true << true << true << Action::RefreshAndRetry;
    QTest::addRow("bare 401") << true << false << QByteArray() << true << true << true
                              << Action::RefreshAndRetry;
    QTest::addRow("bare 401, opted out")
            << true << false << QByteArray() << false << true << true << Action::Deliver;
    QTest::addRow("no token sent")
            << false << false << invalidToken << true << true << true << Action::Deliver;
    QTest::addRow("second 401: no loop")
            << true << true << invalidToken << true << true << true << Action::Deliver;
    // RFC 6750 §3.1: a new token of the same scope would not help.
    QTest::addRow("insufficient_scope")
            << true << false << QByteArray(R"(Bearer error="insufficient_scope", scope="x")")
            << true << true << true << Action::Deliver;
    // RFC 9470 §3: the user must authenticate again (in the browser); a
    // refreshed token carries the same authentication, so no refresh loop.
    QTest::addRow("insufficient_user_authentication")
            << true << false
            << QByteArray(
                       R"(Bearer error="insufficient_user_authentication", acr_values="urn:mfa")")
            << true << true << true << Action::Deliver;
    QTest::addRow("insufficient_user_authentication, DPoP")
            << true << false
            << QByteArray(
                       R"(DPoP algs="ES256", error="insufficient_user_authentication", max_age="0")")
            << true << true << true << Action::Deliver;
    QTest::addRow("insufficient_user_authentication, not replayable")
            << true << false
            << QByteArray(R"(Bearer error="insufficient_user_authentication", max_age="60")")
            << true << false << true << Action::Deliver;
    QTest::addRow("someone else's scheme") << true << false << QByteArray(R"(Basic realm="x")")
                                           << true << true << true << Action::Deliver;
    QTest::addRow("one-shot body")
            << true << false << invalidToken << true << false << true << Action::RenewAndDeliver;
    QTest::addRow("POST without opt-in")
            << true << false << invalidToken << true << true << false << Action::RenewAndDeliver;
}

void tst_RequestPolicy::decideOn401()
{
    QFETCH(bool, sentWithToken);
    QFETCH(bool, alreadyRetried);
    QFETCH(QByteArray, challenge);
    QFETCH(bool, retryOnBare);
    QFETCH(bool, bodyReplayable);
    QFETCH(bool, methodReplayable);
    QFETCH(Action, action);
    Unauthorized401 facts;
    facts.sentWithToken = sentWithToken;
    facts.alreadyRetried = alreadyRetried;
    facts.wwwAuthenticate = challenge;
    facts.retryOnBare401 = retryOnBare;
    facts.bodyReplayable = bodyReplayable;
    facts.methodReplayable = methodReplayable;
    const Decision401 decision = SecureTokens::decideOn401(facts, "GET");
    QCOMPARE(decision.action, action);
    QCOMPARE(decision.reason.isEmpty(), action != Action::RenewAndDeliver);
}

void tst_RequestPolicy::notReplayableSaysWhy()
{
    Unauthorized401 facts;
    facts.sentWithToken = true;
    facts.methodReplayable = false;
    const Decision401 method = SecureTokens::decideOn401(facts, "PATCH");
    QVERIFY2(method.reason.contains(QLatin1String("PATCH is not idempotent")),
             qPrintable(method.reason));
    facts.bodyReplayable = false;
    const Decision401 body = SecureTokens::decideOn401(facts, "PATCH");
    QVERIFY2(body.reason.contains(QLatin1String("body cannot be sent again")),
             qPrintable(body.reason));
}

void tst_RequestPolicy::redirects_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("nextMethod");
    QTest::addColumn<bool>("keepBody");
    // RFC 9110 §15.4.2-§15.4.9.
    QTest::addRow("301 POST") << 301 << QByteArray("POST") << QByteArray("GET") << false;
    QTest::addRow("302 PUT") << 302 << QByteArray("PUT") << QByteArray("PUT") << true;
    QTest::addRow("303 PUT") << 303 << QByteArray("PUT") << QByteArray("GET") << false;
    QTest::addRow("303 HEAD") << 303 << QByteArray("HEAD") << QByteArray("HEAD") << false;
    QTest::addRow("307 POST") << 307 << QByteArray("POST") << QByteArray("POST") << true;
    QTest::addRow("308 DELETE") << 308 << QByteArray("DELETE") << QByteArray("DELETE") << true;
}

void tst_RequestPolicy::redirects()
{
    QFETCH(int, status);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, nextMethod);
    QFETCH(bool, keepBody);
    QVERIFY(isFollowableRedirect(status));
    const RedirectRewrite rewrite = rewriteForRedirect(status, method);
    QCOMPARE(rewrite.method, nextMethod);
    QCOMPARE(rewrite.keepBody, keepBody);
}

void tst_RequestPolicy::idempotentMethods()
{
    for (const char *method : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
        QVERIFY2(isIdempotentMethod(method), method);
    // RFC 9110 §9.1: methods are case-sensitive.
    for (const char *method : {"POST", "PATCH", "get", "CONNECT", ""})
        QVERIFY2(!isIdempotentMethod(method), method);
    for (int status : {200, 300, 304, 305, 306, 401})
        QVERIFY(!isFollowableRedirect(status));
}

QTEST_GUILESS_MAIN(tst_RequestPolicy)
#include "tst_requestpolicy.moc"
