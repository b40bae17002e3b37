// SPDX-License-Identifier: MIT
// Steady state: with 3-second access tokens and a request every 100 ms for
// 20 seconds, proactive renewal keeps every request authorized. Not one 401
// reaches the server's counter or the caller.
#include "tst_authenticatedrequests_fixture.h"

#include <QElapsedTimer>
#include <QTimer>

using namespace SecureTokens;
using namespace TestSupport;
using namespace Qt::StringLiterals;

class tst_AuthenticatedRequestsSteady : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noUnauthorizedInSteadyState();
};

void tst_AuthenticatedRequestsSteady::noUnauthorizedInSteadyState()
{
    constexpr int accessTtlSeconds = 3;
    constexpr int durationMs = 20000;
    constexpr int intervalMs = 100;
    constexpr int maxRequests = durationMs / intervalMs; // bounded load

    auto server = startMockServer(accessTtlSeconds);
    QVERIFY(server);
    const QUrl base = server->baseUrl();
    Session session(sessionConfigFor(base));
    QVERIFY(signIn(session));
    AuthenticatedNetworkAccessManager nam(&session);

    int sent = 0;
    int succeeded = 0;
    int unauthorizedSeen = 0;
    int otherFailures = 0;
    int finished = 0;
    QElapsedTimer clock;
    clock.start();
    QTimer ticker;
    ticker.setInterval(intervalMs);
    ticker.setTimerType(Qt::PreciseTimer);
    connect(&ticker, &QTimer::timeout, this, [&] {
        if (sent >= maxRequests || clock.elapsed() >= durationMs) {
            ticker.stop();
            return;
        }
        ++sent;
        QNetworkReply *reply = nam.get(QNetworkRequest(at(base, "/api/me")));
        connect(reply, &QNetworkReply::metaDataChanged, reply, [&, reply] {
            if (httpStatus(reply) == 401)
                ++unauthorizedSeen;
        });
        connect(reply, &QNetworkReply::finished, reply, [&, reply] {
            ++finished;
            if (httpStatus(reply) == 401)
                ++unauthorizedSeen;
            else if (reply->error() == QNetworkReply::NoError && httpStatus(reply) == 200)
                ++succeeded;
            else
                ++otherFailures;
            reply->deleteLater();
        });
    });
    ticker.start();
    QTRY_VERIFY_WITH_TIMEOUT(!ticker.isActive(), durationMs + 5000);
    QTRY_COMPARE_WITH_TIMEOUT(finished, sent, 10000);

    qInfo("%d requests over %lld ms, %d access-token renewals, %lld server-side 401s", sent,
          clock.elapsed(), session.refreshCount(), counter(*server, "unauthorized"));
    QVERIFY(sent >= maxRequests * 3 / 4); // the loop really ran for ~20 s
    QCOMPARE(counter(*server, "unauthorized"), 0);
    QCOMPARE(unauthorizedSeen, 0);
    QCOMPARE(otherFailures, 0);
    QCOMPARE(succeeded, sent);
    // Tokens were renewed ahead of expiry all along (about every 1.5 s).
    QVERIFY(session.refreshCount() >= durationMs / 1000 / accessTtlSeconds);
    QCOMPARE(counter(*server, "refresh_grants"), qint64(session.refreshCount()));
}

QTEST_GUILESS_MAIN(tst_AuthenticatedRequestsSteady)
#include "tst_authenticatedrequests_steady.moc"
