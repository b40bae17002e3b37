// SPDX-License-Identifier: MIT
// Private-use URI scheme redirects (RFC 8252 §7.1) end to end on Linux, in real
// processes: `securetokens register-scheme` writes a .desktop handler and runs
// xdg-mime, `login --browser --redirect-uri SCHEME:/callback` waits, the
// browser script follows the authorization request of the in-process mock
// server and hands the SCHEME: Location to xdg-open, which starts a second
// `securetokens` with the URL; that one forwards it to the first through the
// per-user local socket, and the sign-in completes (the real Secret Service).

#include "cliprocess.h"
#include "scriptedsecretstore.h"
#include "tst_signin_helpers.h"

#include <mockauthserver.h>

#include <QFile>
#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace SecureTokens;
using Mock::MockAuthServer;
using SignInTest::FakeBrowser;

namespace {

constexpr int kWait = 90000;
using Run = CliProcess::Run;
// The demo client of the mock server takes com.example.* schemes (RFC 2606).
const QString scheme = QStringLiteral("com.example.securetokens.test");
constexpr int otherUid = 65534; // nobody

} // namespace

class tst_SignInScheme : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_home;
    std::unique_ptr<QTemporaryDir> m_runtime;
    std::unique_ptr<MockAuthServer> m_server;
    QString m_service;

    QString url(const QString &path = {}) const { return m_server->baseUrl().toString() + path; }
    QString log() const { return m_home->filePath(QStringLiteral("browser.log")); }
    QProcessEnvironment env(const QProcessEnvironment &extra = {}) const
    {
        QProcessEnvironment e = extra;
        e.insert(QStringLiteral("XDG_DATA_HOME"), m_home->filePath(QStringLiteral("data")));
        e.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_runtime->path());
        e.insert(QStringLiteral("BROWSER"), QStringLiteral(SIGNIN_BROWSER_SCRIPT));
        e.insert(QStringLiteral("SIGNIN_BROWSER_LOG"), log());
        // No desktop environment: xdg-open's generic path, handlers from mimeapps.list.
        e.insert(QStringLiteral("XDG_CURRENT_DESKTOP"), QString());
        return e;
    }
    Run run(const QStringList &args, const QProcessEnvironment &extra = {})
    {
        return CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home->path(), m_service)
                .run(args, {}, env(extra), kWait);
    }
    Run registerScheme() { return run({QStringLiteral("register-scheme"), scheme}); }
    Run login(const QProcessEnvironment &extra = {})
    {
        return run({QStringLiteral("login"), QStringLiteral("--browser"),
                    QStringLiteral("--redirect-uri"), scheme + QStringLiteral(":/callback"),
                    QStringLiteral("--issuer"), url(), QStringLiteral("--client-id"),
                    QStringLiteral("demo"), QStringLiteral("--scope"),
                    QStringLiteral("openid email items")},
                   extra);
    }
    QByteArray browserLog() const
    {
        QFile file(log());
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("(no browser log)");
    }
    int stat(const char *name) const
    {
        return m_server->stats().value(QLatin1String(name)).toInt();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through scripts/with-keyring (ctest does)");
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("xdg-open")).isEmpty(),
                 "needs xdg-utils (scripts/install-deps test)");
    }
    void init()
    {
        m_home = std::make_unique<QTemporaryDir>();
        m_runtime = std::make_unique<QTemporaryDir>();
        QVERIFY(m_home->isValid() && m_runtime->isValid());
        QVERIFY(QFile::setPermissions(m_runtime->path(),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        Mock::ServerConfig config;
        config.admin = true;
        m_server = std::make_unique<MockAuthServer>(config);
        QVERIFY(m_server->listen());
        m_service = QStringLiteral("org.securetokens.test.scheme.%1")
                            .arg(QLatin1String(QTest::currentTestFunction()));
    }
    void cleanup()
    {
        run({QStringLiteral("logout")});
        m_server.reset();
    }

    void registerWritesDesktopFileAndDefault();
    void signInThroughSecondInstance();
    void forgedAndRepeatedRedirectsAreRefused();
    void otherUserCannotHandOver();
    void usageErrors();
    void sessionTakesTheDeliveredRedirect();
    void sessionRefusesABadRedirectUri();
};

void tst_SignInScheme::registerWritesDesktopFileAndDefault()
{
    const Run r = registerScheme();
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile desktop(m_home->filePath(QStringLiteral("data/applications/")) + scheme
                  + QStringLiteral("-redirect.desktop"));
    QVERIFY(desktop.open(QIODevice::ReadOnly));
    const QByteArray entry = desktop.readAll();
    QVERIFY2(entry.contains("MimeType=x-scheme-handler/" + scheme.toLatin1() + ";\n"),
             entry.constData());
    QVERIFY2(entry.contains("Exec=" SECURETOKENS_CLI_PATH " %u\n"), entry.constData());
    // xdg-mime answers with it now (from $XDG_CONFIG_HOME/mimeapps.list).
    QProcess query;
    CliProcess cli(QStringLiteral(SECURETOKENS_CLI_PATH), m_home->path(), m_service);
    query.setProcessEnvironment(cli.environment(env()));
    query.start(QStringLiteral("xdg-mime"),
                {QStringLiteral("query"), QStringLiteral("default"),
                 QStringLiteral("x-scheme-handler/") + scheme});
    QVERIFY(query.waitForFinished(20000));
    QCOMPARE(query.readAllStandardOutput().trimmed(),
             (scheme + QStringLiteral("-redirect.desktop")).toLatin1());
    // A scheme without a period is not a private-use scheme (RFC 8252 §7.1).
    QCOMPARE(run({QStringLiteral("register-scheme"), QStringLiteral("myapp")}).exitCode, 2);
}

void tst_SignInScheme::signInThroughSecondInstance()
{
    QCOMPARE(registerScheme().exitCode, 0);
    const Run r = login();
    QVERIFY2(r.exitCode == 0, r.err.constData() + QByteArray("\nbrowser: ") + browserLog());
    QVERIFY2(r.out.contains("Signed in as alice@example.test"), r.out.constData());
    // The second instance forwarded the URL (xdg-open started it) and said so.
    const QByteArray page = browserLog();
    QVERIFY2(page.contains("Redirect handed to the waiting sign-in.\nreal: 0\n"), page.constData());
    QCOMPARE(stat("authorization_code_grants"), 1);
    // A new process finds the session in the keyring.
    const Run status = run({QStringLiteral("status")});
    QVERIFY2(status.exitCode == 0, status.err.constData());
    QVERIFY2(status.out.contains("signed in as alice@example.test"), status.out.constData());
    // The socket went with the sign-in.
    QVERIFY(QDir(m_runtime->path()).entryList(QDir::System | QDir::NoDotAndDotDot).isEmpty());
}

void tst_SignInScheme::forgedAndRepeatedRedirectsAreRefused()
{
    QCOMPARE(registerScheme().exitCode, 0);
    QProcessEnvironment extra;
    extra.insert(QStringLiteral("SIGNIN_FORGE_STATE"), QStringLiteral("1"));
    extra.insert(QStringLiteral("SIGNIN_REPEAT"), QStringLiteral("1"));
    const Run r = login(extra);
    QVERIFY2(r.exitCode == 0, r.err.constData() + QByteArray("\nbrowser: ") + browserLog());
    // The browser script goes on after the sign-in: its last delivery.
    QTRY_VERIFY_WITH_TIMEOUT(browserLog().contains("again: "), 20000);
    const QByteArray page = browserLog();
    // A wrong state is refused (RFC 6749 §10.12) and the sign-in keeps waiting…
    QVERIFY2(page.contains("The sign-in refused the redirect: This response does not belong to "
                           "the sign-in in progress."),
             page.constData());
    // (Refusals are read from what the second instance printed: Debian 13's
    // xdg-open answers 0 whatever the handler's exit code.)
    // …for the real one, which completes it; a second one finds nobody waiting.
    QVERIFY2(page.contains("real: 0\n"), page.constData());
    QVERIFY2(page.contains("No sign-in is waiting for a " + scheme.toLatin1() + ": redirect."),
             page.constData());
    // Exactly one URL was handed over: the real one.
    QVERIFY2(page.count("Redirect handed to the waiting sign-in.") == 1, page.constData());
    QCOMPARE(stat("authorization_code_grants"), 1);
}

void tst_SignInScheme::otherUserCannotHandOver()
{
    QVERIFY2(::geteuid() == 0,
             "needs root to act as another user (setpriv), as in CI: run the suite as root");
    QCOMPARE(registerScheme().exitCode, 0);
    QProcessEnvironment extra;
    extra.insert(QStringLiteral("SIGNIN_OTHER_UID"), QString::number(otherUid));
    extra.insert(QStringLiteral("SIGNIN_HANDLER"), QStringLiteral(SECURETOKENS_CLI_PATH));
    const Run r = login(extra);
    const QByteArray page = browserLog();
    QVERIFY2(r.exitCode == 0, r.err.constData() + QByteArray("\nbrowser: ") + page);
    // His second instance reaches no socket of ours (another name, in a
    // directory he cannot enter), so the code stays the user's.
    QVERIFY2(page.contains("other-uid: 1\n"), page.constData());
    QVERIFY2(page.contains("real: 0\n"), page.constData());
    QCOMPARE(stat("authorization_code_grants"), 1);
}

void tst_SignInScheme::usageErrors()
{
    for (const QString &uri :
         {QStringLiteral("myapp:/callback"), QStringLiteral("com.example.app://callback"),
          QStringLiteral("http://127.0.0.1:1/callback")}) {
        const Run r = run({QStringLiteral("login"), QStringLiteral("--browser"),
                           QStringLiteral("--redirect-uri"), uri, QStringLiteral("--issuer"), url(),
                           QStringLiteral("--client-id"), QStringLiteral("demo")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("RFC 8252"), r.err.constData());
    }
    const Run r = run({QStringLiteral("login"), QStringLiteral("--redirect-uri"),
                       scheme + QStringLiteral(":/callback"), QStringLiteral("--issuer"), url(),
                       QStringLiteral("--client-id"), QStringLiteral("demo"),
                       QStringLiteral("--username"), QStringLiteral("alice")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("--redirect-uri needs --browser"), r.err.constData());
    // A redirect URL with nobody waiting: the second instance says so and fails.
    const Run lone = run({scheme + QStringLiteral(":/callback?code=x&state=y")});
    QCOMPARE(lone.exitCode, 1);
    QVERIFY2(lone.err.contains("No sign-in is waiting"), lone.err.constData());
}

// The app's side on Android, iOS and macOS: the URL arrives through
// QDesktopServices::setUrlHandler(scheme, session, "handleRedirect"), which
// invokes the slot by name with the URL; the checks are the loopback path's.
void tst_SignInScheme::sessionTakesTheDeliveredRedirect()
{
    FakeBrowser browser;
    SessionConfig config = SignInTest::discoveryConfig(m_server->baseUrl(),
                                                       std::make_shared<ScriptedSecretStore>());
    config.openBrowser = browser.opener();
    config.redirectUri = QUrl(scheme + QStringLiteral(":/callback"));
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    // Nothing waits yet.
    QVERIFY(!session.handleRedirect(QUrl(scheme + QStringLiteral(":/callback?code=x&state=y"))));
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(browser.done, kWait);
    QCOMPARE(SignInTest::queryValue(browser.authorizationUrl, QStringLiteral("redirect_uri")),
             scheme + QStringLiteral(":/callback"));
    const QUrl callback = browser.callbackUrl;
    QCOMPARE(callback.scheme(), scheme);
    QCOMPARE(callback.path(), QStringLiteral("/callback"));
    const auto deliver = [&session](const QUrl &url) {
        bool taken = false;
        const bool invoked
                = QMetaObject::invokeMethod(&session, "handleRedirect", Qt::DirectConnection,
                                            Q_RETURN_ARG(bool, taken), Q_ARG(QUrl, url));
        return invoked && taken;
    };
    // A forged state (RFC 6749 §10.12) and another path are refused; the
    // sign-in keeps waiting for its own response.
    QUrl forged = callback;
    QUrlQuery query(forged);
    query.removeQueryItem(QStringLiteral("state"));
    query.addQueryItem(QStringLiteral("state"), QStringLiteral("forged"));
    forged.setQuery(query);
    QVERIFY(!deliver(forged));
    QUrl otherPath = callback;
    otherPath.setPath(QStringLiteral("/elsewhere"));
    QVERIFY(!deliver(otherPath));
    QCOMPARE(session.state(), Session::State::SigningIn);
    QVERIFY(deliver(callback));
    // The first one wins: the same URL again is not taken.
    QVERIFY(!deliver(callback));
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QVERIFY(errors.isEmpty());
    QCOMPARE(stat("authorization_code_grants"), 1);
}

void tst_SignInScheme::sessionRefusesABadRedirectUri()
{
    SessionConfig config = SignInTest::discoveryConfig(m_server->baseUrl(),
                                                       std::make_shared<ScriptedSecretStore>());
    bool opened = false;
    config.openBrowser = [&opened](const QUrl &) {
        return opened = true;
    };
    config.redirectUri = QUrl(QStringLiteral("myapp://callback"));
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, kWait);
    const auto error = errors.constFirst().constFirst().value<ErrorInfo>();
    QCOMPARE(error.code, Error::InvalidConfiguration);
    QVERIFY2(error.message.contains(QLatin1String("RFC 8252")), qPrintable(error.message));
    QVERIFY(!opened);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

QTEST_GUILESS_MAIN(tst_SignInScheme)
#include "tst_signin_scheme.moc"
