// SPDX-License-Identifier: MIT
// AuthenticatedNetworkAccessManager when renewing fails, and when the
// application walks away mid-refresh: aborting a waiting reply, destroying
// the manager, destroying the session. Meant to run clean under ASan/UBSan.
#include "tst_authenticatedrequests_fixture.h"

#include <QJsonArray>
#include <QSignalSpy>

using namespace SecureTokens;
using namespace TestSupport;
using namespace Qt::StringLiterals;

class tst_AuthenticatedRequestsFailures : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void refreshFailsWhileRequestsWait_data();
    void refreshFailsWhileRequestsWait();
    void invalidGrantFailsWaitingRequests();
    void transientFailureKeepsUsingValidToken();
    void signedOutSessionFailsFast();
    void abortWaitingReply();
    void deleteWaitingReply();
    void destroyManagerMidRefresh();
    void destroySessionMidRefresh();
    void abortInFlightReply();

private:
    QNetworkReply *getEcho(QNetworkAccessManager *manager = nullptr)
    {
        return (manager ? manager : nam.get())->get(QNetworkRequest(at(base, "/api/echo")));
    }
    //! Holds the next refresh open for \a ms on the server.
    void holdRefresh(int ms) { server->setFaults(QJsonObject {{u"refresh_delay_ms"_s, ms}}); }

    std::unique_ptr<Mock::MockAuthServer> server;
    std::unique_ptr<Session> session;
    std::unique_ptr<AuthenticatedNetworkAccessManager> nam;
    QUrl base;
};

void tst_AuthenticatedRequestsFailures::init()
{
    server = startMockServer();
    QVERIFY(server);
    base = server->baseUrl();
    session = std::make_unique<Session>(sessionConfigFor(base));
    QVERIFY(signIn(*session));
    nam = std::make_unique<AuthenticatedNetworkAccessManager>(session.get());
}

void tst_AuthenticatedRequestsFailures::cleanup()
{
    nam.reset();
    session.reset();
    server.reset();
}

void tst_AuthenticatedRequestsFailures::refreshFailsWhileRequestsWait_data()
{
    QTest::addColumn<QJsonObject>("fault");
    QTest::addColumn<SecureTokens::Error>("expectedError");
    QTest::addColumn<QNetworkReply::NetworkError>("expectedNetworkError");
    QTest::addColumn<int>("copies");

    QTest::addRow("500") << QJsonObject {{u"status"_s, 500}} << Error::ServerError
                         << QNetworkReply::ServiceUnavailableError << 1;
    QTest::addRow("503") << QJsonObject {{u"status"_s, 503}, {u"retry_after"_s, 1}}
                         << Error::TemporarilyUnavailable << QNetworkReply::ServiceUnavailableError
                         << 1;
    // Qt's HTTP layer silently re-sends a request whose connection closed before
    // any byte of the answer (up to twice): drop every attempt.
    QTest::addRow("dropped connection") << QJsonObject {{u"drop"_s, true}} << Error::NetworkError
                                        << QNetworkReply::TemporaryNetworkFailureError << 3;
}

void tst_AuthenticatedRequestsFailures::refreshFailsWhileRequestsWait()
{
    QFETCH(QJsonObject, fault);
    QFETCH(SecureTokens::Error, expectedError);
    QFETCH(QNetworkReply::NetworkError, expectedNetworkError);
    QFETCH(int, copies);
    constexpr int count = 50;
    QJsonArray faults;
    for (int i = 0; i < copies; ++i)
        faults.append(fault);

    // Every first attempt is refused, and the one refresh they share fails. The
    // server holds that refresh for 1.5 s so that all 50 401s arrive while it is
    // on the wire (they pass 6 connections at a time).
    server->setFaults(QJsonObject {{u"expire_access_tokens"_s, true},
                                   {u"refresh_errors"_s, faults},
                                   {u"refresh_delay_ms"_s, 1500}});
    std::vector<std::unique_ptr<ReplyProbe>> probes;
    for (int i = 0; i < count; ++i)
        probes.push_back(std::make_unique<ReplyProbe>(getEcho()));
    const auto allDone = [&] {
        return std::all_of(probes.begin(), probes.end(),
                           [](const auto &p) { return p->finishedCount == 1; });
    };
    // Promptly: the session's 30 s request timeout is not what ends them.
    QTRY_VERIFY_WITH_TIMEOUT(allDone(), 10000);
    for (const auto &p : probes) {
        QCOMPARE(sdkError(p->reply), expectedError);
        QCOMPARE(p->reply->error(), expectedNetworkError);
        QVERIFY(p->reply->errorString().startsWith(u"SecureTokens::Error::"));
        QCOMPARE(httpStatus(p->reply), 401); // the held answer, now with the reason
        p->reply->deleteLater();
    }
    // One refresh for all 50 (plus Qt's own re-sends of a dropped one).
    QVERIFY(counter(*server, "faults_applied") >= 1);
    QVERIFY(counter(*server, "faults_applied") <= copies);
    QCOMPARE(counter(*server, "refresh_grants"), 0);
    server->clearFaults();

    // A transient failure keeps the refresh token.
    QCOMPARE(session->state(), Session::State::SignedIn);
    QVERIFY(session->isOffline());
    // While the session backs off, a refused token fails promptly with the
    // same typed error (no replay of a token the server just refused)...
    QNetworkReply *during = getEcho();
    ReplyProbe duringProbe(during);
    QTRY_COMPARE_WITH_TIMEOUT(duringProbe.finishedCount, 1, 10000);
    if (session->isOffline()) { // unless the background retry was already faster
        QCOMPARE(httpStatus(during), 401);
        QCOMPARE(sdkError(during), expectedError);
    }
    during->deleteLater();
    // ...and the session renews by itself once the server answers again.
    QTRY_VERIFY_WITH_TIMEOUT(!session->isOffline(), 15000);
    QCOMPARE(counter(*server, "refresh_grants"), 1);
    QNetworkReply *later = getEcho();
    ReplyProbe probe(later);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(later), 200);
    QCOMPARE(counter(*server, "refresh_grants"), 1);
    later->deleteLater();
}

