// SPDX-License-Identifier: MIT
// `securetokens` in new processes: login, status, call, logout, exit codes, and
// a scan of every file it could have written for tokens.

#include "session/accountrecord_p.h"
#include "cliprocess.h"
#include "scriptedhttpserver.h"

#include <mockauthserver.h>
#include <securetokens/keychainsecretstore.h>
#include <securetokens/version.h>

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace SecureTokens;
using Mock::MockAuthServer;

namespace {

constexpr int kWait = 60000;

using Run = CliProcess::Run;

QStringList stringsOf(const QJsonValue &value)
{
    QStringList out;
    for (const QJsonValue &v : value.toArray())
        out.append(v.toString());
    return out;
}

} // namespace

class tst_Cli : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home;
    std::unique_ptr<MockAuthServer> m_server;
    QString m_service;

    QString url(const QString &path) const { return m_server->baseUrl().toString() + path; }

    // Everything every CLI process printed in this test function.
    QByteArray m_output;

    Run run(const QStringList &args, const QByteArray &input = {}, QProcessEnvironment extra = {})
    {
        // Every logging category at debug: the leak scan reads all of it.
        extra.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.debug=true"));
        const Run r = CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home.path(), m_service)
                              .run(args, input, extra, kWait);
        m_output += r.out + r.err;
        return r;
    }

    Run login(const QByteArray &password = QByteArrayLiteral("wonderland\n"))
    {
        return run({QStringLiteral("login"), QStringLiteral("--token-endpoint"),
                    url(QStringLiteral("/oauth/token")), QStringLiteral("--revocation-endpoint"),
                    url(QStringLiteral("/oauth/revoke")), QStringLiteral("--client-id"),
                    QStringLiteral("demo"), QStringLiteral("--username"), QStringLiteral("alice"),
                    QStringLiteral("--password-stdin")},
                   password);
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
        QVERIFY(m_home.isValid());
    }

    void init()
    {
        Mock::ServerConfig config;
        config.admin = true;
        m_server = std::make_unique<MockAuthServer>(config);
        QVERIFY(m_server->listen());
        m_service = QStringLiteral("org.securetokens.test.%1")
                            .arg(QLatin1String(QTest::currentTestFunction()));
    }

    void cleanup()
    {
        m_server.reset();
        m_output.clear();
    }

    void loginStatusCallLogoutAcrossProcesses()
    {
        Run r = login();
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("Signed in as alice"));

        r = run({QStringLiteral("status"), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject status = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(status.value(QLatin1String("signed_in")).toBool(), true);
        QCOMPARE(status.value(QLatin1String("user")).toString(), QStringLiteral("alice"));
        QCOMPARE(status.value(QLatin1String("storage")).toString(),
                 QStringLiteral("secret-service"));

        r = run({QStringLiteral("call"), url(QStringLiteral("/api/me"))});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QLatin1String("sub")).toString(),
                 QStringLiteral("alice"));
        QCOMPARE(stat("refresh_grants"), 1); // restored in the new process
        QCOMPARE(stat("reuse_detected"), 0);

        // Every token issued so far is on no file under $HOME or /tmp; the live
        // refresh token is in the keyring (whose files are encrypted).
        const QJsonObject tokens = m_server->tokens();
        const QStringList access = stringsOf(tokens.value(QLatin1String("access_tokens")));
        const QStringList refresh = stringsOf(tokens.value(QLatin1String("refresh_tokens")));
        QCOMPARE(access.size(), 2);
        QCOMPARE(refresh.size(), 1);
        for (const QString &token : access + refresh) {
            for (const QString &root : {m_home.path(), QStringLiteral("/tmp")}) {
                const QStringList hits = filesContaining(root, token.toLatin1());
                QVERIFY2(hits.isEmpty(), qPrintable(hits.join(QLatin1Char(' '))));
            }
        }
        KeychainSecretStore keychain(m_service);
        bool done = false;
        bool inKeyring = false;
        keychain.read(QStringLiteral("default"), this,
                      [&](SecretStore::Result result, SecretBytes secret) {
                          // The refresh token inside the account's secure record.
                          AccountRecord record;
                          inKeyring = result.ok()
                                  && !decodeAccountRecord(secret.view(), &record).isError()
                                  && record.refreshToken.equals(refresh.first().toLatin1());
                          done = true;
                      });
        QTRY_VERIFY_WITH_TIMEOUT(done, kWait);
        QVERIFY(inKeyring);

        r = run({QStringLiteral("logout")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(stat("revocations"), 1);

        // Leak scan of every line printed with all logging at debug (the
        // output is not empty: Qt's own debug categories speak too).
        QVERIFY(m_output.contains("securetokens.session"));
        for (const QString &token : access + refresh) {
            QVERIFY2(!m_output.contains(token.toLatin1()), "a token was printed");
            // Not even a recognisable part of one (a JWT's payload or signature).
            for (const QString &part : token.split(QLatin1Char('.')).mid(1))
                QVERIFY2(part.size() < 16 || !m_output.contains(part.toLatin1()),
                         "part of a token was printed");
        }
        // After sign-out nothing is left under $HOME or /tmp either (the
        // settings file has been cleaned of the account).
        for (const QString &token : access + refresh) {
            for (const QString &root : {m_home.path(), QStringLiteral("/tmp")})
                QVERIFY(filesContaining(root, token.toLatin1()).isEmpty());
        }
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
        QCOMPARE(run({QStringLiteral("call"), url(QStringLiteral("/api/me"))}).exitCode, 77);
    }

    // The identity and the granted scope survive the process: `userinfo` asks
    // the provider (OpenID Connect Core §5.3); `status --json` reads the
    // claims back from the secure record, also with the server gone.
    void identityAcrossProcesses()
    {
        Run r = run({QStringLiteral("login"), QStringLiteral("--issuer"), url(QString()),
                     QStringLiteral("--client-id"), QStringLiteral("demo"),
                     QStringLiteral("--scope"), QStringLiteral("openid profile email"),
                     QStringLiteral("--username"), QStringLiteral("alice"),
                     QStringLiteral("--password-stdin")},
                    QByteArrayLiteral("wonderland\n"));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(stat("userinfo_requests"), 1); // the one a sign-in makes by itself

        r = run({QStringLiteral("userinfo")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject info = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(info.value(QLatin1String("sub")).toString(), QStringLiteral("alice"));
        QCOMPARE(info.value(QLatin1String("email")).toString(),
                 QStringLiteral("alice@example.test"));
        QCOMPARE(stat("userinfo_requests"), 2);

        // A refused userinfo request is a plain failure (1), not "transient" (75).
        m_server->setFaults(QJsonObject {{QStringLiteral("userinfo_status"), 403}});
        r = run({QStringLiteral("userinfo")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("refused the access token"), r.err.constData());

        // No server at all: status still knows who is signed in.
        m_server.reset();
        r = run({QStringLiteral("status"), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject status = QJsonDocument::fromJson(r.out).object();
        const QJsonObject claims = status.value(QLatin1String("claims")).toObject();
        QCOMPARE(claims.value(QLatin1String("sub")).toString(), QStringLiteral("alice"));
        QCOMPARE(claims.value(QLatin1String("name")).toString(), QStringLiteral("Alice"));
        // Added by userinfo at login (the ID token does not carry it).
        QCOMPARE(claims.value(QLatin1String("preferred_username")).toString(),
                 QStringLiteral("alice"));
        QVERIFY(!claims.contains(QLatin1String("nonce")));
        QCOMPARE(status.value(QLatin1String("scope")).toString(),
                 QStringLiteral("openid profile email"));
        // userinfo needs the server: the session is kept (75).
        QCOMPARE(run({QStringLiteral("userinfo")}).exitCode, 75);
    }

    // `logout --everywhere` (RP-Initiated Logout 1.0) in a new process: the
    // ID token from the secure record as id_token_hint, the browser sent to
    // the provider and back to the CLI's listener; the URL the terminal shows
    // leaves the ID token out.
    void logoutEverywhere()
    {
        Run r = run({QStringLiteral("login"), QStringLiteral("--issuer"), url(QString()),
                     QStringLiteral("--client-id"), QStringLiteral("demo"),
                     QStringLiteral("--scope"), QStringLiteral("openid profile"),
                     QStringLiteral("--username"), QStringLiteral("alice"),
                     QStringLiteral("--password-stdin")},
                    QByteArrayLiteral("wonderland\n"));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        // A browser that follows the provider's redirect back to the listener.
        const QString browser = m_home.filePath(QStringLiteral("logout-browser.sh"));
        const QString log = m_home.filePath(QStringLiteral("logout-browser.log"));
        {
            QFile script(browser);
            QVERIFY(script.open(QIODevice::WriteOnly));
            script.write("#!/bin/sh\ncurl -sS -L --max-time 20 -w '\\nHTTP %{http_code}\\n' "
                         "\"$1\" > \"$LOGOUT_LOG\" 2>&1\n");
        }
        QVERIFY(QFile::setPermissions(browser,
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        QProcessEnvironment env;
        env.insert(QStringLiteral("BROWSER"), browser);
        env.insert(QStringLiteral("LOGOUT_LOG"), log);
        r = run({QStringLiteral("logout"), QStringLiteral("--everywhere")}, {}, env);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("signed out, also at the provider"), r.out.constData());
        QCOMPARE(stat("revocations"), 1);
        QCOMPARE(stat("end_sessions"), 1);
        QVERIFY2(r.err.contains("post_logout_redirect_uri"), r.err.constData());
        QVERIFY2(!r.err.contains("id_token_hint"), r.err.constData());
        QFile page(log);
        QVERIFY(page.open(QIODevice::ReadOnly));
        QVERIFY2(page.readAll().contains("HTTP 200"), qPrintable(log));
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
    }

    void callAbsorbsA401AndRunsInParallel()
    {
        QCOMPARE(login().exitCode, 0);
        m_server->setFaults(QJsonObject {{QStringLiteral("reject_access_tokens"), 1}});
        Run r = run({QStringLiteral("call"), url(QStringLiteral("/api/items"))});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(stat("unauthorized"), 1);
        QCOMPARE(stat("refresh_grants"), 2); // restore + the 401's refresh

        r = run({QStringLiteral("call"), QStringLiteral("--parallel"),
                 url(QStringLiteral("/api/me")), url(QStringLiteral("/api/items")),
                 url(QStringLiteral("/api/echo"))});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(r.out.count("\n"), 3);
        QVERIFY(r.out.contains("\"Bearer ")); // the echo saw the header
        QCOMPARE(stat("reuse_detected"), 0);
    }

    void exitCodes()
    {
        QCOMPARE(run({QStringLiteral("call"), url(QStringLiteral("/api/me"))}).exitCode, 77);
        QCOMPARE(login(QByteArrayLiteral("wrong\n")).exitCode, 77);
        QCOMPARE(run({QStringLiteral("login"), QStringLiteral("--token-endpoint"),
                      url(QStringLiteral("/oauth/token")), QStringLiteral("--username"),
                      QStringLiteral("alice")})
                         .exitCode,
                 2);
        // A password on the command line is not an option.
        QCOMPARE(run({QStringLiteral("login"), QStringLiteral("--password"),
                      QStringLiteral("wonderland")})
                         .exitCode,
                 2);
        QCOMPARE(run({QStringLiteral("frobnicate")}).exitCode, 2);

        QCOMPARE(login().exitCode, 0);
        QCOMPARE(run({QStringLiteral("call"), url(QStringLiteral("/api/nothing-here"))}).exitCode,
                 22);

        // RFC 9470 step-up and RFC 6750 §3.1 insufficient scope: 76, with what
        // the API asked for on stderr, no refresh for it, the session kept.
        const int refreshes = stat("refresh_grants");
        m_server->setFaults(QJsonDocument::fromJson("{\"step_up\":{\"acr_values\":\"urn:mfa\","
                                                    "\"max_age\":60}}")
                                    .object());
        Run stepUp = run({QStringLiteral("call"), url(QStringLiteral("/api/me"))});
        QVERIFY2(stepUp.exitCode == 76, stepUp.err.constData());
        QVERIFY2(stepUp.err.contains("acr_values=\"urn:mfa\" max_age=60"), stepUp.err.constData());
        QCOMPARE(stat("refresh_grants"), refreshes + 1); // the new process's restore only
        m_server->clearFaults();
        m_server->setFaults(
                QJsonObject {{QStringLiteral("require_scope"), QStringLiteral("items:write")}});
        Run scope = run({QStringLiteral("call"), url(QStringLiteral("/api/me"))});
        QVERIFY2(scope.exitCode == 76, scope.err.constData());
        QVERIFY2(scope.err.contains("scope=\"items:write\""), scope.err.constData());
        m_server->clearFaults();
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 0);

        // Transient: the token endpoint fails once; the request fails promptly
        // (the session backs off instead of hammering the server) with 75.
        m_server->setFaults(
                QJsonDocument::fromJson("{\"refresh_errors\":[{\"status\":500}]}").object());
        QCOMPARE(run({QStringLiteral("call"), url(QStringLiteral("/api/me"))}).exitCode, 75);
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 0); // session kept
        QCOMPARE(run({QStringLiteral("call"), url(QStringLiteral("/api/me"))}).exitCode, 0);

        // README: 75 is network, timeout, 5xx or 429 only. A token endpoint
        // that refuses the refresh as a bad request (400 invalid_request) is
        // none of them: exit 1, and the session is kept (not invalid_grant).
        // (Twice: restore keeps a session whose refresh failed this way, and
        // the request's own refresh meets the second refusal.)
        m_server->setFaults(
                QJsonDocument::fromJson("{\"refresh_errors\":[{\"status\":400,\"error\":"
                                        "\"invalid_request\"},{\"status\":400,\"error\":"
                                        "\"invalid_request\"}]}")
                        .object());
        Run refused = run({QStringLiteral("call"), url(QStringLiteral("/api/me"))});
        QVERIFY2(refused.exitCode == 1,
                 qPrintable(QString::number(refused.exitCode) + QLatin1Char(' ')
                            + QString::fromUtf8(refused.err.right(600))));
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 0);
        QCOMPARE(run({QStringLiteral("call"), url(QStringLiteral("/api/me"))}).exitCode, 0);

        // Discovery metadata answering 403 is no transient failure either (exit 1).
        ScriptedHttpServer forbidden;
        QVERIFY(forbidden.listen());
        forbidden.enqueue(ScriptedHttpServer::json(403, "{\"error\":\"forbidden\"}"));
        refused = run({QStringLiteral("login"), QStringLiteral("--device"),
                       QStringLiteral("--issuer"), forbidden.url(QString()).toString(),
                       QStringLiteral("--client-id"), QStringLiteral("demo"),
                       QStringLiteral("--account"), QStringLiteral("other")});
        QVERIFY2(refused.exitCode == 1,
                 qPrintable(QString::number(refused.exitCode) + QLatin1Char(' ')
                            + QString::fromUtf8(refused.err.right(600))));
        QVERIFY2(refused.err.contains("HTTP 403"), refused.err.constData());

        // An API server that never answers ends the call (transient), not hangs it.
        ScriptedHttpServer silent;
        QVERIFY(silent.listen());
        silent.enqueue({QByteArray(), true});
        QProcessEnvironment shortTimeout;
        shortTimeout.insert(QStringLiteral("SECURETOKENS_TIMEOUT"), QStringLiteral("1"));
        QCOMPARE(run({QStringLiteral("call"), silent.url(QStringLiteral("/slow")).toString()}, {},
                     shortTimeout)
                         .exitCode,
                 75);
        QCOMPARE(silent.requestCount(), 1);

        // No secure storage at all.
        QProcessEnvironment noBus;
        noBus.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"),
                     QStringLiteral("unix:path=/nonexistent/bus"));
        QCOMPARE(run({QStringLiteral("status")}, {}, noBus).exitCode, 69);
        QCOMPARE(run({QStringLiteral("call"), url(QStringLiteral("/api/me"))}, {}, noBus).exitCode,
                 69);
    }

    // Issue 19 item 7: a gateway's refusal in front of the token endpoint
    // neither ends the session nor deletes the stored token.
    void gatewayRefusalKeepsTheStoredSession()
    {
        QCOMPARE(login().exitCode, 0);
        const QString me = url(QStringLiteral("/api/me"));
        auto fault = [this](const char *json) {
            m_server->setFaults(QJsonDocument::fromJson(json).object());
        };
        // Non-JSON 401 / 403 (an HTML page): transient, 75; the session is kept.
        fault(R"({"refresh_errors":[{"status":401,"body":"html"}]})");
        Run r = run({QStringLiteral("call"), me});
        QVERIFY2(r.exitCode == 75, r.err.constData());
        QVERIFY2(run({QStringLiteral("status")}).exitCode == 0, "the stored token survives");
        fault(R"({"refresh_errors":[{"status":403,"body":"html"}]})");
        QCOMPARE(run({QStringLiteral("call"), me}).exitCode, 75);
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 0);
        // JSON, but no RFC 6749 "error": the same.
        fault(R"({"refresh_errors":[{"status":401,"body":"json"}]})");
        QCOMPARE(run({QStringLiteral("call"), me}).exitCode, 75);
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 0);
        // A 400 without an error code: retrying cannot mend it, a plain failure (1);
        // the session is kept all the same. (Twice: restore keeps the session,
        // the request's own refresh meets the second.)
        fault(R"({"refresh_errors":[{"status":400,"body":"json"},{"status":400,"body":"json"}]})");
        QCOMPARE(run({QStringLiteral("call"), me}).exitCode, 1);
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 0);
        // The stored refresh token still works: nothing was consumed or lost.
        r = run({QStringLiteral("call"), me});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(stat("faults_applied"), 5);
        QCOMPARE(stat("reuse_detected"), 0);
        // Only the server's own JSON verdict ends the session.
        fault(R"({"refresh_errors":[{"error":"invalid_grant"}]})");
        QCOMPARE(run({QStringLiteral("call"), me}).exitCode, 77);
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
    }

    // The refresh lock's directory is not private (security review, finding 4):
    // its own exit code, not 75 ("try again") forever.
    void unsafeLockDirectoryHasItsOwnExitCode()
    {
        QCOMPARE(login().exitCode, 0);
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString dir = tmp.filePath(QStringLiteral("securetokens-%1").arg(::geteuid()));
        QVERIFY(QDir().mkdir(dir));
        QVERIFY(QFile::setPermissions(dir, QFileDevice::Permissions(0x7777))); // 0777
        QProcessEnvironment noRuntimeDir;
        noRuntimeDir.insert(QStringLiteral("TMPDIR"), tmp.path());
        noRuntimeDir.insert(QStringLiteral("XDG_RUNTIME_DIR"), QString());
        const Run r
                = run({QStringLiteral("call"), url(QStringLiteral("/api/me"))}, {}, noRuntimeDir);
        QVERIFY2(r.exitCode == 73, r.err.constData());
        QVERIFY2(r.err.contains(dir.toUtf8()), r.err.constData());
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 0); // session kept
    }

    // cli.ini holds the user's e-mail address: owner-only, also when an older
    // release left it 0644 (security review, finding 11).
    void settingsFileIsOwnerOnly()
    {
        const QString path = m_home.filePath(QStringLiteral(".config/securetokens/cli.ini"));
        QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
        QFile old(path);
        QVERIFY(old.open(QIODevice::WriteOnly | QIODevice::Truncate));
        old.close();
        QVERIFY(QFile::setPermissions(path, QFileDevice::Permissions(0x6644))); // 0644
        QCOMPARE(login().exitCode, 0);
        struct stat st = {};
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, mode_t(0600));
        QVERIFY(QFileInfo(path).size() > 0);
        // A new file, too.
        QVERIFY(QFile::remove(path));
        QCOMPARE(login().exitCode, 0);
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, mode_t(0600));
    }

    void logoutSaysWhatTheServerWasNotTold()
    {
        // A server that demands client authentication for revocation (RFC
        // 7009 §2.1) refuses a public client: its own message, not "malformed".
        Mock::ServerConfig config;
        config.admin = true;
        config.revocationAuth = Mock::ServerConfig::RevocationAuth::Required;
        m_server = std::make_unique<MockAuthServer>(config);
        QVERIFY(m_server->listen());
        QCOMPARE(login().exitCode, 0);
        Run r = run({QStringLiteral("logout")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("requires client authentication"), r.err.constData());
        QVERIFY2(!r.err.contains("malformed"), r.err.constData());
        QVERIFY2(r.out.contains("signed out on this device only"), r.out.constData());
        QCOMPARE(stat("revocations"), 0);
        QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);

        // No revocation endpoint at all: the sign-out is local, and says so.
        QCOMPARE(run({QStringLiteral("login"), QStringLiteral("--token-endpoint"),
                      url(QStringLiteral("/oauth/token")), QStringLiteral("--client-id"),
                      QStringLiteral("demo"), QStringLiteral("--username"), QStringLiteral("alice"),
                      QStringLiteral("--password-stdin")},
                     QByteArrayLiteral("wonderland\n"))
                         .exitCode,
                 0);
        r = run({QStringLiteral("logout")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("the server was not told"), r.out.constData());
        QCOMPARE(stat("revocations"), 0);
    }

    void helpDocumentsExitCodes()
    {
        const Run r = run({QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        for (const char *code : {"22", "69", "73", "75", "76", "77"})
            QVERIFY(r.out.contains(code));
        QVERIFY(r.out.contains("never from the command line"));
    }

    // The version comes from project(SecureTokens VERSION ...) through
    // <securetokens/version.h>; SECURETOKENS_PROJECT_VERSION is CMake's own.
    void versionIsTheProjectVersion()
    {
        const Run r = run({QStringLiteral("--version")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QByteArray("securetokens " SECURETOKENS_PROJECT_VERSION "\n"));
        QCOMPARE(QByteArray(SECURETOKENS_VERSION_STR), QByteArray(SECURETOKENS_PROJECT_VERSION));
    }
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
