// SPDX-License-Identifier: MIT
// examples/console and examples/widgets as a developer would use them: the
// project is installed into a scratch prefix, each example is configured and
// built from it with find_package(SecureTokens) alone, and run against the mock
// server executable, with the real Secret Service (scripts/with-keyring).

#include "mockserverprocess.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs \a program to completion (bounded by \a timeoutMs).
Run run(const QString &program, const QStringList &args, int timeoutMs,
        const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(program, args);
    Run r;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        r.err = "timed out: " + program.toUtf8() + ' ' + args.join(u' ').toUtf8();
        return r;
    }
    r.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    r.out = process.readAllStandardOutput();
    r.err = process.readAllStandardError();
    return r;
}

} // namespace

class tst_Examples : public QObject
{
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_console;
    QString m_widgets;

    QString path(const QString &relative) const { return m_work.filePath(relative); }

    // Configures and builds examples/<name> against the installed prefix.
    QString build(const QString &name)
    {
        const QString source = QStringLiteral(SECURETOKENS_SOURCE_DIR "/examples/") + name;
        const QString binary = path(QStringLiteral("build-") + name);
        const Run configure
                = run(QStringLiteral(SECURETOKENS_CMAKE),
                      {QStringLiteral("-S"), source, QStringLiteral("-B"), binary,
                       QStringLiteral("-G"), QStringLiteral(SECURETOKENS_CMAKE_GENERATOR),
                       QStringLiteral("-DCMAKE_BUILD_TYPE=Release"),
                       QStringLiteral("-DCMAKE_PREFIX_PATH=") + path(QStringLiteral("prefix"))},
                      180000);
        if (configure.exitCode != 0) {
            qWarning().noquote() << configure.out << configure.err;
            return {};
        }
        const Run make = run(QStringLiteral(SECURETOKENS_CMAKE),
                             {QStringLiteral("--build"), binary}, 300000);
        if (make.exitCode != 0) {
            qWarning().noquote() << make.out << make.err;
            return {};
        }
        return binary + QStringLiteral("/securetokens-") + name + QStringLiteral("-example");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through scripts/with-keyring (ctest does)");
        QVERIFY(m_work.isValid());
        const Run install
                = run(QStringLiteral(SECURETOKENS_CMAKE),
                      {QStringLiteral("--install"), QStringLiteral(SECURETOKENS_BINARY_DIR),
                       QStringLiteral("--prefix"), path(QStringLiteral("prefix"))},
                      120000);
        QVERIFY2(install.exitCode == 0, install.err.constData());
        m_console = build(QStringLiteral("console"));
        QVERIFY(!m_console.isEmpty());
        m_widgets = build(QStringLiteral("widgets"));
        QVERIFY(!m_widgets.isEmpty());
    }

    // First run: nothing kept, so it signs in and leaves the session in the
    // keychain; second run: restored from there (a refresh, no password), then
    // signed out and revoked.
    void consoleSignsInOnceAndRestoresAfterwards()
    {
        MockServerProcess server;
        QVERIFY2(server.start({QStringLiteral("--admin")}), qPrintable(server.errorString()));
        const QString issuer = server.baseUrl().toString();

        const Run first = run(m_console, {issuer}, 60000);
        QVERIFY2(first.exitCode == 0, first.out + first.err);
        QVERIFY2(first.out.startsWith("signed in as alice\nGET /api/me: 200 "), first.out);
        QVERIFY2(first.out.contains("\"sub\":\"alice\""), first.out);
        QJsonObject stats = server.stats();
        QCOMPARE(stats.value(u"password_grants").toInt(), 1);
        QCOMPARE(stats.value(u"revocations").toInt(), 0);

        const Run second = run(m_console, {issuer, QStringLiteral("--sign-out")}, 60000);
        QVERIFY2(second.exitCode == 0, second.out + second.err);
        QVERIFY2(second.out.startsWith("restored from secure storage as alice\n"
                                       "GET /api/me: 200 "),
                 second.out);
        QVERIFY2(second.out.endsWith("\nsigned out\n"), second.out);
        stats = server.stats();
        QCOMPARE(stats.value(u"password_grants").toInt(), 1);
        QVERIFY(stats.value(u"refresh_grants").toInt() >= 1);
        QCOMPARE(stats.value(u"revocations").toInt(), 1);

        // Signed out: a third run has to sign in with the password again.
        const Run third = run(m_console, {issuer, QStringLiteral("--sign-out")}, 60000);
        QVERIFY2(third.out.startsWith("signed in as alice\n"), third.out + third.err);
        QCOMPARE(server.stats().value(u"password_grants").toInt(), 2);
        QVERIFY(server.stop());
    }

    // The window, offscreen: --auto clicks Sign in, GET /api/me and Sign out.
    void widgetsClicksThroughOffscreen()
    {
        MockServerProcess server;
        QVERIFY2(server.start({QStringLiteral("--admin")}), qPrintable(server.errorString()));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));

        const Run r = run(m_widgets, {server.baseUrl().toString(), QStringLiteral("--auto")}, 60000,
                          env);
        QVERIFY2(r.exitCode == 0, r.out + r.err);
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        const QList<QByteArray> expected {"state: Restoring",  "state: SignedOut",
                                          "state: SigningIn",  "state: SignedIn",
                                          "GET /api/me: 200 ", "state: SignedOut"};
        QVERIFY2(lines.size() == expected.size(), r.out);
        for (qsizetype i = 0; i < lines.size(); ++i)
            QVERIFY2(lines.at(i).startsWith(expected.at(i)), r.out);
        QVERIFY2(lines.at(4).contains("\"sub\":\"alice\""), r.out);
        const QJsonObject stats = server.stats();
        QCOMPARE(stats.value(u"password_grants").toInt(), 1);
        QCOMPARE(stats.value(u"revocations").toInt(), 1);
        QVERIFY(server.stop());
    }
};

QTEST_GUILESS_MAIN(tst_Examples)
#include "tst_examples.moc"
