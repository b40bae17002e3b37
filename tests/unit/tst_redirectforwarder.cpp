// SPDX-License-Identifier: MIT
// Private-use scheme redirects (RFC 8252 §7.1): the URI's form, and the local
// socket a second instance of the app forwards the redirect URL through.
// The "another user" case re-runs this executable as uid 65534 (setpriv, as
// root can: CI runs the tests as root).

#include "signin/redirectforwarder_p.h"

#include <securetokens/schemeredirect.h>

#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <optional>

#include <sys/stat.h>
#include <unistd.h>

using namespace SecureTokens;

namespace {

const char connectArgument[] = "--connect";
constexpr int otherUid = 65534; // nobody
const QString scheme = QStringLiteral("com.example.securetokens.unit");

// Child side: connect to the socket, send one URL, print what came back.
int connectAndSend(const QString &path)
{
    QLocalSocket socket;
    socket.connectToServer(path);
    if (!socket.waitForConnected(5000)) {
        std::fputs("unconnected\n", stdout);
        return 0;
    }
    socket.write("com.example.securetokens.unit:/callback?state=s&code=c\n");
    socket.waitForBytesWritten(5000);
    QByteArray reply;
    while (socket.waitForReadyRead(5000))
        reply.append(socket.readAll());
    reply.append(socket.readAll());
    std::fputs(("reply:" + reply.trimmed() + "\n").constData(), stdout);
    return 0;
}

} // namespace

class tst_RedirectForwarder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void uriForm_data();
    void uriForm();
    void notARedirectIsNotHandled();
    void socketIsPrivate();
    void forwardsOneUrlAndTheFirstWins();
    void refusedUrlKeepsTheServerWaiting();
    void noServerMeansNotSignedIn();
    void oversizeMessageIsRefused();
    void otherUsersConnectionIsDropped();

private:
    std::optional<QTemporaryDir> m_runtime;
};

void tst_RedirectForwarder::init()
{
    // A private runtime directory of our own for each case (mode 0700).
    m_runtime.emplace();
    QVERIFY(m_runtime->isValid());
    QVERIFY(QFile::setPermissions(m_runtime->path(),
                                  QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime->path()));
}

void tst_RedirectForwarder::uriForm_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<bool>("valid");
    QTest::newRow("reverse DNS, single slash")
            << QStringLiteral("com.example.app:/callback") << true;
    QTest::newRow("deep path") << QStringLiteral("com.example.app:/oauth2/redirect") << true;
    QTest::newRow("no period") << QStringLiteral("myapp:/callback") << false;
    QTest::newRow("authority") << QStringLiteral("com.example.app://callback") << false;
    QTest::newRow("no slash") << QStringLiteral("com.example.app:callback") << false;
    QTest::newRow("https") << QStringLiteral("https://example.com/callback") << false;
    QTest::newRow("http loopback") << QStringLiteral("http://127.0.0.1:8080/callback") << false;
    QTest::newRow("query") << QStringLiteral("com.example.app:/callback?x=1") << false;
    QTest::newRow("fragment") << QStringLiteral("com.example.app:/callback#x") << false;
    QTest::newRow("trailing period") << QStringLiteral("com.example.:/callback") << false;
    QTest::newRow("too long") << QString(QStringLiteral("com.example.app:/")
                                         + QString(200, QLatin1Char('a')))
                              << false;
}

void tst_RedirectForwarder::uriForm()
{
    QFETCH(QString, uri);
    QFETCH(bool, valid);
    const ErrorInfo error = checkPrivateUseRedirectUri(QUrl(uri));
    QCOMPARE(error.isError(), !valid);
    if (!valid) {
        QCOMPARE(error.code, Error::InvalidConfiguration);
        QVERIFY(!error.message.isEmpty());
    }
}

