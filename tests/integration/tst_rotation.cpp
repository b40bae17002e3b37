// SPDX-License-Identifier: MIT
// Rotation that never logs the user out by accident, proven with real
// processes: many `securetokens call` at once for one account, processes
// killed while they hold the refresh lock or while their refresh is on the
// wire, and every refresh failure the mock server can inject.

#include "cliprocess.h"

#include <mockauthserver.h>
#include <securetokens/keychainsecretstore.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <functional>
#include <vector>

using namespace SecureTokens;
using Mock::MockAuthServer;
using Run = CliProcess::Run;

namespace {

constexpr int kWait = 60000;

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

} // namespace

// Compares a CLI run's exit code and shows the child's stderr when it differs
// (a sanitizer report in a child surfaces here as its exit code 66).
#define COMPARE_EXIT(run, expected) \
    do { \
        const Run &r_ = (run); \
        const int expected_ = (expected); \
        QVERIFY2(r_.exitCode == expected_, \
                 QByteArray("exit code " + QByteArray::number(r_.exitCode) + ", expected " \
                            + QByteArray::number(expected_) + "; stderr:\n" + r_.err) \
                         .constData()); \
    } while (false)

class tst_Rotation : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home;
    std::unique_ptr<MockAuthServer> m_server;
    QString m_service;

    CliProcess cli() const
    {
        return CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home.path(), m_service);
    }
    QString url(const QString &path) const { return m_server->baseUrl().toString() + path; }
    int stat(const char *name) const
    {
        return m_server->stats().value(QLatin1String(name)).toInt();
    }

    void startServer(qint64 reuseGrace, bool dpopNonces = false)
    {
        Mock::ServerConfig config;
        config.admin = true;
        config.reuseGrace = reuseGrace;
        config.dpopNonce = dpopNonces; // RFC 9449 §8: proofs must carry the server's nonce
        m_server = std::make_unique<MockAuthServer>(config);
        QVERIFY(m_server->listen());
    }

    Run login(const QStringList &more = {})
    {
        return cli().run(QStringList {QStringLiteral("login"), QStringLiteral("--token-endpoint"),
                                      url(QStringLiteral("/oauth/token")),
                                      QStringLiteral("--revocation-endpoint"),
                                      url(QStringLiteral("/oauth/revoke")),
                                      QStringLiteral("--client-id"), QStringLiteral("demo"),
                                      QStringLiteral("--username"), QStringLiteral("alice"),
                                      QStringLiteral("--password-stdin")}
                                 + more,
                         QByteArrayLiteral("wonderland\n"));
    }

    QStringList callArgs() const
    {
        return {QStringLiteral("call"), url(QStringLiteral("/api/me"))};
    }

    // Whether the keyring still holds a refresh token for the CLI's account.
    bool stored()
    {
        KeychainSecretStore keychain(m_service);
        bool done = false;
        bool found = false;
        keychain.read(QStringLiteral("default"), this,
                      [&](SecretStore::Result result, SecretBytes secret) {
                          found = result.ok() && !secret.isEmpty();
                          done = true;
                      });
        if (!QTest::qWaitFor([&] { return done; }, kWait))
            return false;
        return found;
    }

    /*!
        \a rounds of \a processes `call`s started at once, each round awaited;
        \a midRound (if set) runs once half of a round's processes are started.
        Counts the successful exits in \a succeeded; fails the test on another.
    */
    void runRounds(int rounds, int processes, const std::function<void()> &midRound, int *succeeded)
    {
        for (int round = 0; round < rounds; ++round) {
            std::vector<std::unique_ptr<QProcess>> running;
            for (int i = 0; i < processes; ++i) {
                running.push_back(cli().start(callArgs()));
                if (midRound && i == processes / 2)
                    midRound();
            }
            for (auto &process : running) {
                if (process->state() != QProcess::NotRunning) {
                    QSignalSpy finished(process.get(), &QProcess::finished);
                    QVERIFY(finished.wait(kWait));
                }
                QVERIFY2(process->exitCode() == 0, process->readAllStandardError().constData());
                ++*succeeded;
            }
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through scripts/with-keyring (ctest does)");
        QVERIFY(m_home.isValid());
    }

    void init()
    {
        m_service = QStringLiteral("org.securetokens.test.%1")
                            .arg(QLatin1String(QTest::currentTestFunction()));
    }

    void cleanup() { m_server.reset(); }

    void eightProcessesAtOnceNeverReuseAToken()
    {
        startServer(0);
        COMPARE_EXIT(login(), 0);
        constexpr int rounds = 20;
        constexpr int processes = 8;
        int succeeded = 0;
        runRounds(rounds, processes, {}, &succeeded);
        QCOMPARE(succeeded, rounds * processes);
        QCOMPARE(stat("reuse_detected"), 0);
        // Each process restored with exactly one refresh of its own.
        QCOMPARE(stat("refresh_grants"), rounds * processes);
        qInfo("%d processes in %d rounds of %d: reuse_detected 0", succeeded, rounds, processes);
    }

    void eightDpopBoundProcessesAcrossNonceChanges()
    {
        // The same with DPoP-bound tokens (RFC 9449) and a server that
        // requires its nonces (§8) and changes them in the middle of each
        // round: every process meets use_dpop_nonce at least once and
        // answers it with the same refresh token, which the server has not
        // consumed (the nonce is checked first) - never a second use.
        startServer(0, true);
        COMPARE_EXIT(login({QStringLiteral("--dpop"), QStringLiteral("required")}), 0);
        const Run status = cli().run({QStringLiteral("status"), QStringLiteral("--json")});
        COMPARE_EXIT(status, 0);
        QVERIFY2(!QJsonDocument::fromJson(status.out)
                          .object()
                          .value(QLatin1String("dpop_jkt"))
                          .toString()
                          .isEmpty(),
                 status.out.constData());
        const int grantsBefore = stat("refresh_grants");
        const int challengesBefore = stat("dpop_nonce_challenges");
        constexpr int rounds = 5;
        constexpr int processes = 8;
        int succeeded = 0;
        // A new nonce while the first half of each round is under way.
        runRounds(
                rounds, processes,
                [this] { m_server->setFaults(json("{\"dpop_nonce_rotate\": true}")); }, &succeeded);
        QCOMPARE(succeeded, rounds * processes);
        QCOMPARE(stat("reuse_detected"), 0);
        QCOMPARE(stat("refresh_grants") - grantsBefore, rounds * processes);
        const int challenges = stat("dpop_nonce_challenges") - challengesBefore;
        QVERIFY2(challenges >= rounds * processes, QByteArray::number(challenges).constData());
        QVERIFY(stored());
        qInfo("%d DPoP-bound processes in %d rounds of %d, %d nonce challenges: "
              "reuse_detected 0",
              succeeded, rounds, processes, challenges);
    }

    void aProcessKilledWhileHoldingTheLockDoesNotBlockTheOthers()
    {
        // The killed process was mid-refresh: the server rotated, the process
        // never stored the successor. A reuse grace window lets the next
        // process recover that session instead of ending it.
        startServer(30);
        COMPARE_EXIT(login(), 0);
        m_server->setFaults(json("{\"refresh_delay_ms\": 20000}"));
        std::unique_ptr<QProcess> holder = cli().start(callArgs());
        // The holder's refresh reached the server: it holds the lock now.
        QTRY_COMPARE_WITH_TIMEOUT(stat("refresh_grants"), 1, kWait);
        m_server->clearFaults();
        std::vector<std::unique_ptr<QProcess>> waiting;
        for (int i = 0; i < 4; ++i)
            waiting.push_back(cli().start(callArgs()));
        ::kill(pid_t(holder->processId()), SIGKILL);
        QVERIFY(holder->waitForFinished(5000));
        QCOMPARE(holder->exitStatus(), QProcess::CrashExit);
        // The kernel drops a dead process's lock: the others go on at once.
        // (A liveness bound, not a performance claim.)
        for (auto &process : waiting) {
            if (process->state() != QProcess::NotRunning) {
                QSignalSpy finished(process.get(), &QProcess::finished);
                QVERIFY(finished.wait(10000));
            }
            QVERIFY2(process->exitCode() == 0, process->readAllStandardError().constData());
        }
        QCOMPARE(stat("reuse_detected"), 0);
        QCOMPARE(stat("grace_reuses"), 1);
        QVERIFY(stored());
    }

    void crashMidRefreshWithoutGraceEndsCleanly()
    {
        // Without server leeway the window cannot be closed by the client: the
        // successor died with the process, the stored token is consumed, and
        // presenting it is reuse. The next process must end cleanly (77), not
        // hang and not retry.
        startServer(0);
        COMPARE_EXIT(login(), 0);
        m_server->setFaults(json("{\"refresh_delay_ms\": 20000}"));
        std::unique_ptr<QProcess> victim = cli().start(callArgs());
        QTRY_COMPARE_WITH_TIMEOUT(stat("refresh_grants"), 1, kWait);
        m_server->clearFaults();
        ::kill(pid_t(victim->processId()), SIGKILL);
        QVERIFY(victim->waitForFinished(5000));

        const int errorsBefore = stat("token_errors");
        const Run next = cli().run(callArgs(), {}, {}, kWait);
        COMPARE_EXIT(next, 77);
        QCOMPARE(stat("reuse_detected"), 1);
        QCOMPARE(stat("token_errors") - errorsBefore, 1); // one attempt, no retry storm
        QVERIFY(!stored()); // the dead token was removed
        COMPARE_EXIT(cli().run({QStringLiteral("status")}), 77);
    }

    void crashMidRefreshWithGraceRecovers()
    {
        startServer(30);
        COMPARE_EXIT(login(), 0);
        m_server->setFaults(json("{\"refresh_delay_ms\": 20000}"));
        std::unique_ptr<QProcess> victim = cli().start(callArgs());
        QTRY_COMPARE_WITH_TIMEOUT(stat("refresh_grants"), 1, kWait);
        m_server->clearFaults();
        ::kill(pid_t(victim->processId()), SIGKILL);
        QVERIFY(victim->waitForFinished(5000));
        const Run next = cli().run(callArgs(), {}, {}, kWait);
        QVERIFY2(next.exitCode == 0, next.err.constData());
        QCOMPARE(stat("grace_reuses"), 1);
        QCOMPARE(stat("reuse_detected"), 0);
        COMPARE_EXIT(cli().run(callArgs()), 0);
    }

    void faultMatrix_data()
    {
        QTest::addColumn<QByteArray>("faults");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<bool>("kept");
        QTest::addColumn<int>("grace");
        QTest::addRow("500") << QByteArray("{\"refresh_errors\":[{\"status\":500}]}") << 75 << true
                             << 0;
        QTest::addRow("503 + Retry-After")
                << QByteArray("{\"refresh_errors\":[{\"status\":503,\"retry_after\":1}]}") << 75
                << true << 0;
        QTest::addRow("429") << QByteArray(
                "{\"refresh_errors\":[{\"status\":429,\"retry_after\":1}]}")
                             << 75 << true << 0;
        // Qt re-sends once on a connection closed before any answer: drop both.
        QTest::addRow("dropped") << QByteArray(
                "{\"refresh_errors\":[{\"drop\":true},{\"drop\":true}]}")
                                 << 75 << true << 0;
        // The server rotates and then answers too late: the client gives up and
        // keeps its (now consumed) token. Only a server-side grace window lets
        // the next attempt recover; without one this is reuse (see
        // crashMidRefreshWithoutGraceEndsCleanly and docs/security-model.md).
        QTest::addRow("malformed JSON")
                << QByteArray("{\"refresh_errors\":[{\"malformed\":true}]}") << 75 << true << 0;
        QTest::addRow("timeout") << QByteArray("{\"refresh_delay_ms\":4000}") << 75 << true << 30;
        QTest::addRow("invalid_grant")
                << QByteArray("{\"refresh_errors\":[{\"error\":\"invalid_grant\"}]}") << 77 << false
                << 0;
    }

    void faultMatrix()
    {
        QFETCH(QByteArray, faults);
        QFETCH(int, exitCode);
        QFETCH(bool, kept);
        QFETCH(int, grace);
        startServer(grace);
        COMPARE_EXIT(login(), 0);
        m_server->setFaults(QJsonDocument::fromJson(faults).object());
        QProcessEnvironment shortTimeout;
        shortTimeout.insert(QStringLiteral("SECURETOKENS_TIMEOUT"), QStringLiteral("1"));
        const Run r = cli().run(callArgs(), {}, shortTimeout, kWait);
        COMPARE_EXIT(r, exitCode);
        QCOMPARE(stored(), kept);
        COMPARE_EXIT(cli().run({QStringLiteral("status")}), kept ? 0 : 77);
        m_server->clearFaults();
        if (kept) {
            // Transient: the next process recovers the same session.
            const Run again = cli().run(callArgs());
            QVERIFY2(again.exitCode == 0, again.err.constData());
            QCOMPARE(stat("reuse_detected"), 0);
        } else {
            COMPARE_EXIT(cli().run(callArgs()), 77);
        }
    }
};

QTEST_GUILESS_MAIN(tst_Rotation)
#include "tst_rotation.moc"