void tst_AuthenticatedRequestsFailures::invalidGrantFailsWaitingRequests()
{
    constexpr int count = 50;
    server->setFaults(QJsonObject {
            {u"refresh_errors"_s, QJsonArray {QJsonObject {{u"error"_s, u"invalid_grant"_s}}}},
            {u"refresh_delay_ms"_s, 200}});
    // Requests that start while a refresh is on the wire wait for it.
    session->refresh();
    QVERIFY(session->isRefreshing());
    std::vector<std::unique_ptr<ReplyProbe>> probes;
    for (int i = 0; i < count; ++i)
        probes.push_back(std::make_unique<ReplyProbe>(getEcho()));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(probes.begin(), probes.end(),
                                         [](const auto &p) { return p->finishedCount == 1; }),
                             10000);
    for (const auto &p : probes) {
        QCOMPARE(sdkError(p->reply), Error::InvalidGrant);
        QCOMPARE(p->reply->error(), QNetworkReply::AuthenticationRequiredError);
        QVERIFY(!p->reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid());
        p->reply->deleteLater();
    }
    QCOMPARE(counter(*server, "protected_requests"), 0); // none was sent
    QCOMPARE(session->state(), Session::State::ReauthenticationRequired);

    // From now on requests fail at once, without traffic.
    QNetworkReply *after = getEcho();
    QTRY_VERIFY_WITH_TIMEOUT(after->isFinished(), 5000);
    QCOMPARE(sdkError(after), Error::ReauthenticationRequired);
    QCOMPARE(counter(*server, "protected_requests"), 0);
    after->deleteLater();
}

void tst_AuthenticatedRequestsFailures::transientFailureKeepsUsingValidToken()
{
    // A renewal (here the application's own refresh()) fails transiently while
    // the current token is still valid: waiting requests use it.
    server->setFaults(
            QJsonObject {{u"refresh_errors"_s, QJsonArray {QJsonObject {{u"status"_s, 500}}}}});
    session->refresh();
    std::vector<std::unique_ptr<ReplyProbe>> probes;
    for (int i = 0; i < 20; ++i)
        probes.push_back(std::make_unique<ReplyProbe>(getEcho()));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(probes.begin(), probes.end(),
                                         [](const auto &p) { return p->finishedCount == 1; }),
                             10000);
    for (const auto &p : probes) {
        QCOMPARE(httpStatus(p->reply), 200);
        p->reply->deleteLater();
    }
    QCOMPARE(counter(*server, "faults_applied"), 1);
    QCOMPARE(session->state(), Session::State::SignedIn);
}

void tst_AuthenticatedRequestsFailures::signedOutSessionFailsFast()
{
    Session signedOut(sessionConfigFor(base));
    AuthenticatedNetworkAccessManager manager(&signedOut);
    QNetworkReply *reply = getEcho(&manager);
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 5000);
    QCOMPARE(sdkError(reply), Error::NotSignedIn);
    QCOMPARE(reply->error(), QNetworkReply::AuthenticationRequiredError);
    QCOMPARE(counter(*server, "protected_requests"), 0);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsFailures::abortWaitingReply()
{
    holdRefresh(500);
    const qint64 requestsBefore = counter(*server, "requests");
    session->refresh();
    QNetworkReply *reply = getEcho();
    ReplyProbe probe(reply);
    QNetworkReply *sibling = getEcho();
    ReplyProbe siblingProbe(sibling);
    // The refresh is on the wire (held by the server) while the reply waits.
    QTRY_VERIFY_WITH_TIMEOUT(counter(*server, "requests") > requestsBefore, 5000);
    reply->abort();
    QCOMPARE(probe.finishedCount, 1); // synchronously, as Qt does
    QCOMPARE(probe.errors, 1);
    QCOMPARE(reply->error(), QNetworkReply::OperationCanceledError);

    // The refresh completes; the aborted reply hears nothing more, the sibling succeeds.
    QTRY_COMPARE_WITH_TIMEOUT(siblingProbe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(sibling), 200);
    QCOMPARE(probe.finishedCount, 1);
    QCOMPARE(counter(*server, "protected_requests"), 1);
    reply->deleteLater();
    sibling->deleteLater();
}