void tst_RedirectForwarder::notARedirectIsNotHandled()
{
    ErrorInfo outcome = ErrorInfo::make(Error::ServerError, QStringLiteral("untouched"));
    QVERIFY(!forwardRedirect({QStringLiteral("app"), QStringLiteral("login"),
                              QStringLiteral("https://example.com/callback?code=x")},
                             {}, &outcome));
    // Another app's scheme is not this app's business either.
    QVERIFY(!forwardRedirect({QStringLiteral("app"), scheme + QStringLiteral(":/callback?code=x")},
                             {QStringLiteral("org.example.other")}, &outcome));
    QCOMPARE(outcome.message, QStringLiteral("untouched"));
}

void tst_RedirectForwarder::socketIsPrivate()
{
    RedirectForwardServer server;
    QVERIFY(!server.listen(scheme).isError());
    QVERIFY(server.isListening());
    const QString path = server.socketPath();
    QCOMPARE(QFileInfo(path).absolutePath(), QFileInfo(m_runtime->path()).absoluteFilePath());
    struct stat st = {};
    QCOMPARE(::lstat(QFile::encodeName(path).constData(), &st), 0);
    QVERIFY(S_ISSOCK(st.st_mode));
    QCOMPARE(int(st.st_mode & 07777), 0600);
    QCOMPARE(st.st_uid, ::geteuid());
    // Named for the scheme and the user: no scheme in the directory listing.
    QVERIFY(!path.contains(scheme));
    ErrorInfo error;
    QCOMPARE(redirectForwardingSocketPath(scheme.toUpper(), &error), path);
    QVERIFY(redirectForwardingSocketPath(QStringLiteral("org.example.other"), &error) != path);
    server.close();
    QVERIFY(!QFileInfo::exists(path));
}

void tst_RedirectForwarder::forwardsOneUrlAndTheFirstWins()
{
    RedirectForwardServer server;
    QVERIFY(!server.listen(scheme).isError());
    QList<QUrl> received;
    server.setHandler([&received](const QUrl &url) {
        received.append(url);
        return RedirectForwardServer::Verdict {true, {}};
    });
    const QString url = scheme + QStringLiteral(":/callback?code=abc&state=xyz");
    // The second instance blocks: it runs in a child process of its own.
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    // Not --connect: the real forwardRedirect() through the SDK entry point
    // cannot run in this process (it blocks the loop the server needs).
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--forward"), url});
    QVERIFY(child.waitForStarted());
    QTRY_COMPARE_WITH_TIMEOUT(child.state(), QProcess::NotRunning, 10000);
    QCOMPARE(child.readAllStandardOutput().trimmed(), QByteArray("handled NoError"));
    QCOMPARE(received, QList<QUrl> {QUrl(url)});
    QVERIFY(!server.isListening());
    // A second URL: nobody listens any more.
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--forward"), url});
    QVERIFY(child.waitForStarted());
    QTRY_COMPARE_WITH_TIMEOUT(child.state(), QProcess::NotRunning, 10000);
    QCOMPARE(child.readAllStandardOutput().trimmed(), QByteArray("handled NotSignedIn"));
    QCOMPARE(received.size(), 1);
}

void tst_RedirectForwarder::refusedUrlKeepsTheServerWaiting()
{
    RedirectForwardServer server;
    QVERIFY(!server.listen(scheme).isError());
    int calls = 0;
    server.setHandler([&calls](const QUrl &) {
        ++calls;
        return RedirectForwardServer::Verdict {calls > 1, QStringLiteral("wrong state")};
    });
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    const QString url = scheme + QStringLiteral(":/callback?code=abc&state=forged");
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--forward"), url});
    QTRY_COMPARE_WITH_TIMEOUT(child.state(), QProcess::NotRunning, 10000);
    QCOMPARE(child.readAllStandardOutput().trimmed(),
             QByteArray("handled StateMismatch The sign-in refused the redirect: wrong state"));
    QVERIFY(server.isListening());
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--forward"), url});
    QTRY_COMPARE_WITH_TIMEOUT(child.state(), QProcess::NotRunning, 10000);
    QCOMPARE(child.readAllStandardOutput().trimmed(), QByteArray("handled NoError"));
    QCOMPARE(calls, 2);
}

