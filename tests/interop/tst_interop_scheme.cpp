// SPDX-License-Identifier: MIT
// Private-use URI scheme redirects (RFC 8252 §7.1) against a third-party
// provider: node's oidc-provider (profile private-use-scheme, client
// native-scheme, redirect URI com.example.securetokens.interop:/oauth2redirect
// registered exactly), in real processes, over loopback.
//
// `securetokens register-scheme` writes the .desktop handler and runs
// xdg-mime in a temporary XDG_DATA_HOME / XDG_CONFIG_HOME; `login --browser
// --redirect-uri SCHEME:/oauth2redirect` waits; the scripted browser
// (browser.mjs) signs in at the provider and, on the SCHEME: Location, runs
// xdg-open with it, which starts the handler's Exec line: a second
// `securetokens` with the URL, which forwards it to the first through the
// per-user local socket. The first checks state and iss and exchanges the code
// with its PKCE verifier; the refresh token goes to the real Secret Service.

#include "cliprocess.h"
#include "interopprocess.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using Interop::InteropProvider;

namespace {

constexpr int kWait = 45000;
using Run = CliProcess::Run;
// Not tst_signin_scheme's scheme: each test has its own handler and socket.
const QString kScheme = QStringLiteral("com.example.securetokens.interop");
const QString kRedirect = kScheme + QStringLiteral(":/oauth2redirect");
const QString kScope = QStringLiteral("openid offline_access profile email");
const QByteArray kHandedOver = "Redirect handed to the waiting sign-in.";
const QByteArray kRefusedState = "The sign-in refused the redirect: This response does not belong "
                                 "to the sign-in in progress.";

} // namespace

class tst_InteropScheme : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_home;
    std::unique_ptr<QTemporaryDir> m_runtime;
    std::unique_ptr<InteropProvider> m_provider;
    QString m_service;
    QByteArray m_output; // everything the CLI and the browser printed, for the leak check

    QString browserLog() const { return m_home->filePath(QStringLiteral("browser.log")); }
    QByteArray browserReport() const
    {
        QFile file(browserLog());
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("(no browser log)");
    }
    CliProcess cli() const
    {
        return CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home->path(), m_service);
    }
    QProcessEnvironment env(const QString &deliveries = QStringLiteral("real")) const
    {
        QProcessEnvironment e;
        e.insert(QStringLiteral("XDG_DATA_HOME"), m_home->filePath(QStringLiteral("data")));
        // The socket's directory: private to the user and to this test.
        e.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_runtime->path());
        // No desktop environment: xdg-open's generic path reads mimeapps.list.
        e.insert(QStringLiteral("XDG_CURRENT_DESKTOP"), QString());
        e.insert(QStringLiteral("BROWSER"), Interop::browserCommand());
        e.insert(QStringLiteral("INTEROP_BROWSER_LOG"), browserLog());
        e.insert(QStringLiteral("INTEROP_BROWSER_SCHEME_DELIVERIES"), deliveries);
        e.insert(QStringLiteral("SECURETOKENS_TIMEOUT"), QStringLiteral("10"));
        return e;
    }
    Run run(const QStringList &args)
    {
        Run r = cli().run(args, {}, env(), kWait);
        m_output += r.out + r.err;
        return r;
    }
    QStringList loginArgs() const
    {
        return {QStringLiteral("login"),          QStringLiteral("--browser"),
                QStringLiteral("--redirect-uri"), kRedirect,
                QStringLiteral("--issuer"),       m_provider->issuer(),
                QStringLiteral("--client-id"),    QStringLiteral("native-scheme"),
                QStringLiteral("--scope"),        kScope};
    }
    //! Starts `login`; returns once the browser script has written its report.
    std::unique_ptr<QProcess> startLogin(const QString &deliveries)
    {
        std::unique_ptr<QProcess> process = cli().start(loginArgs(), {}, env(deliveries));
        QSignalSpy finished(process.get(), &QProcess::finished);
        QDeadlineTimer deadline(kWait);
        // The report's last line is written when every delivery has run.
        while (!browserReport().contains("handed over\n") && !deadline.hasExpired()
               && process->state() != QProcess::NotRunning)
            finished.wait(100);
        return process;
    }
    Run finish(QProcess *process, int timeoutMs = kWait)
    {
        Run r = CliProcess::finish(process, timeoutMs);
        m_output += r.out + r.err;
        return r;
    }
    QJsonObject json(const QByteArray &out) const
    {
        return QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
    }
    int events(const char *name) const { return m_provider->events(QLatin1String(name)); }
    bool socketsGone() const
    {
        return QDir(m_runtime->path()).entryList(QDir::System | QDir::NoDotAndDotDot).isEmpty();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through scripts/with-keyring (ctest does)");
        QVERIFY2(Interop::installed(),
                 qPrintable(QStringLiteral("node packages missing in %1: ctest runs the "
                                           "interop_npm_ci fixture first")
                                    .arg(Interop::dir())));
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
        m_service = QStringLiteral("org.securetokens.test.interopscheme.%1")
                            .arg(QLatin1String(QTest::currentTestFunction()));
        m_output.clear();
        m_provider = std::make_unique<InteropProvider>();
        QVERIFY2(m_provider->start(QStringLiteral("private-use-scheme")),
                 m_provider->failureText());
        const Run r = run({QStringLiteral("register-scheme"), kScheme});
        QVERIFY2(r.exitCode == 0, r.err.constData());
    }
    void cleanup()
    {
        run({QStringLiteral("logout")});
        m_output += browserReport();
        if (QTest::currentTestFailed())
            qInfo("browser: %s", browserReport().constData());
        if (m_provider) {
            // Nothing the CLI or the browser printed is a token or code the provider issued.
            const QStringList leaks = m_provider->leaks(m_output);
            QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(QLatin1String(", "))));
            QVERIFY2(m_provider->stop(), m_provider->standardError().constData());
        }
        m_provider.reset();
    }

    void signInThroughSecondInstance();
    void forgedStateIsRefused();
    void forgedIssuerFailsTheSignIn();
};

