// SPDX-License-Identifier: MIT
// `securetokens login --dpop-key pkcs11` (issue 17) in new processes, against
// the in-process mock server (which verifies every DPoP proof and binds the
// tokens to the key, cnf.jkt), with a real SoftHSM2 token in a temporary
// directory and the real Secret Service (scripts/with-keyring): the key pair
// is made on the token, later processes open it with the PIN given on stdin
// (--pin-stdin) and refresh, logout destroys it; a missing or wrong PIN is a
// clear error that loses nothing; the PIN appears in no output, no file under
// $HOME and not in the processes' argv or environment.

#include "cliprocess.h"
#include "softhsmtoken.h"

#include <mockauthserver.h>

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace SecureTokens;
using Mock::MockAuthServer;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWait = 60000;
using Run = CliProcess::Run;

QJsonObject jwtPayload(const QString &jwt)
{
    return QJsonDocument::fromJson(
                   QByteArray::fromBase64(jwt.section(QLatin1Char('.'), 1, 1).toLatin1(),
                                          QByteArray::Base64UrlEncoding
                                                  | QByteArray::OmitTrailingEquals))
            .object();
}

QByteArray readProc(qint64 pid, const char *what)
{
    QFile file(u"/proc/%1/%2"_s.arg(pid).arg(QLatin1String(what)));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class tst_CliDpopPkcs11 : public QObject
{
    Q_OBJECT

    SoftHsmToken m_token;
    QTemporaryDir m_home;
    std::unique_ptr<MockAuthServer> m_server;
    QString m_service;
    QByteArray m_output; // everything every CLI process printed in this test function

    static QByteArray pinLine() { return SoftHsmToken::pin + '\n'; }
    QString url(const QString &path) const { return m_server->baseUrl().toString() + path; }
    QString settingsPath() const { return m_home.filePath(u".config/securetokens/cli.ini"_s); }

    CliProcess cli() const
    {
        return CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home.path(), m_service);
    }

    Run run(const QStringList &args, const QByteArray &input = {})
    {
        QProcessEnvironment extra;
        // Every logging category at debug: the PIN scan reads all of it.
        extra.insert(u"QT_LOGGING_RULES"_s, u"*.debug=true"_s);
        const Run r = cli().run(args, input, extra, kWait);
        m_output += r.out + r.err;
        return r;
    }

    QStringList loginArgs(const QStringList &extra = {}) const
    {
        return QStringList {u"login"_s,  u"--issuer"_s,   url(QString()), u"--client-id"_s,
                            u"demo"_s,   u"--username"_s, u"alice"_s,     u"--password-stdin"_s,
                            u"--dpop"_s, u"required"_s}
        + extra;
    }

    QStringList pkcs11Args() const
    {
        return {u"--dpop-key"_s,  u"pkcs11"_s,         u"--pkcs11-module"_s,
                m_token.module(), u"--pkcs11-token"_s, SoftHsmToken::label};
    }

    //! Signs in with the key on the token; the password's line, then the PIN's.
    Run login()
    {
        return run(loginArgs(pkcs11Args() + QStringList {u"--pin-stdin"_s}),
                   "wonderland\n" + pinLine());
    }

    int keyObjects()
    {
        QString why;
        const int n = m_token.keyObjects(&why);
        if (n < 0)
            qWarning("%s", qPrintable(why));
        return n;
    }

    int stat(const char *name) const
    {
        return m_server->stats().value(QLatin1String(name)).toInt();
    }

    QJsonObject status()
    {
        const Run r = run({u"status"_s, u"--json"_s}); // never needs the PIN
        return r.exitCode == 0 ? QJsonDocument::fromJson(r.out).object() : QJsonObject();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through scripts/with-keyring (ctest does)");
        QVERIFY(m_home.isValid());
        QString why;
        // Sets SOFTHSM2_CONF, which the CLI processes inherit (not the PIN).
        QVERIFY2(m_token.create(&why), qPrintable(why));
    }

    void init()
    {
        Mock::ServerConfig config;
        config.admin = true;
        m_server = std::make_unique<MockAuthServer>(config);
        QVERIFY(m_server->listen());
        m_service = u"org.securetokens.test.clipkcs11.%1"_s.arg(
                QLatin1String(QTest::currentTestFunction()));
    }

    void cleanup()
    {
        // No PIN in anything a CLI process printed (all logging at debug),
        // nor in any file under $HOME (the settings file among them).
        QVERIFY2(!m_output.contains(SoftHsmToken::pin), "the PIN was printed");
        const QStringList hits = filesContaining(m_home.path(), SoftHsmToken::pin);
        QVERIFY2(hits.isEmpty(), qPrintable(hits.join(QLatin1Char(' '))));
        m_server.reset();
        m_output.clear();
        QString why;
        QVERIFY2(m_token.reset(&why), qPrintable(why)); // each case starts with an empty token
    }

    void loginCallRefreshLogout()
    {
        const int before = keyObjects();
        QVERIFY(before >= 0);
        Run r = login();
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("Signed in as alice"));
        QCOMPARE(keyObjects(), before + 2); // the public and the private key
        QCOMPARE(stat("password_grants"), 1);

        // Module and token are remembered for the account; no PIN there (cleanup()).
        {
            QSettings settings(settingsPath(), QSettings::IniFormat);
            settings.beginGroup(u"account-default"_s);
            QCOMPARE(settings.value(u"dpop_key_store"_s).toString(), u"pkcs11"_s);
            QCOMPARE(settings.value(u"pkcs11_module"_s).toString(), m_token.module());
            QCOMPARE(settings.value(u"pkcs11_token"_s).toString(), SoftHsmToken::label);
        }

        // status: the key's PKCS#11 URI and its jkt, without the PIN.
        const QJsonObject shown = status();
        QCOMPARE(shown.value(u"signed_in").toBool(), true);
        const QString uri = shown.value(u"dpop_key").toString();
        QVERIFY2(uri.startsWith(u"pkcs11:"_s) && uri.contains(u"token="_s + SoftHsmToken::label),
                 qPrintable(uri));
        const QString jkt = shown.value(u"dpop_jkt").toString();
        QCOMPARE(jkt.size(), 43);

        // A new process opens the key with the PIN from stdin, refreshes, and
        // calls the API with DPoP; the PIN is neither in its argv nor its environment.
        auto process = std::make_unique<QProcess>();
        process->setProcessEnvironment(cli().environment());
        process->start(QStringLiteral(SECURETOKENS_CLI_PATH),
                       {u"call"_s, u"--pin-stdin"_s, url(u"/api/echo"_s)});
        QVERIFY(process->waitForStarted());
        // Started is reported once exec() closed the start pipe, which can be
        // just before the kernel has set up the new argv and environment
        // (/proc reads them empty then): polled until they are there.
        QByteArray cmdline;
        QByteArray environment;
        QTRY_VERIFY2_WITH_TIMEOUT(
                !(cmdline = readProc(process->processId(), "cmdline")).isEmpty()
                        && !(environment = readProc(process->processId(), "environ")).isEmpty(),
                qPrintable(u"state %1, stderr: "_s.arg(int(process->state()))
                           + QString::fromLocal8Bit(process->readAllStandardError())),
                kWait);
        QVERIFY(cmdline.contains("--pin-stdin"));
        QVERIFY(environment.contains("SECURETOKENS_SERVICE="));
        QVERIFY(!cmdline.contains(SoftHsmToken::pin));
        QVERIFY(!environment.contains(SoftHsmToken::pin));
        process->write(pinLine());
        process->closeWriteChannel();
        QSignalSpy finished(process.get(), &QProcess::finished);
        // (It waits for the PIN on stdin: it cannot have finished yet.)
        QVERIFY(finished.wait(kWait));
        const QByteArray out = process->readAllStandardOutput();
        const QByteArray err = process->readAllStandardError();
        m_output += out + err;
        QVERIFY2(process->exitCode() == 0, err.constData());
        const QString authorization = QJsonDocument::fromJson(out)
                                              .object()
                                              .value(u"headers")
                                              .toObject()
                                              .value(u"Authorization")
                                              .toString();
        QVERIFY2(authorization.startsWith(u"DPoP "_s), qPrintable(authorization));
        // The access token is bound to the key status named (RFC 9449 §6.1).
        QCOMPARE(jwtPayload(authorization.mid(5)).value(u"cnf").toObject().value(u"jkt").toString(),
                 jkt);
        QCOMPARE(stat("refresh_grants"), 1);
        QCOMPARE(stat("dpop_rejected"), 0);

        // And again: another process, another refresh with the same key.
        r = run({u"call"_s, u"--pin-stdin"_s, url(u"/api/me"_s)}, pinLine());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(u"sub").toString(), u"alice"_s);
        QCOMPARE(stat("refresh_grants"), 2);
        QCOMPARE(stat("reuse_detected"), 0);
        QCOMPARE(keyObjects(), before + 2);

        r = run({u"logout"_s, u"--pin-stdin"_s}, pinLine());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(stat("revocations"), 1);
        QCOMPARE(keyObjects(), before); // the key pair went with the session
        QCOMPARE(run({u"status"_s}).exitCode, 77);
    }

    // A second login replaces the record and its key pair, asking the PIN once
    // (one line on stdin) for making the new key and destroying the old.
    void reloginAsksOnceAndLeavesOneKeyPair()
    {
        const int before = keyObjects();
        Run r = login();
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString firstJkt = status().value(u"dpop_jkt").toString();
        r = login();
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(keyObjects(), before + 2);
        const QString secondJkt = status().value(u"dpop_jkt").toString();
        QCOMPARE(secondJkt.size(), 43);
        QVERIFY(secondJkt != firstJkt);
        r = run({u"logout"_s, u"--pin-stdin"_s}, pinLine());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(keyObjects(), before);
    }

    // No PIN to be had (stdin is a pipe, no --pin-stdin): exit 2 before the
    // token or the server is touched; the session is still there afterwards.
    void missingPinLosesNothing()
    {
        const int before = keyObjects();
        Run r = login();
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const int grants = stat("refresh_grants");

        for (const QStringList &args :
             {QStringList {u"call"_s, url(u"/api/me"_s)}, QStringList {u"userinfo"_s},
              QStringList {u"logout"_s}, QStringList {u"accounts"_s, u"remove"_s, u"default"_s}}) {
            r = run(args);
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains("--pin-stdin") && r.err.contains("nothing was changed"),
                     r.err.constData());
        }
        // A login without a PIN makes nothing either.
        r = run(loginArgs(pkcs11Args()), QByteArrayLiteral("wonderland\n"));
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(stat("password_grants"), 1);

        QCOMPARE(stat("refresh_grants"), grants);
        QCOMPARE(stat("revocations"), 0);
        QCOMPARE(keyObjects(), before + 2);
        QCOMPARE(status().value(u"signed_in").toBool(), true);
        r = run({u"call"_s, u"--pin-stdin"_s, url(u"/api/me"_s)}, pinLine());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = run({u"accounts"_s, u"remove"_s, u"default"_s, u"--pin-stdin"_s}, pinLine());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(keyObjects(), before);
    }

    // A PIN the token refuses: exit 69 with the token's answer; the record,
    // the key pair and the server's refresh token are all kept.
    void wrongPinLosesNothing()
    {
        const int before = keyObjects();
        // At login: no key, no grant, nothing saved.
        Run r = run(loginArgs(pkcs11Args() + QStringList {u"--pin-stdin"_s}),
                    QByteArrayLiteral("wonderland\nnot-the-pin\n"));
        QCOMPARE(r.exitCode, 69);
        QVERIFY2(r.err.contains("refused the PIN"), r.err.constData());
        QCOMPARE(keyObjects(), before);
        QCOMPARE(stat("password_grants"), 0);
        QCOMPARE(run({u"status"_s}).exitCode, 77);

        r = login();
        QVERIFY2(r.exitCode == 0, r.err.constData());
        for (const QStringList &args :
             {QStringList {u"call"_s, u"--pin-stdin"_s, url(u"/api/me"_s)},
              QStringList {u"userinfo"_s, u"--pin-stdin"_s},
              QStringList {u"logout"_s, u"--pin-stdin"_s}}) {
            r = run(args, QByteArrayLiteral("not-the-pin\n"));
            QCOMPARE(r.exitCode, 69);
            QVERIFY2(r.err.contains("refused the PIN")
                             && r.err.contains("nothing stored was changed"),
                     r.err.constData());
        }
        QCOMPARE(stat("refresh_grants"), 0);
        QCOMPARE(stat("revocations"), 0);
        QCOMPARE(keyObjects(), before + 2);
        QCOMPARE(status().value(u"signed_in").toBool(), true);

        r = run({u"call"_s, u"--pin-stdin"_s, url(u"/api/me"_s)}, pinLine());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = run({u"logout"_s, u"--pin-stdin"_s}, pinLine());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(keyObjects(), before);
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("tokenArgs"); // with --dpop-key pkcs11, module and token
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("no module") << QStringList {u"--dpop-key"_s, u"pkcs11"_s,
                                                   u"--pkcs11-token"_s, SoftHsmToken::label}
                                   << false << QByteArray("--pkcs11-module PATH");
        QTest::newRow("no token") << QStringList {u"--dpop-key"_s, u"pkcs11"_s,
                                                  u"--pkcs11-module"_s, m_token.module()}
                                  << false << QByteArray("--pkcs11-token LABEL");
        QTest::newRow("unknown kind") << QStringList {u"--dpop-key"_s, u"tpm"_s} << false
                                      << QByteArray("--dpop-key must be software or pkcs11");
        QTest::newRow("module without pkcs11")
                << QStringList {u"--pkcs11-module"_s, m_token.module()} << false
                << QByteArray("--pkcs11-module needs --dpop-key pkcs11");
        QTest::newRow("pin without pkcs11")
                << QStringList() << false << QByteArray("--pin-stdin needs --dpop-key pkcs11");
        QTest::newRow("memory store") << QStringList {u"--store"_s, u"memory"_s} << true
                                      << QByteArray("--store keychain");
        QTest::newRow("dpop off") << QStringList {u"--dpop"_s, u"off"_s} << true
                                  << QByteArray("--dpop off");
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, tokenArgs);
        QFETCH(QByteArray, message);
        const int before = keyObjects();
        if (tokenArgs)
            args += pkcs11Args();
        const Run r
                = run(loginArgs(args + QStringList {u"--pin-stdin"_s}), "wonderland\n" + pinLine());
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), r.err.constData());
        QCOMPARE(stat("password_grants"), 0);
        QCOMPARE(keyObjects(), before);
    }

    // --dpop auto against a provider that does not advertise DPoP (no
    // discovery here): bearer tokens, no key on the token, and later commands
    // need no PIN.
    void noDpopProviderMakesNoKey()
    {
        const int before = keyObjects();
        Run r = run(QStringList {u"login"_s, u"--token-endpoint"_s, url(u"/oauth/token"_s),
                                 u"--client-id"_s, u"demo"_s, u"--username"_s, u"alice"_s,
                                 u"--password-stdin"_s, u"--pin-stdin"_s}
                            + pkcs11Args(),
                    "wonderland\n" + pinLine());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("no key was made on token"), r.out.constData());
        QCOMPARE(keyObjects(), before);
        QSettings settings(settingsPath(), QSettings::IniFormat);
        QCOMPARE(settings.value(u"account-default/dpop_key_store"_s).toString(), u"software"_s);
        r = run({u"call"_s, url(u"/api/me"_s)}); // no PIN asked for, none needed
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(run({u"logout"_s}).exitCode, 0);
    }

    // --pin-stdin for an account whose key is not on a token: refused, exit 2.
    void pinForSoftwareKeyIsUsageError()
    {
        Run r = run(loginArgs(), QByteArrayLiteral("wonderland\n"));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(status().value(u"dpop_jkt").toString().size(), 43); // a software key
        QVERIFY(!status().contains(u"dpop_key"));
        r = run({u"call"_s, u"--pin-stdin"_s, url(u"/api/me"_s)}, pinLine());
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("no DPoP key on a PKCS#11 token"), r.err.constData());
        QCOMPARE(stat("refresh_grants"), 0);
        QCOMPARE(run({u"logout"_s}).exitCode, 0);
    }
};

QTEST_GUILESS_MAIN(tst_CliDpopPkcs11)
#include "tst_cli_dpop_pkcs11.moc"
