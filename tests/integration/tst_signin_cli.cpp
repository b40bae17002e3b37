// SPDX-License-Identifier: MIT
// `securetokens login --browser | --device | --transport cookie` in real
// processes, against the in-process mock server, with the real Secret Service.
// The browser is a script ($BROWSER) that does what a person would do.

#include "cliprocess.h"

#include <mockauthserver.h>

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

using namespace SecureTokens;
using Mock::MockAuthServer;

namespace {

constexpr int kWait = 60000;
using Run = CliProcess::Run;

} // namespace

class tst_SignInCli : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home;
    std::unique_ptr<MockAuthServer> m_server;
    QString m_service;

    QString url(const QString &path = {}) const { return m_server->baseUrl().toString() + path; }
    CliProcess cli() const
    {
        return CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home.path(), m_service);
    }
    Run run(const QStringList &args, const QByteArray &input = {},
            const QProcessEnvironment &extra = {})
    {
        return cli().run(args, input, extra, kWait);
    }
    int stat(const char *name) const
    {
        return m_server->stats().value(QLatin1String(name)).toInt();
    }
    QProcessEnvironment browserEnv(const QString &log,
                                   const QString &action = QStringLiteral("allow"))
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("BROWSER"), QStringLiteral(SIGNIN_BROWSER_SCRIPT));
        env.insert(QStringLiteral("SIGNIN_BROWSER_LOG"), log);
        env.insert(QStringLiteral("SIGNIN_ACTION"), action);
        return env;
    }
    void assertNoTokenIn(const Run &r)
    {
        const QJsonObject tokens = m_server->tokens();
        for (const char *kind : {"access_tokens", "refresh_tokens"}) {
            for (const QJsonValue &t : tokens.value(QLatin1String(kind)).toArray()) {
                QVERIFY(!r.out.contains(t.toString().toLatin1()));
                QVERIFY(!r.err.contains(t.toString().toLatin1()));
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
        Mock::ServerConfig config;
        config.admin = true;
        config.deviceInterval = 1;
        m_server = std::make_unique<MockAuthServer>(config);
        QVERIFY(m_server->listen());
        m_service = QStringLiteral("org.securetokens.test.signin.%1")
                            .arg(QLatin1String(QTest::currentTestFunction()));
    }
    void cleanup() { m_server.reset(); }

    void browserLoginCallLogout();
    void browserLoginWithoutPar();
    void browserDenied();
    void deviceLogin();
    void cookieTransport();
    void usageErrors();
    void browserDoesNotInheritThePassword();
};

// $SECURETOKENS_PASSWORD is read once and removed from the environment, so the
// $BROWSER child (and anything it starts) never sees it (security review,
// finding 11). The browser here dumps its environment, then signs in.
void tst_SignInCli::browserDoesNotInheritThePassword()
{
    const QString dump = m_home.filePath(QStringLiteral("browser-env.txt"));
    const QString script = m_home.filePath(QStringLiteral("env-dumping-browser.sh"));
    {
        QFile file(script);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("#!/bin/sh\nenv > \"$DUMP_ENV\"\nexec \"$REAL_BROWSER\" \"$@\"\n");
        file.close();
        QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                    | QFileDevice::ExeOwner));
    }
    const QString log = m_home.filePath(QStringLiteral("env-browser.log"));
    QProcessEnvironment env = browserEnv(log);
    env.insert(QStringLiteral("BROWSER"), script);
    env.insert(QStringLiteral("REAL_BROWSER"), QStringLiteral(SIGNIN_BROWSER_SCRIPT));
    env.insert(QStringLiteral("DUMP_ENV"), dump);
    const QByteArray password = "pw-that-must-not-leak-7f3a";
    env.insert(QStringLiteral("SECURETOKENS_PASSWORD"), QString::fromLatin1(password));
    const Run r
            = run({QStringLiteral("login"), QStringLiteral("--browser"), QStringLiteral("--issuer"),
                   url(), QStringLiteral("--client-id"), QStringLiteral("demo"),
                   QStringLiteral("--scope"), QStringLiteral("openid email")},
                  {}, env);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile file(dump);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray seen = file.readAll();
    QVERIFY2(seen.contains("REAL_BROWSER="), seen.constData()); // the dump worked
    QVERIFY2(!seen.contains("SECURETOKENS_PASSWORD"), "the browser inherited the password");
    QVERIFY(!seen.contains(password));
}

void tst_SignInCli::browserLoginCallLogout()
{
    const QString log = m_home.filePath(QStringLiteral("browser.log"));
    Run r = run({QStringLiteral("login"), QStringLiteral("--browser"), QStringLiteral("--issuer"),
                 url(), QStringLiteral("--client-id"), QStringLiteral("demo"),
                 QStringLiteral("--scope"), QStringLiteral("openid email items")},
                {}, browserEnv(log));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    // Signed in as the ID token's verified email.
    QVERIFY2(r.out.contains("Signed in as alice@example.test"), r.out.constData());
    // The URL is shown on the terminal too (as gh and gcloud do). The mock
    // server offers PAR (RFC 9126), so PKCE and the scope were pushed and
    // the URL holds only client_id and request_uri.
    QVERIFY(r.err.contains(url(QStringLiteral("/oauth/authorize?")).toLatin1()));
    QVERIFY2(r.err.contains("request_uri=urn"), r.err.constData());
    QVERIFY(!r.err.contains("code_challenge"));
    QVERIFY(!r.err.contains("scope="));
    // The browser saw the listener's page.
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(log).size() > 0, kWait);
    QFile file(log);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray page = file.readAll();
    QVERIFY2(page.contains("HTTP 200") && page.contains("close this tab"), page.constData());
    QCOMPARE(stat("authorization_code_grants"), 1);
    assertNoTokenIn(r);

    // A new process restores the session from the keyring with the saved endpoints.
    r = run({QStringLiteral("call"), url(QStringLiteral("/api/me"))});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QLatin1String("sub")).toString(),
             QStringLiteral("alice"));
    QCOMPARE(stat("refresh_grants"), 1);

    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(stat("revocations"), 1);
}