void tst_InteropScheme::signInThroughSecondInstance()
{
    // The real redirect, then the same URL once more (a second click, a replay).
    std::unique_ptr<QProcess> login = startLogin(QStringLiteral("real,again"));
    const Run r = finish(login.get());
    QVERIFY2(r.exitCode == 0, r.err + "\nbrowser: " + browserReport());
    // The browser script goes on after the sign-in: its last delivery.
    QTRY_VERIFY_WITH_TIMEOUT(browserReport().contains("handed over\n"), 20000);
    const QByteArray page = browserReport();
    QVERIFY2(r.out.contains("Signed in as alice@interop.test"), r.out.constData());
    // The provider redirected to the private-use scheme with code, state and
    // iss (RFC 9207), and the desktop (xdg-open, the .desktop handler) started
    // the second instance, which handed the URL over: exactly once.
    QVERIFY2(page.contains("redirect to " + kRedirect.toLatin1() + " with code, state, iss\n"),
             page.constData());
    QVERIFY2(page.contains(kHandedOver + "\nreal: 0\n"), page.constData());
    QCOMPARE(page.count(kHandedOver), 1);
    // The replay found nobody waiting (the socket went with the sign-in).
    QVERIFY2(page.contains("No sign-in is waiting for a " + kScheme.toLatin1() + ": redirect."),
             page.constData());
    QVERIFY(socketsGone());
    // The request was pushed (RFC 9126) with the scheme's redirect_uri, the
    // code exchanged once with its PKCE verifier (the provider requires S256).
    QCOMPARE(events("pushed_authorization_request.success"), 1);
    QCOMPARE(events("grant.success:authorization_code"), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 1);

    // A new process: restored from the keyring (one refresh), userinfo answered.
    Run call = run({QStringLiteral("call"), m_provider->issuer() + QStringLiteral("/me")});
    QVERIFY2(call.exitCode == 0, call.err.constData());
    QCOMPARE(json(call.out).value(QLatin1String("sub")).toString(),
             QStringLiteral("interop-alice"));
    QCOMPARE(json(call.out).value(QLatin1String("email")).toString(),
             QStringLiteral("alice@interop.test"));
    QCOMPARE(events("grant.success:refresh_token"), 1);
    const Run info = run({QStringLiteral("userinfo")});
    QVERIFY2(info.exitCode == 0, info.err.constData());
    QCOMPARE(json(info.out).value(QLatin1String("name")).toString(),
             QStringLiteral("Alice Interop"));
    // The provider's view: one grant for native-scheme, live, nothing refused.
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 1);
    QCOMPARE(events("grant.error"), 0);
    int grants = 0;
    for (const QJsonObject &line : m_provider->lines()) {
        if (line.value(QLatin1String("event")).toString() == QLatin1String("grant.success")
            && line.value(QLatin1String("grant_type")).toString()
                    == QLatin1String("authorization_code")) {
            QCOMPARE(line.value(QLatin1String("client")).toString(),
                     QStringLiteral("native-scheme"));
            ++grants;
        }
    }
    QCOMPARE(grants, 1);

    // Sign-out revokes the grant (RFC 7009).
    const Run out = run({QStringLiteral("logout")});
    QVERIFY2(out.exitCode == 0, out.err.constData());
    QCOMPARE(events("grant.revoked"), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
}

void tst_InteropScheme::forgedStateIsRefused()
{
    // The provider's real code, with a state that is not the sign-in's
    // (RFC 6749 §10.12), delivered the same way: refused, the code never
    // reaches the token endpoint, and the sign-in goes on waiting.
    std::unique_ptr<QProcess> login = startLogin(QStringLiteral("forged-state"));
    const QByteArray page = browserReport();
    QVERIFY2(page.contains("forged-state: "), page.constData());
    QVERIFY2(page.contains(kRefusedState), page.constData());
    QVERIFY(!page.contains(kHandedOver));
    QCOMPARE(login->state(), QProcess::Running);
    QCOMPARE(events("grant.success:authorization_code"), 0);
    QCOMPARE(events("grant.error"), 0);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
    // Not signed in: another process finds no session.
    QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
    // The sign-in is given up (as a user closing the terminal): nothing stored.
    login->terminate();
    const Run r = finish(login.get(), 10000);
    QVERIFY(r.exitCode != 0);
    QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
    QCOMPARE(events("grant.success:authorization_code"), 0);
}

void tst_InteropScheme::forgedIssuerFailsTheSignIn()
{
    // The right state but another issuer in iss (RFC 9207 §2.4, a mix-up):
    // the sign-in fails, the code is not exchanged.
    std::unique_ptr<QProcess> login = startLogin(QStringLiteral("forged-iss"));
    const Run r = finish(login.get());
    QTRY_VERIFY_WITH_TIMEOUT(browserReport().contains("handed over\n"), 20000);
    const QByteArray page = browserReport();
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("names the issuer \"http://127.0.0.1:9/\"")
                     && r.err.contains("RFC 9207"),
             r.err.constData());
    // The state was right, so the URL was this sign-in's to take (and to fail on).
    QVERIFY2(page.contains(kHandedOver + "\nforged-iss: 0\n"), page.constData());
    QCOMPARE(events("grant.success:authorization_code"), 0);
    QCOMPARE(events("grant.error"), 0);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
    QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
    QVERIFY(socketsGone());
}

QTEST_GUILESS_MAIN(tst_InteropScheme)
#include "tst_interop_scheme.moc"
