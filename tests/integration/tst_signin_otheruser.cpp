// SPDX-License-Identifier: MIT
// The loopback redirect listener against the attacker next door (security
// review, issue 19, findings 1 and 2): processes of *another user* of the
// machine reach 127.0.0.1 too. The attacks run as a real other uid through
// `setpriv` (root can, as in CI); the victim's browser is the test's own
// process, i.e. the same user as the listener.

#include "mockserverfixture.h"
#include "tst_signin_helpers.h"

#include "signin/loopbackredirectlistener_p.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace SecureTokens;
using namespace SignInTest;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {

// nobody: an unprivileged uid that is not ours.
constexpr int kOtherUid = 65534;

/*!
    Starts \a program as uid/gid kOtherUid with no supplementary groups. Only
    root can do that; anything else fails the test (it must not pass silently
    on a machine where the attack could not be run).
*/
bool startAsOtherUser(QProcess &process, const QString &program, const QStringList &arguments)
{
    if (geteuid() != 0) {
        qWarning("these attacks need root to run a process as uid %d (setpriv), as in CI",
                 kOtherUid);
        return false;
    }
    QProcessEnvironment env = process.processEnvironment();
    if (env.isEmpty())
        env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), QDir::tempPath()); // not root's: no ~/.curlrc
    process.setProcessEnvironment(env);
    process.setWorkingDirectory(QDir::tempPath());
    process.start(QStringLiteral("setpriv"),
                  QStringList {QStringLiteral("--reuid=%1").arg(kOtherUid),
                               QStringLiteral("--regid=%1").arg(kOtherUid),
                               QStringLiteral("--clear-groups"), program}
                          + arguments);
    return process.waitForStarted(kWait);
}

QString redirectPort(const QUrl &authorizationUrl)
{
    return QString::number(
            QUrl(queryValue(authorizationUrl, QStringLiteral("redirect_uri"))).port());
}

} // namespace

class tst_SignInOtherUser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void otherUsersCodeIsDropped_data();
    void otherUsersCodeIsDropped();
    void otherUserDroppedOnEveryLocalhostAddress();
    void otherUsersIdleConnectionsDoNotStarve();
    void sameUserIdleConnectionsAreEvicted();
};

void tst_SignInOtherUser::otherUsersCodeIsDropped_data()
{
    QTest::addColumn<bool>("ipv6");
    QTest::addRow("127.0.0.1") << false;
    QTest::addRow("[::1]") << true;
}

/*
    Finding 1, login CSRF: the authorization URL (state, nonce, code_challenge,
    redirect_uri) is on the browser's command line, readable by every user in
    /proc/PID/cmdline. Mallory, another user, signs in at the provider as
    himself with the victim's parameters and sends his code with the victim's
    state to the victim's listener. Before the fix the victim ended up signed
    in as mallory.
*/
void tst_SignInOtherUser::otherUsersCodeIsDropped()
{
    QFETCH(bool, ipv6);
    ServerConfig serverConfig;
    serverConfig.users.append({QStringLiteral("mallory"), QStringLiteral("evil")});
    auto server = startMockServer(serverConfig);
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        opened = url; // the victim's browser is slow: mallory is first
        return true;
    };
    if (ipv6)
        config.redirectHost = LoopbackRedirectHost::IPv6;
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid(), kWait);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QFile::setPermissions(dir.path(),
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                          | QFileDevice::ExeOwner | QFileDevice::ReadOther
                                          | QFileDevice::WriteOther | QFileDevice::ExeOther));
    const QString log = dir.filePath(QStringLiteral("mallory.log"));
    QProcess mallory;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SIGNIN_USER"), QStringLiteral("mallory"));
    env.insert(QStringLiteral("SIGNIN_PASSWORD"), QStringLiteral("evil"));
    env.insert(QStringLiteral("SIGNIN_BROWSER_LOG"), log);
    mallory.setProcessEnvironment(env);
    mallory.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QVERIFY2(startAsOtherUser(mallory, QStringLiteral("bash"),
                              {QStringLiteral(SIGNIN_BROWSER_SCRIPT),
                               QString::fromLatin1(opened.toEncoded())}),
             "could not start the other user's process");
    // The mock server runs in this process: wait with the event loop running.
    QTRY_COMPARE_WITH_TIMEOUT(mallory.state(), QProcess::NotRunning, 2 * kWait);
    QCOMPARE(mallory.exitCode(), 0); // he got his code from the provider...
    QFile logFile(log);
    QVERIFY(logFile.open(QIODevice::ReadOnly));
    const QByteArray answer = logFile.readAll();
    // ...and the listener dropped him unanswered: no HTTP response at all.
    QVERIFY2(answer.contains("HTTP 000"), answer.constData());
    QVERIFY2(!answer.contains("Signed in"), answer.constData());
    QVERIFY2(errors.isEmpty(),
             errors.isEmpty() ? "" : qPrintable(errors.last().at(0).value<ErrorInfo>().message));
    QCOMPARE(session.state(), Session::State::SigningIn);
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 0);

    // The victim's own browser still completes the sign-in, as the victim.
    FakeBrowser browser;
    browser.run(opened);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QCOMPARE(browser.callbackPage.status, 200);
    QCOMPARE(session.subject(), QStringLiteral("alice"));
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 1);
}