void tst_SignInCli::browserLoginWithoutPar()
{
    // --no-par: the provider does not require PAR, so the request travels in
    // the browser's URL, PKCE and scope included.
    const QString log = m_home.filePath(QStringLiteral("browser.log"));
    const Run r = run({QStringLiteral("login"), QStringLiteral("--browser"),
                       QStringLiteral("--no-par"), QStringLiteral("--issuer"), url(),
                       QStringLiteral("--client-id"), QStringLiteral("demo"),
                       QStringLiteral("--scope"), QStringLiteral("openid email items")},
                      {}, browserEnv(log));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.err.contains("code_challenge_method=S256"));
    QVERIFY(r.err.contains("scope=openid%20email%20items"));
    QVERIFY(!r.err.contains("request_uri="));
    QCOMPARE(stat("authorization_code_grants"), 1);
    assertNoTokenIn(r);
}

void tst_SignInCli::browserDenied()
{
    const QString log = m_home.filePath(QStringLiteral("denied.log"));
    const Run r
            = run({QStringLiteral("login"), QStringLiteral("--browser"), QStringLiteral("--issuer"),
                   url(), QStringLiteral("--client-id"), QStringLiteral("demo")},
                  {}, browserEnv(log, QStringLiteral("deny")));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("access_denied"), r.err.constData());
    QCOMPARE(stat("authorization_code_grants"), 0);
}

void tst_SignInCli::deviceLogin()
{
    std::unique_ptr<QProcess> process = cli().start(
            {QStringLiteral("login"), QStringLiteral("--device"), QStringLiteral("--issuer"), url(),
             QStringLiteral("--client-id"), QStringLiteral("demo")});
    QByteArray out;
    static const QRegularExpression instruction(
            QStringLiteral("open (\\S+) and enter the code ([A-Z]{4}-[A-Z]{4})"));
    QRegularExpressionMatch match;
    QTRY_VERIFY_WITH_TIMEOUT((out += process->readAllStandardOutput(),
                              match = instruction.match(QString::fromUtf8(out)), match.hasMatch()),
                             kWait);
    QCOMPARE(match.captured(1), url(QStringLiteral("/device")));

    // The person approves on another device.
    QNetworkAccessManager nam;
    QNetworkRequest request {QUrl(match.captured(1))};
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("user_code"), match.captured(2));
    form.addQueryItem(QStringLiteral("username"), QStringLiteral("alice"));
    form.addQueryItem(QStringLiteral("password"), QStringLiteral("wonderland"));
    form.addQueryItem(QStringLiteral("action"), QStringLiteral("allow"));
    QNetworkReply *reply = nam.post(request, form.toString(QUrl::FullyEncoded).toLatin1());
    QSignalSpy approved(reply, &QNetworkReply::finished);
    QVERIFY(approved.wait(kWait));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    reply->deleteLater();

    QSignalSpy finished(process.get(), &QProcess::finished);
    QVERIFY(process->state() == QProcess::NotRunning || finished.wait(kWait));
    out += process->readAllStandardOutput();
    QVERIFY2(process->exitCode() == 0, process->readAllStandardError().constData());
    QVERIFY2(out.contains("Signed in as alice"), out.constData());
    QCOMPARE(stat("device_grants"), 1);
}

void tst_SignInCli::cookieTransport()
{
    Run r = run({QStringLiteral("login"), QStringLiteral("--transport"), QStringLiteral("cookie"),
                 QStringLiteral("--auth-base"), url(QStringLiteral("/auth")),
                 QStringLiteral("--username"), QStringLiteral("alice"),
                 QStringLiteral("--password-stdin")},
                QByteArrayLiteral("wonderland\n"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.out.contains("Signed in as alice"));
    QCOMPARE(stat("cookie_logins"), 1);
    assertNoTokenIn(r);

    r = run({QStringLiteral("call"), url(QStringLiteral("/api/me"))});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QLatin1String("sub")).toString(),
             QStringLiteral("alice"));
    QCOMPARE(stat("cookie_refreshes"), 1); // restored through /auth/refresh
    QCOMPARE(stat("csrf_failures"), 0);

    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(stat("cookie_logouts"), 1);
    QCOMPARE(stat("live_families"), 0);
}

void tst_SignInCli::usageErrors()
{
    QCOMPARE(run({QStringLiteral("login"), QStringLiteral("--transport"), QStringLiteral("cookie")})
                     .exitCode,
             2);
    QCOMPARE(run({QStringLiteral("login"), QStringLiteral("--browser"), QStringLiteral("--device"),
                  QStringLiteral("--issuer"), url(), QStringLiteral("--client-id"),
                  QStringLiteral("demo")})
                     .exitCode,
             2);
    QCOMPARE(run({QStringLiteral("login"), QStringLiteral("--transport"), QStringLiteral("smoke")})
                     .exitCode,
             2);
    // Discovery that fails is reported before anything else happens.
    const Run r = run({QStringLiteral("login"), QStringLiteral("--device"),
                       QStringLiteral("--issuer"), url(QStringLiteral("/")),
                       QStringLiteral("--client-id"), QStringLiteral("demo")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("names the issuer"), r.err.constData());
}

QTEST_GUILESS_MAIN(tst_SignInCli)
#include "tst_signin_cli.moc"
