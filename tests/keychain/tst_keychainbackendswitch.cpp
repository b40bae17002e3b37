// SPDX-License-Identifier: MIT
// Error::StorageBackendChanged with the real backends (issue 18, QtKeychain
// issues #99 and #242): gnome-keyring (the Secret Service) and kwalletd5 on
// ONE D-Bus session bus (scripts/with-kwallet --with-keyring), the choice made
// per process by the desktop environment as on a Linux machine where the user
// logs in to GNOME one day and to Plasma the next: QtKeychain 0.13 takes
// KWallet with XDG_CURRENT_DESKTOP=KDE KDE_SESSION_VERSION=5, the Secret
// Service without (it has no QTKEYCHAIN_BACKEND). The CLI runs as real child
// processes against the mock server on loopback; the password goes on stdin.

#include "cliprocess.h"
#include "mockserverfixture.h"
#include "storecalls.h"

#include <securetokens/keychainsecretstore.h>

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusInterface>
#include <QDBusReply>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace SecureTokens;

namespace {

constexpr int kWait = 20000;
using Run = CliProcess::Run;
const QString kAccount = QStringLiteral("default"); // the CLI's account
const QString kWalletService = QStringLiteral("org.kde.kwalletd5");
const QString kAppId = QStringLiteral("tst_keychainbackendswitch");

enum class Desktop { Gnome, Plasma };

QString processName(uint pid)
{
    QFile comm(QStringLiteral("/proc/%1/comm").arg(pid));
    return comm.open(QIODevice::ReadOnly) ? QString::fromLatin1(comm.readAll().trimmed())
                                          : QString();
}

} // namespace

class tst_KeychainBackendSwitch : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_home;
    std::unique_ptr<Mock::MockAuthServer> m_server;
    QString m_service;

    QString url(const QString &path) const { return m_server->baseUrl().toString() + path; }
    Run run(Desktop desktop, const QStringList &args, const QByteArray &input = {})
    {
        QProcessEnvironment extra;
        // The backend note lives in GenericDataLocation: one per test.
        extra.insert(QStringLiteral("XDG_DATA_HOME"), m_home->filePath(QStringLiteral("data")));
        if (desktop == Desktop::Plasma) {
            extra.insert(QStringLiteral("XDG_CURRENT_DESKTOP"), QStringLiteral("KDE"));
            extra.insert(QStringLiteral("KDE_SESSION_VERSION"), QStringLiteral("5"));
            extra.insert(QStringLiteral("KDE_FULL_SESSION"), QStringLiteral("true"));
        }
        return CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home->path(), m_service)
                .run(args, input, extra, kWait);
    }
    Run login(Desktop desktop)
    {
        return run(desktop,
                   {QStringLiteral("login"), QStringLiteral("--token-endpoint"),
                    url(QStringLiteral("/oauth/token")), QStringLiteral("--revocation-endpoint"),
                    url(QStringLiteral("/oauth/revoke")), QStringLiteral("--client-id"),
                    QStringLiteral("demo"), QStringLiteral("--username"), QStringLiteral("alice"),
                    QStringLiteral("--password-stdin")},
                   QByteArrayLiteral("wonderland\n"));
    }
    Run call(Desktop desktop)
    {
        return run(desktop, {QStringLiteral("call"), url(QStringLiteral("/api/me"))});
    }
    QJsonObject status(Desktop desktop, int *exitCode)
    {
        const Run r = run(desktop, {QStringLiteral("status"), QStringLiteral("--json")});
        *exitCode = r.exitCode;
        return QJsonDocument::fromJson(r.out.trimmed()).object();
    }
    int stat(const char *name) const
    {
        return m_server->stats().value(QLatin1String(name)).toInt();
    }
    //! The notes of which backend holds a record (one file per account).
    QStringList notes() const
    {
        QDir dir(m_home->filePath(QStringLiteral("data/securetokens/backends")));
        QStringList out;
        for (const QString &name : dir.entryList(QDir::Files)) {
            QFile file(dir.filePath(name));
            out.append(file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll())
                                                      : QStringLiteral("(unreadable)"));
        }
        return out;
    }
    //! Whether the Secret Service holds the CLI's record (read in this process, no KDE variables).
    bool inSecretService()
    {
        KeychainSecretStore store(m_service);
        if (store.backendName() != QLatin1String("secret-service"))
            return false;
        auto outcome = StoreCalls::startRead(store, kAccount, this);
        return QTest::qWaitFor([&] { return outcome->calls > 0; }, kWait) && outcome->result.ok()
                && !outcome->secret.isEmpty();
    }
    //! The folders of the open kdewallet that name this test's service (QtKeychain's folder).
    QStringList walletFolders()
    {
        QDBusInterface wallet(kWalletService, QStringLiteral("/modules/kwalletd5"),
                              QStringLiteral("org.kde.KWallet"));
        const QDBusReply<int> handle = wallet.call(
                QStringLiteral("open"), QStringLiteral("kdewallet"), qlonglong(0), kAppId);
        if (!handle.isValid() || handle.value() < 0)
            return {QStringLiteral("(kdewallet not open)")};
        const QDBusReply<QStringList> folders
                = wallet.call(QStringLiteral("folderList"), handle.value(), kAppId);
        QStringList ours;
        for (const QString &folder : folders.value()) {
            if (folder.contains(m_service))
                ours.append(folder);
        }
        return ours;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("SECURETOKENS_TEST_KEYRING")
                         && qEnvironmentVariableIsSet("SECURETOKENS_TEST_KWALLET"),
                 "run through scripts/with-kwallet --with-keyring (ctest does)");
        // Both daemons on this one bus, and the Secret Service is gnome-keyring's
        // (kwalletd5's own Secret Service API is off).
        QDBusConnectionInterface *bus = QDBusConnection::sessionBus().interface();
        QVERIFY(bus);
        QVERIFY(bus->isServiceRegistered(kWalletService));
        QVERIFY(bus->isServiceRegistered(QStringLiteral("org.freedesktop.secrets")));
        const QDBusReply<uint> pid = bus->servicePid(QStringLiteral("org.freedesktop.secrets"));
        QVERIFY(pid.isValid());
        QCOMPARE(processName(pid.value()), QStringLiteral("gnome-keyring-d"));
        // This process is the GNOME side.
        QVERIFY(qEnvironmentVariableIsEmpty("XDG_CURRENT_DESKTOP"));
        QCOMPARE(KeychainSecretStore(QStringLiteral("probe")).backendName(),
                 QStringLiteral("secret-service"));
    }
    void init()
    {
        m_home = std::make_unique<QTemporaryDir>();
        QVERIFY(m_home->isValid());
        m_server = MockTest::startMockServer();
        m_service = QStringLiteral("org.securetokens.test.backendswitch.%1")
                            .arg(QLatin1String(QTest::currentTestFunction()));
    }
    void cleanup() { m_server.reset(); }

    void secretServiceThenKWallet();
    void kwalletThenSecretService();
};