void tst_RedirectForwarder::noServerMeansNotSignedIn()
{
    ErrorInfo outcome;
    QVERIFY(forwardRedirect({QStringLiteral("app"), scheme + QStringLiteral(":/callback?code=x")},
                            {scheme}, &outcome));
    QCOMPARE(outcome.code, Error::NotSignedIn);
}

void tst_RedirectForwarder::oversizeMessageIsRefused()
{
    RedirectForwardServer server;
    QVERIFY(!server.listen(scheme).isError());
    int calls = 0;
    server.setHandler([&calls](const QUrl &) {
        ++calls;
        return RedirectForwardServer::Verdict {true, {}};
    });
    QLocalSocket socket;
    socket.connectToServer(server.socketPath());
    QVERIFY(socket.waitForConnected(5000));
    socket.write(scheme.toLatin1() + ":/callback?code=" + QByteArray(9000, 'a'));
    QByteArray reply;
    QTRY_VERIFY_WITH_TIMEOUT((reply += socket.readAll()).contains('\n'), 5000);
    QCOMPARE(reply, QByteArray("refused the redirect URL is too long\n"));
    QCOMPARE(calls, 0);
    QVERIFY(server.isListening());
}

void tst_RedirectForwarder::otherUsersConnectionIsDropped()
{
    QVERIFY2(::geteuid() == 0,
             "needs root to act as another user (setpriv), as in CI: run the suite as root");
    RedirectForwardServer server;
    QVERIFY(!server.listen(scheme).isError());
    int calls = 0;
    server.setHandler([&calls](const QUrl &) {
        ++calls;
        return RedirectForwardServer::Verdict {true, {}};
    });
    QSignalSpy refused(&server, &RedirectForwardServer::peerRefused);
    // The file modes keep him out; open them (as a mistake or another root
    // process might) so that the uid check is what is tested.
    QVERIFY(::chmod(QFile::encodeName(m_runtime->path()).constData(), 0777) == 0);
    QVERIFY(::chmod(QFile::encodeName(server.socketPath()).constData(), 0777) == 0);
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QStringLiteral("setpriv"),
                {QStringLiteral("--reuid=%1").arg(otherUid),
                 QStringLiteral("--regid=%1").arg(otherUid), QStringLiteral("--clear-groups"),
                 QCoreApplication::applicationFilePath(), QLatin1String(connectArgument),
                 server.socketPath()});
    QVERIFY(child.waitForStarted());
    QTRY_COMPARE_WITH_TIMEOUT(child.state(), QProcess::NotRunning, 10000);
    QCOMPARE(child.exitCode(), 0);
    // Connected (the mode let him), then dropped unanswered.
    QCOMPARE(child.readAllStandardOutput().trimmed(), QByteArray("reply:"));
    QCOMPARE(refused.size(), 1);
    QCOMPARE(calls, 0);
    QVERIFY(server.isListening());
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc == 3 && qstrcmp(argv[1], connectArgument) == 0)
        return connectAndSend(QString::fromLocal8Bit(argv[2]));
    if (argc == 3 && qstrcmp(argv[1], "--forward") == 0) {
        ErrorInfo outcome;
        const bool handled = forwardRedirect(argc, argv, {scheme}, &outcome);
        QByteArray line = handled ? "handled " : "unhandled ";
        line += QMetaEnum::fromType<Error>().valueToKey(int(outcome.code));
        if (!outcome.message.isEmpty() && outcome.code == Error::StateMismatch)
            line += ' ' + outcome.message.toUtf8();
        std::fputs((line + '\n').constData(), stdout);
        return 0;
    }
    tst_RedirectForwarder test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_redirectforwarder.moc"
