// SPDX-License-Identifier: MIT
// The Secret Service daemon starts after the app: the session bus is up but
// nothing owns org.freedesktop.secrets yet (a login where gnome-keyring comes
// up late, a headless session started before the keyring). The first call must
// fail fast with Unavailable, without waiting for the timeout; once the
// daemon is there, the very same process must succeed without a restart.
//
// The test runs its own bus (dbus-daemon with a configuration that has no
// service directories, so nothing can be D-Bus-activated behind our back) and
// starts gnome-keyring-daemon itself, as scripts/with-keyring does.

#include <securetokens/keychainsecretstore.h>

#include "storecalls.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace SecureTokens;
using namespace StoreCalls;
using namespace std::chrono_literals;
using Status = SecretStore::Status;

namespace {

// A session bus without <standard_session_servicedirs/>: no activation.
const char busConfig[] = "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
                         "Configuration 1.0//EN\"\n"
                         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                         "<busconfig>\n"
                         "  <type>session</type>\n"
                         "  <listen>unix:dir=%1</listen>\n"
                         "  <auth>EXTERNAL</auth>\n"
                         "  <policy context=\"default\">\n"
                         "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                         "    <allow eavesdrop=\"true\"/>\n"
                         "    <allow own=\"*\"/>\n"
                         "  </policy>\n"
                         "</busconfig>\n";

const QString secretsName = QStringLiteral("org.freedesktop.secrets");

} // namespace

class tst_KeychainLateDaemon : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void withoutDaemonCallsFailFast();
    void afterDaemonStartsCallsSucceed();

private:
    void stop(QProcess &process);

    QTemporaryDir m_dir;
    QProcess m_bus;
    QProcess m_keyring;
    KeychainSecretStore m_store {QStringLiteral("securetokens-test-late")};
};

void tst_KeychainLateDaemon::initTestCase()
{
    for (const char *tool : {"dbus-daemon", "gnome-keyring-daemon"})
        QVERIFY2(!QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty(),
                 "run scripts/install-deps");
    QVERIFY(m_dir.isValid());
    for (const char *sub : {"home", "data", "config", "cache", "run", "bus"})
        QVERIFY(QDir(m_dir.path()).mkpath(QLatin1String(sub)));
    QVERIFY(QFile::setPermissions(m_dir.filePath(QStringLiteral("run")),
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                          | QFileDevice::ExeOwner));
    QFile config(m_dir.filePath(QStringLiteral("bus.conf")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(
            QString::fromLatin1(busConfig).arg(m_dir.filePath(QStringLiteral("bus"))).toUtf8());
    config.close();

    m_bus.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_bus.start(QStringLiteral("dbus-daemon"),
                {QStringLiteral("--config-file=") + config.fileName(), QStringLiteral("--nofork"),
                 QStringLiteral("--print-address=1")});
    QVERIFY(m_bus.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(m_bus.canReadLine(), 10000);
    const QByteArray address = m_bus.readLine().trimmed();
    QVERIFY2(address.startsWith("unix:"), address.constData());

    // Before anything in this process touches D-Bus (QtDBus and GDBus read it lazily).
    qputenv("DBUS_SESSION_BUS_ADDRESS", address);
    qunsetenv("DISPLAY"); // never an unlock prompt on a developer's screen
    qunsetenv("WAYLAND_DISPLAY");
    QVERIFY(QDBusConnection::sessionBus().isConnected());
    QVERIFY(!QDBusConnection::sessionBus().interface()->isServiceRegistered(secretsName));
    m_store.setTimeout(8s);
}

void tst_KeychainLateDaemon::stop(QProcess &process)
{
    if (process.state() == QProcess::NotRunning)
        return;
    process.terminate();
    if (!process.waitForFinished(5000)) {
        process.kill();
        process.waitForFinished(5000);
    }
}

void tst_KeychainLateDaemon::cleanupTestCase()
{
    stop(m_keyring);
    stop(m_bus);
}

void tst_KeychainLateDaemon::withoutDaemonCallsFailFast()
{
    QElapsedTimer elapsed;
    elapsed.start();
    auto read = startRead(m_store, QStringLiteral("alice"), this);
    QTRY_COMPARE_WITH_TIMEOUT(read->calls, 1, 15000);
    const qint64 readMs = elapsed.restart();
    auto write = startWrite(m_store, QStringLiteral("alice"), "token", this);
    QTRY_COMPARE_WITH_TIMEOUT(write->calls, 1, 15000);
    const qint64 writeMs = elapsed.elapsed();
    qInfo() << "without daemon: read" << read->result.status << readMs << "ms, write"
            << write->result.status << writeMs << "ms:" << read->result.message;
    QCOMPARE(read->result.status, Status::Unavailable);
    QCOMPARE(write->result.status, Status::Unavailable);
    // Fast: an answer, not the 8 s timeout in disguise.
    QVERIFY2(readMs < 4000, qPrintable(QString::number(readMs)));
    QVERIFY2(writeMs < 4000, qPrintable(QString::number(writeMs)));
}

void tst_KeychainLateDaemon::afterDaemonStartsCallsSucceed()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_dir.filePath(QStringLiteral("home")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_dir.filePath(QStringLiteral("cache")));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_dir.filePath(QStringLiteral("run")));
    env.remove(QStringLiteral("GNOME_KEYRING_CONTROL"));
    env.remove(QStringLiteral("SSH_AUTH_SOCK"));
    m_keyring.setProcessEnvironment(env);
    m_keyring.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_keyring.start(QStringLiteral("gnome-keyring-daemon"),
                    {QStringLiteral("--foreground"), QStringLiteral("--unlock"),
                     QStringLiteral("--components=secrets")});
    QVERIFY(m_keyring.waitForStarted(10000));
    // The throwaway login keyring's password: random, on stdin, never stored.
    m_keyring.write(QByteArray::number(QRandomGenerator::system()->generate64(), 16));
    m_keyring.closeWriteChannel();
    QTRY_VERIFY_WITH_TIMEOUT(
            QDBusConnection::sessionBus().interface()->isServiceRegistered(secretsName), 10000);

    // The same store object, in the same process: no restart needed.
    auto write = startWrite(m_store, QStringLiteral("alice"), "token-after-daemon", this);
    QTRY_COMPARE_WITH_TIMEOUT(write->calls, 1, 15000);
    QVERIFY2(write->result.ok(), qPrintable(write->result.message));
    auto read = startRead(m_store, QStringLiteral("alice"), this);
    QTRY_COMPARE_WITH_TIMEOUT(read->calls, 1, 15000);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("token-after-daemon")));
}

QTEST_GUILESS_MAIN(tst_KeychainLateDaemon)
#include "tst_keychainlatedaemon.moc"