/*
    LoopbackRedirectHost::Localhost binds every address the name resolves to:
    the same-user check holds on each (/proc/net/tcp and /proc/net/tcp6).
    Another user sends a response with the victim's state to both; neither
    is answered, and the sign-in keeps waiting.
*/
void tst_SignInOtherUser::otherUserDroppedOnEveryLocalhostAddress()
{
    setLocalhostResolutionTestHook([] {
        return QList<QHostAddress> {QHostAddress(QHostAddress::LocalHost),
                                    QHostAddress(QHostAddress::LocalHostIPv6)};
    });
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.redirectHost = LoopbackRedirectHost::Localhost;
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid(), kWait);
    QCOMPARE(QUrl(queryValue(opened, QStringLiteral("redirect_uri"))).host(),
             QStringLiteral("localhost"));

    QProcess mallory;
    mallory.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QVERIFY2(startAsOtherUser(mallory, QStringLiteral("bash"),
                              {QStringLiteral("-c"),
                               QStringLiteral("trap '' PIPE; for h in 127.0.0.1 ::1; do "
                                              "exec {fd}<>/dev/tcp/$h/$0 || exit 1; "
                                              "printf 'GET /callback?code=x&state=%s HTTP/1.1\r\n"
                                              "Host: localhost:%s\r\n\r\n' \"$1\" \"$0\" >&$fd "
                                              "2>/dev/null; if read -t 5 -u $fd line; then "
                                              "echo \"answered $h\"; else echo \"dropped $h\"; fi; "
                                              "exec {fd}>&-; done"),
                               redirectPort(opened),
                               QString::fromLatin1(QUrl::toPercentEncoding(
                                       queryValue(opened, QStringLiteral("state"))))}),
             "could not start the other user's process");
    QTRY_COMPARE_WITH_TIMEOUT(mallory.state(), QProcess::NotRunning, 2 * kWait);
    QCOMPARE(mallory.exitCode(), 0);
    QCOMPARE(mallory.readAllStandardOutput(), QByteArray("dropped 127.0.0.1\ndropped ::1\n"));
    QVERIFY(errors.isEmpty());
    QCOMPARE(session.state(), Session::State::SigningIn);
    session.cancelSignIn();
    setLocalhostResolutionTestHook({});
}

/*
    Finding 2, starvation: another user opens more idle connections than the
    listener serves at once. Before the fix the listener refused the newest
    connection, i.e. the browser's real callback, and the sign-in timed out.
*/
void tst_SignInOtherUser::otherUsersIdleConnectionsDoNotStarve()
{
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid(), kWait);

    // 20 connections, idle; then how many of them the listener closed (EOF or
    // reset within a second each); then held until our stdin closes.
    QProcess flood;
    flood.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QVERIFY2(startAsOtherUser(
                     flood, QStringLiteral("bash"),
                     {QStringLiteral("-c"),
                      QStringLiteral("fds=(); for i in $(seq 20); do "
                                     "exec {fd}<>/dev/tcp/127.0.0.1/$0 || exit 1; fds+=($fd); "
                                     "done; n=0; for fd in ${fds[@]}; do read -t 1 -u $fd _; "
                                     "[ $? -lt 128 ] && n=$((n+1)); done; echo closed $n; "
                                     "read _; exit 0"),
                      redirectPort(opened)}),
             "could not start the other user's process");
    QByteArray floodOutput;
    QTRY_VERIFY_WITH_TIMEOUT((floodOutput += flood.readAllStandardOutput()).contains('\n'),
                             2 * kWait);
    // Dropped at once: every one closed before the browser even came.
    QCOMPARE(floodOutput.trimmed(), QByteArray("closed 20"));

    QElapsedTimer elapsed;
    elapsed.start();
    FakeBrowser browser;
    browser.run(opened);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QCOMPARE(browser.callbackPage.status, 200);
    // Not after an idle grace or timeout.
    QVERIFY2(elapsed.elapsed() < 3000, qPrintable(QString::number(elapsed.elapsed())));
    flood.closeWriteChannel();
    QTRY_COMPARE_WITH_TIMEOUT(flood.state(), QProcess::NotRunning, kWait);
    QCOMPARE(flood.exitCode(), 0);
}

/*
    The same flood from the user's own processes (a misbehaving app, or the
    browser's speculative preconnects): connections that sent no request line
    within about a second are evicted, the oldest first, so the real callback
    gets a place instead of being refused.
*/
void tst_SignInOtherUser::sameUserIdleConnectionsAreEvicted()
{
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid(), kWait);

    constexpr int kIdle = 20;
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    QList<int> closedOrder;
    QElapsedTimer sinceFirst;
    qint64 firstClosedAt = -1;
    int connected = 0;
    for (int i = 0; i < kIdle; ++i) {
        idle.push_back(std::make_unique<QTcpSocket>());
        connect(idle.back().get(), &QTcpSocket::connected, this, [&connected] { ++connected; });
        connect(idle.back().get(), &QTcpSocket::disconnected, this, [&, i] {
            if (closedOrder.isEmpty())
                firstClosedAt = sinceFirst.elapsed();
            closedOrder.append(i);
        });
        idle.back()->connectToHost(QHostAddress::LocalHost, redirectPort(opened).toUShort());
        if (i == 0)
            sinceFirst.start();
        // One after the other, so that "oldest" means something.
        QTRY_COMPARE_WITH_TIMEOUT(connected, i + 1, kWait);
    }

    QElapsedTimer elapsed;
    elapsed.start();
    FakeBrowser browser;
    browser.run(opened);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QCOMPARE(browser.callbackPage.status, 200);
    // Idle ones were evicted to make room, the oldest first, after about a second.
    QVERIFY(!closedOrder.isEmpty());
    QCOMPARE(closedOrder.first(), 0);
    // ...not at once: an idle connection has about a second to send its request line.
    QVERIFY2(firstClosedAt >= 900, qPrintable(QString::number(firstClosedAt)));
    QVERIFY2(elapsed.elapsed() < 5000, qPrintable(QString::number(elapsed.elapsed())));
}

QTEST_GUILESS_MAIN(tst_SignInOtherUser)
#include "tst_signin_otheruser.moc"