void tst_KeychainBackendSwitch::secretServiceThenKWallet()
{
    Run r = login(Desktop::Gnome);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    int code = -1;
    QJsonObject s = status(Desktop::Gnome, &code);
    QCOMPARE(code, 0);
    QCOMPARE(s.value(QLatin1String("storage")).toString(), QStringLiteral("secret-service"));
    QCOMPARE(notes(), QStringList {QStringLiteral("secret-service\n")});
    QVERIFY(inSecretService());
    QVERIFY(walletFolders().isEmpty());
    const int grants = stat("refresh_grants");

    // The next start is under Plasma: QtKeychain uses KWallet, which has nothing.
    r = call(Desktop::Plasma);
    QCOMPARE(r.exitCode, 69); // README: the stored session is in another backend
    QVERIFY2(r.err.contains("secret-service") && r.err.contains("kwallet"), r.err.constData());
    QVERIFY2(!r.err.toLower().contains("not signed in"), r.err.constData());
    s = status(Desktop::Plasma, &code);
    QCOMPARE(s.value(QLatin1String("storage")).toString(), QStringLiteral("kwallet"));
    QCOMPARE(code, 69);
    QCOMPARE(s.value(QLatin1String("signed_in")).toBool(), false);
    QCOMPARE(s.value(QLatin1String("error")).toString(), QStringLiteral("StorageBackendChanged"));
    QCOMPARE(s.value(QLatin1String("stored_in")).toString(), QStringLiteral("secret-service"));
    // Kept: the record in the Secret Service, the note; nothing written to
    // KWallet; no grant made.
    QVERIFY(inSecretService());
    QCOMPARE(notes(), QStringList {QStringLiteral("secret-service\n")});
    QVERIFY(walletFolders().isEmpty());
    QCOMPARE(stat("refresh_grants"), grants);
    QCOMPARE(stat("protected_requests"), 0);

    // Back under GNOME: restored (one refresh), the API answers.
    r = call(Desktop::Gnome);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(stat("refresh_grants"), grants + 1);
    QCOMPARE(status(Desktop::Gnome, &code).value(QLatin1String("signed_in")).toBool(), true);
    QCOMPARE(code, 0);
    r = run(Desktop::Gnome, {QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(!inSecretService());
    QVERIFY(notes().isEmpty());
}

void tst_KeychainBackendSwitch::kwalletThenSecretService()
{
    // The other way round: signed in under Plasma, so the record is in KWallet.
    Run r = login(Desktop::Plasma);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    int code = -1;
    QCOMPARE(status(Desktop::Plasma, &code).value(QLatin1String("storage")).toString(),
             QStringLiteral("kwallet"));
    QCOMPARE(code, 0);
    QCOMPARE(notes(), QStringList {QStringLiteral("kwallet\n")});
    QCOMPARE(walletFolders().size(), 1); // QtKeychain's folder for the service
    QVERIFY(!inSecretService());
    const int grants = stat("refresh_grants");

    r = call(Desktop::Gnome);
    QCOMPARE(r.exitCode, 69);
    QVERIFY2(r.err.contains("kwallet"), r.err.constData());
    const QJsonObject s = status(Desktop::Gnome, &code);
    QCOMPARE(code, 69);
    QCOMPARE(s.value(QLatin1String("stored_in")).toString(), QStringLiteral("kwallet"));
    QCOMPARE(stat("refresh_grants"), grants);
    QCOMPARE(walletFolders().size(), 1);
    QVERIFY(!inSecretService());
    QCOMPARE(notes(), QStringList {QStringLiteral("kwallet\n")});

    r = call(Desktop::Plasma);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(stat("refresh_grants"), grants + 1);
    r = run(Desktop::Plasma, {QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(notes().isEmpty());
}

QTEST_GUILESS_MAIN(tst_KeychainBackendSwitch)
#include "tst_keychainbackendswitch.moc"
