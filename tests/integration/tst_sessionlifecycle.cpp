// SPDX-License-Identifier: MIT
// Session::setApplicationState() and setNetworkReachable() against the
// in-process mock server: a suspended app's timers hold their refreshes, and
// activation renews a dead token once for all the requests that follow; a
// session that is offline retries as soon as the network is back, not after
// its backoff (here a Retry-After of 60 s).

#include "tst_authenticatedrequests_fixture.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>

#include <memory>
#include <vector>

using namespace TestSupport;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWait = 10000;

//! One 503 with Retry-After 60 at the next refresh: the backoff then waits at least 60 s.
QJsonObject busyForAMinute()
{
    return QJsonObject {{u"refresh_errors"_s,
                         QJsonArray {QJsonObject {{u"status"_s, 503}, {u"retry_after"_s, 60}}}}};
}

} // namespace

class tst_SessionLifecycle : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Mock::MockAuthServer> server;
    std::unique_ptr<Session> session;

    void start(qint64 accessTtl)
    {
        server = startMockServer(accessTtl);
        session = std::make_unique<Session>(sessionConfigFor(server->baseUrl()));
        QVERIFY(signIn(*session));
    }

    //! Signed in, then one refresh that meets the 503: offline, backing off for a minute.
    void startOffline()
    {
        start(900);
        server->setFaults(busyForAMinute());
        QSignalSpy offline(session.get(), &Session::offlineChanged);
        session->refresh();
        QVERIFY(offline.wait(kWait));
        QVERIFY(session->isOffline());
        QCOMPARE(session->state(), Session::State::SignedIn);
        QCOMPARE(counter(*server, "refresh_grants"), 0); // the 503 granted nothing
    }

private Q_SLOTS:
    void cleanup()
    {
        session.reset();
        server.reset();
    }

    void suspendedTimersHoldAndActivationRenewsOnce()
    {
        // A 2 s token: its proactive refresh is due after 1 s.
        start(2);
        const qint64 grants = counter(*server, "refresh_grants");
        session->setApplicationState(Qt::ApplicationSuspended);
        QSignalSpy renewed(session.get(), &Session::accessTokenChanged);
        // Past the token's end: no grant while suspended (the timer fired and held).
        QVERIFY(!renewed.wait(3000));
        QCOMPARE(counter(*server, "refresh_grants"), grants);

        // Back in front: one refresh, started at once, which the requests join.
        session->setApplicationState(Qt::ApplicationActive);
        QCOMPARE(session->state(), Session::State::Refreshing);
        AuthenticatedNetworkAccessManager nam(session.get());
        std::vector<std::unique_ptr<ReplyProbe>> probes;
        for (int i = 0; i < 5; ++i)
            probes.push_back(std::make_unique<ReplyProbe>(
                    nam.get(QNetworkRequest(at(server->baseUrl(), "/api/me")))));
        for (const auto &probe : probes)
            QTRY_COMPARE_WITH_TIMEOUT(probe->finishedCount, 1, kWait);
        for (const auto &probe : probes)
            QCOMPARE(httpStatus(probe->reply), 200);
        QCOMPARE(counter(*server, "refresh_grants"), grants + 1);
        QCOMPARE(counter(*server, "unauthorized"), 0);
        QCOMPARE(counter(*server, "authorized_requests"), 5);
    }

    void activationWithAGoodTokenDoesNothing()
    {
        start(900);
        session->setApplicationState(Qt::ApplicationInactive);
        session->setApplicationState(Qt::ApplicationActive);
        session->setApplicationState(Qt::ApplicationSuspended);
        session->setApplicationState(Qt::ApplicationActive);
        QCOMPARE(session->state(), Session::State::SignedIn);
        QSignalSpy renewed(session.get(), &Session::accessTokenChanged);
        QVERIFY(!renewed.wait(200));
        QCOMPARE(counter(*server, "refresh_grants"), 0);
    }

    void reachableAgainRetriesAtOnce()
    {
        startOffline();
        QSignalSpy offline(session.get(), &Session::offlineChanged);
        QElapsedTimer clock;
        clock.start();
        session->setNetworkReachable(true);
        // The retry starts inside the call, not after the minute of backoff.
        QCOMPARE(session->state(), Session::State::Refreshing);
        QVERIFY(offline.wait(kWait));
        qInfo("back online %lld ms after reachability returned (backoff: 60 000 ms)",
              qint64(clock.elapsed()));
        QVERIFY(!session->isOffline());
        QCOMPARE(counter(*server, "refresh_grants"), 1);
        QCOMPARE(session->state(), Session::State::SignedIn);
    }

    void unreachableOrOnlineChangesNothing()
    {
        startOffline();
        session->setNetworkReachable(false);
        QCOMPARE(session->state(), Session::State::SignedIn);
        QVERIFY(session->isOffline());
        // A desktop window coming to the front is no news about the network.
        session->setApplicationState(Qt::ApplicationInactive);
        session->setApplicationState(Qt::ApplicationActive);
        QCOMPARE(session->state(), Session::State::SignedIn);
        QVERIFY(session->isOffline());

        // Online and reachable: nothing to retry.
        cleanup();
        start(900);
        session->setNetworkReachable(true);
        QCOMPARE(session->state(), Session::State::SignedIn);
        QCOMPARE(counter(*server, "refresh_grants"), 0);
    }

    void resumedWhileOfflineRetriesAtOnce()
    {
        startOffline();
        session->setApplicationState(Qt::ApplicationSuspended);
        // Suspended: reachability news waits for the app to come back.
        session->setNetworkReachable(true);
        QCOMPARE(session->state(), Session::State::SignedIn);
        QSignalSpy offline(session.get(), &Session::offlineChanged);
        session->setApplicationState(Qt::ApplicationActive);
        QCOMPARE(session->state(), Session::State::Refreshing);
        QVERIFY(offline.wait(kWait));
        QVERIFY(!session->isOffline());
        QCOMPARE(counter(*server, "refresh_grants"), 1);
    }

    void signedOutIgnoresBoth()
    {
        start(900);
        QSignalSpy out(session.get(), &Session::signedOut);
        session->signOut();
        QVERIFY(out.wait(kWait));
        session->setApplicationState(Qt::ApplicationActive);
        session->setNetworkReachable(true);
        QCOMPARE(session->state(), Session::State::SignedOut);
        QCOMPARE(counter(*server, "refresh_grants"), 0);
    }
};

QTEST_GUILESS_MAIN(tst_SessionLifecycle)
#include "tst_sessionlifecycle.moc"