void tst_AuthenticatedRequestsFailures::deleteWaitingReply()
{
    holdRefresh(300);
    const qint64 requestsBefore = counter(*server, "requests");
    session->refresh();
    QNetworkReply *reply = getEcho();
    QTRY_VERIFY_WITH_TIMEOUT(counter(*server, "requests") > requestsBefore, 5000);
    delete reply;
    QTRY_COMPARE_WITH_TIMEOUT(session->state(), Session::State::SignedIn, 10000);
    QCOMPARE(counter(*server, "protected_requests"), 0);
    QCOMPARE(counter(*server, "refresh_grants"), 1);
}

void tst_AuthenticatedRequestsFailures::destroyManagerMidRefresh()
{
    holdRefresh(500);
    const qint64 requestsBefore = counter(*server, "requests");
    auto manager = std::make_unique<AuthenticatedNetworkAccessManager>(session.get());
    session->refresh();
    QList<QPointer<QNetworkReply>> replies;
    for (int i = 0; i < 10; ++i)
        replies.append(getEcho(manager.get()));
    QTRY_VERIFY_WITH_TIMEOUT(counter(*server, "requests") > requestsBefore, 5000);
    manager.reset();
    for (const auto &reply : std::as_const(replies))
        QVERIFY(reply.isNull()); // the manager owned them, as QNetworkAccessManager does
    QTRY_COMPARE_WITH_TIMEOUT(session->state(), Session::State::SignedIn, 10000);
    QCOMPARE(counter(*server, "protected_requests"), 0);

    // The session is unharmed.
    QNetworkReply *reply = getEcho();
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(httpStatus(reply), 200);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsFailures::destroySessionMidRefresh()
{
    holdRefresh(2000);
    const qint64 requestsBefore = counter(*server, "requests");
    session->refresh();
    std::vector<std::unique_ptr<ReplyProbe>> probes;
    for (int i = 0; i < 10; ++i)
        probes.push_back(std::make_unique<ReplyProbe>(getEcho()));
    QTRY_VERIFY_WITH_TIMEOUT(counter(*server, "requests") > requestsBefore, 5000);
    QElapsedTimer timer;
    timer.start();
    session.reset();
    QCOMPARE(nam->session(), nullptr);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(probes.begin(), probes.end(),
                                         [](const auto &p) { return p->finishedCount == 1; }),
                             1000);
    QVERIFY(timer.elapsed() < 1000); // released, not timed out behind the held refresh
    for (const auto &p : probes) {
        QCOMPARE(sdkError(p->reply), Error::Cancelled);
        QCOMPARE(p->reply->error(), QNetworkReply::OperationCanceledError);
        p->reply->deleteLater();
    }
    // The manager outlives its session: allow-listed requests fail, nothing is sent.
    QNetworkReply *reply = getEcho();
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 5000);
    QCOMPARE(sdkError(reply), Error::NotSignedIn);
    QCOMPARE(counter(*server, "protected_requests"), 0);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsFailures::abortInFlightReply()
{
    // Aborted while the request is on the wire: the inner request is cancelled too.
    ScriptedHttpServer slow;
    QVERIFY(slow.start());
    slow.handler = [](const ScriptedHttpServer::Request &) {
        return ScriptedHttpServer::Response {0, {}, {}}; // never answers
    };
    Session slowSession(sessionConfigFor(base, {slow.baseUrl()}));
    QVERIFY(signIn(slowSession));
    AuthenticatedNetworkAccessManager manager(&slowSession);
    QNetworkReply *reply = manager.get(QNetworkRequest(at(slow.baseUrl(), "/slow")));
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(slow.received.size(), 1, 10000);
    QVERIFY(slow.received.first().headers.contains("authorization"));
    reply->abort();
    QCOMPARE(probe.finishedCount, 1);
    QCOMPARE(probe.errors, 1);
    QCOMPARE(reply->error(), QNetworkReply::OperationCanceledError);
    QTRY_COMPARE_WITH_TIMEOUT(slow.disconnects, 1, 5000); // the connection was closed
    QCOMPARE(probe.finishedCount, 1);
    QCOMPARE(probe.readyReads, 0);
    reply->deleteLater();
}

QTEST_GUILESS_MAIN(tst_AuthenticatedRequestsFailures)
#include "tst_authenticatedrequests_failures.moc"
