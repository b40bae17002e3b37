// SPDX-License-Identifier: MIT
// KeychainSecretStore against the real Secret Service: gnome-keyring in a
// private D-Bus session (scripts/with-keyring). Two cases run in a child
// process because QtKeychain and libsecret pick their bus once per process:
// "no D-Bus at all" and "a Secret Service that never answers".
//
// Built a second time as tst_keychainkwallet (SECURETOKENS_TEST_KWALLET):
// the same suite against KWallet (kwalletd5 opened as a Plasma login does,
// scripts/with-kwallet), where QtKeychain uses its KWallet backend. What
// differs is only how a value is looked up independently and how the store
// is locked: KWallet's own D-Bus API instead of the Secret Service's.
// And a third time as tst_keychainkeepassxc (SECURETOKENS_TEST_KEEPASSXC):
// KeePassXC 2.7 as the Secret Service (scripts/with-keepassxc). QtKeychain
// uses libsecret as with gnome-keyring; what differs is locking (Service.Lock
// answers with a prompt) and what a locked database does to a write (an
// unlock dialog nobody answers: Locked at the timeout).

#include <securetokens/keychainsecretstore.h>

#include "storecalls.h"

#include <QDBusConnection>
#include <QDBusArgument>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusMetaType>
#include <QDBusVariant>
#include <QDBusVirtualObject>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace SecureTokens;
using namespace StoreCalls;
using namespace std::chrono_literals;
using Status = SecretStore::Status;

namespace {

const char childModeVariable[] = "SECURETOKENS_KEYCHAIN_TEST_CHILD";

#ifdef SECURETOKENS_TEST_KWALLET
const char wrapperVariable[] = "SECURETOKENS_TEST_KWALLET";
const char wrapperHint[] = "run through scripts/with-kwallet (ctest does this)";
const QString expectedBackend = QStringLiteral("kwallet");

// kwalletd5's D-Bus API (org.kde.KWallet, kwalletd's kwallet.xml).
QDBusMessage kwalletCall(const QString &method, const QVariantList &arguments)
{
    QDBusMessage call = QDBusMessage::createMethodCall(QStringLiteral("org.kde.kwalletd5"),
                                                       QStringLiteral("/modules/kwalletd5"),
                                                       QStringLiteral("org.kde.KWallet"), method);
    call.setArguments(arguments);
    return QDBusConnection::sessionBus().call(call, QDBus::Block, 10000);
}
#elif defined(SECURETOKENS_TEST_KEEPASSXC)
const char wrapperVariable[] = "SECURETOKENS_TEST_KEEPASSXC";
const char wrapperHint[] = "run through scripts/with-keepassxc (ctest does this)";
const QString expectedBackend = QStringLiteral("secret-service");
#else
const char wrapperVariable[] = "SECURETOKENS_TEST_KEYRING";
const char wrapperHint[] = "run through scripts/with-keyring (ctest does this)";
const QString expectedBackend = QStringLiteral("secret-service");
#endif

#ifdef SECURETOKENS_TEST_KEEPASSXC
// The collection the Secret Service's "default" alias names ("/" if none).
QDBusObjectPath defaultCollection()
{
    QDBusMessage call = QDBusMessage::createMethodCall(
            QStringLiteral("org.freedesktop.secrets"), QStringLiteral("/org/freedesktop/secrets"),
            QStringLiteral("org.freedesktop.Secret.Service"), QStringLiteral("ReadAlias"));
    call << QStringLiteral("default");
    const QDBusMessage reply = QDBusConnection::sessionBus().call(call, QDBus::Block, 10000);
    return qdbus_cast<QDBusObjectPath>(reply.arguments().value(0));
}

bool collectionLocked(const QDBusObjectPath &collection)
{
    QDBusMessage call = QDBusMessage::createMethodCall(
            QStringLiteral("org.freedesktop.secrets"), collection.path(),
            QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("Get"));
    call << QStringLiteral("org.freedesktop.Secret.Collection") << QStringLiteral("Locked");
    const QDBusMessage reply = QDBusConnection::sessionBus().call(call, QDBus::Block, 10000);
    return qdbus_cast<QDBusVariant>(reply.arguments().value(0)).variant().toBool();
}
#endif

// Each call: started, not completed inside the call, completed exactly once.
#define AWAIT(outcome) AWAIT_STORE_CALL(outcome, 15000)

QByteArray randomBytes(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(bytes.data()),
                                          size / qsizetype(sizeof(quint32)));
    for (qsizetype i = size - size % qsizetype(sizeof(quint32)); i < size; ++i)
        bytes[i] = char(QRandomGenerator::global()->bounded(256));
    return bytes;
}

// ---------------------------------------------------------------------------
// Child process side

// Owns org.freedesktop.secrets (and, for KWallet, org.kde.kwalletd5) on a
// second connection and swallows every call without answering: a hung daemon.
class SilentSecretService : public QDBusVirtualObject
{
public:
    QString introspect(const QString &) const override { return {}; }
    bool handleMessage(const QDBusMessage &, const QDBusConnection &) override
    {
        return true; // "handled": no reply will ever be sent
    }
};

int runChild(const QByteArray &mode)
{
    SilentSecretService silent;
    if (mode == "hang") {
        QDBusConnection owner = QDBusConnection::connectToBus(QDBusConnection::SessionBus,
                                                              QStringLiteral("owner"));
        if (!owner.isConnected()
            || !owner.registerVirtualObject(QStringLiteral("/"), &silent, QDBusConnection::SubPath)
            || !owner.registerService(QStringLiteral("org.freedesktop.secrets"))
#ifdef SECURETOKENS_TEST_KWALLET
            // A hung kwalletd too; owning the name also keeps D-Bus from
            // activating a real one in this throwaway bus.
            || !owner.registerService(QStringLiteral("org.kde.kwalletd5"))
#endif
        ) {
            std::fprintf(stdout, "setup-failed\n");
            return 3;
        }
    }
    KeychainSecretStore store(QStringLiteral("securetokens-test-child"));
    store.setTimeout(mode == "hang" ? 1000ms : 5000ms);
    std::fprintf(stdout, "backend %s\n", qPrintable(store.backendName()));

    // Started one after another (each waits for the previous one), so that
    // each one's duration is its own.
    const QMetaEnum statuses = QMetaEnum::fromType<Status>();
    int pending = 0;
    QElapsedTimer elapsed;
    auto report = [&](const char *op, Status status) {
        std::fprintf(stdout, "%s %s %lld\n", op, statuses.valueToKey(int(status)),
                     elapsed.restart());
        std::fflush(stdout);
        --pending;
    };
    QObject context;
    pending = 3;
    elapsed.start();
    store.read(QStringLiteral("alice"), &context, [&](SecretStore::Result r, SecretBytes) {
        report("read", r.status);
        store.write(QStringLiteral("alice"), SecretBytes(QByteArrayView("value")), &context,
                    [&](SecretStore::Result r) {
                        report("write", r.status);
                        store.remove(QStringLiteral("alice"), &context, [&](SecretStore::Result r) {
                            report("remove", r.status);
                            QCoreApplication::exit(0);
                        });
                    });
    });
    const int rc = QCoreApplication::exec();
    return pending == 0 ? rc : 4;
}

} // namespace

#ifdef SECURETOKENS_TEST_KEEPASSXC
// Receives a Secret Service prompt's Completed signal (QtDBus delivers
// signals to slots only), re-emitted for QSignalSpy.
class PromptCompletion : public QObject
{
    Q_OBJECT
Q_SIGNALS:
    void completed(bool dismissed);
public Q_SLOTS:
    void onCompleted(bool dismissed, const QDBusVariant &) { Q_EMIT completed(dismissed); }
};
#endif

// ---------------------------------------------------------------------------

class tst_KeychainSecretStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void backendName();
    void completesLaterNotInsideTheCall();
    void roundTrip();
    void storedInSecretServiceNotInPlaintext();
    void overwrite();
    void remove();
    void removeMissingIsOk();
    void readMissingIsNotFound();
    void largeValues_data();
    void largeValues();
    void tooLargeNeverReachesTheBackend();
    void binaryBytesWithNuls();
    void servicesAndAccountsAreIsolated();
    void destroyedContextIsNeverCalled();

    void noDbusIsUnavailableFast();
    void hungSecretServiceTimesOut();

    // Last: it locks the login collection for the rest of this process's run.
    void lockedKeyringIsLocked();

private:
    QStringList runChildProcess(const QByteArray &mode, const QStringList &program,
                                const QProcessEnvironment &env, qint64 *elapsedMs);

    KeychainSecretStore m_store {QStringLiteral("securetokens-test")};
    QStringList m_accountsUsed;
};

void tst_KeychainSecretStore::initTestCase()
{
    // These tests talk to a real keyring: only the private, throwaway one.
    QVERIFY2(qgetenv(wrapperVariable) == "1", wrapperHint);
    QVERIFY(QDBusConnection::sessionBus().isConnected());
    m_store.setTimeout(15s);
}

void tst_KeychainSecretStore::cleanup()
{
    for (const QString &account : std::as_const(m_accountsUsed)) {
        auto removed = startRemove(m_store, account, this);
        AWAIT(removed);
    }
    m_accountsUsed.clear();
}

void tst_KeychainSecretStore::backendName()
{
    QCOMPARE(m_store.backendName(), expectedBackend);
    QCOMPARE(m_store.service(), QStringLiteral("securetokens-test"));
}

void tst_KeychainSecretStore::completesLaterNotInsideTheCall()
{
    m_accountsUsed << QStringLiteral("later");
    auto written = startWrite(m_store, QStringLiteral("later"), "v", this);
    QCOMPARE(written->calls, 0);
    auto read = startRead(m_store, QStringLiteral("later"), this);
    QCOMPARE(read->calls, 0);
    auto tooLarge = startWrite(m_store, QStringLiteral("later"),
                               QByteArray(KeychainSecretStore::maxValueSize + 1, 'x'), this);
    QCOMPARE(tooLarge->calls, 0); // even an answer known up front is delivered later
    AWAIT(written);
    AWAIT(read);
    AWAIT(tooLarge);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("v")));
    QCOMPARE(tooLarge->result.status, Status::TooLarge);
    runEventLoopFor(200ms);
    QCOMPARE(written->calls, 1);
    QCOMPARE(read->calls, 1);
    QCOMPARE(tooLarge->calls, 1);
}

void tst_KeychainSecretStore::roundTrip()
{
    m_accountsUsed << QStringLiteral("alice");
    auto written = startWrite(m_store, QStringLiteral("alice"), "refresh-token-1", this);
    AWAIT(written);
    QCOMPARE(written->result.status, Status::Ok);

    auto read = startRead(m_store, QStringLiteral("alice"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("refresh-token-1")));

    // A second store object (as after an app restart) sees it too.
    KeychainSecretStore other(QStringLiteral("securetokens-test"));
    auto again = startRead(other, QStringLiteral("alice"), this);
    AWAIT(again);
    QCOMPARE(again->result.status, Status::Ok);
    QVERIFY(again->secret.equals(QByteArrayView("refresh-token-1")));
}

void tst_KeychainSecretStore::storedInSecretServiceNotInPlaintext()
{
    const QByteArray value = "plaintext-canary-" + randomBytes(8).toHex();
    m_accountsUsed << QStringLiteral("canary");
    auto written = startWrite(m_store, QStringLiteral("canary"), value, this);
    AWAIT(written);
    QCOMPARE(written->result.status, Status::Ok);

#ifdef SECURETOKENS_TEST_KWALLET
    // Independent check through kwalletd5's own API: the entry is in the
    // wallet, folder = service, key = account, as raw bytes (QtKeychain's
    // KWallet backend writes binary values with writeEntry).
    const QDBusMessage opened = kwalletCall(
            QStringLiteral("open"),
            {QStringLiteral("kdewallet"), qlonglong(0), QStringLiteral("securetokens-test-check")});
    QCOMPARE(opened.type(), QDBusMessage::ReplyMessage);
    const int handle = opened.arguments().value(0).toInt();
    QVERIFY2(handle >= 0, "kdewallet did not open");
    const QDBusMessage entry
            = kwalletCall(QStringLiteral("readEntry"),
                          {handle, QStringLiteral("securetokens-test"), QStringLiteral("canary"),
                           QStringLiteral("securetokens-test-check")});
    QCOMPARE(entry.type(), QDBusMessage::ReplyMessage);
    QCOMPARE(entry.arguments().value(0).toByteArray(), value);
#else
    // Independent check through libsecret's own tool: the item is in the
    // Secret Service (QtKeychain stores binary values base64-encoded).
    QProcess lookup;
    lookup.start(QStringLiteral("secret-tool"),
                 {QStringLiteral("lookup"), QStringLiteral("user"), QStringLiteral("canary"),
                  QStringLiteral("server"), QStringLiteral("securetokens-test"),
                  QStringLiteral("type"), QStringLiteral("base64")});
    QVERIFY(lookup.waitForFinished(15000));
    QCOMPARE(lookup.exitCode(), 0);
    QCOMPARE(QByteArray::fromBase64(lookup.readAllStandardOutput().trimmed()), value);
#endif

    // And no file under the (temporary) home, config or data dirs holds it in
    // clear: no plaintext fallback (QtKeychain's QSettings store) was used.
    int filesScanned = 0;
    const QStringList roots {
            QDir::homePath(),
            QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation),
            QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)};
    for (const QString &root : roots) {
        QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile file(it.next());
            if (!file.open(QIODevice::ReadOnly))
                continue;
            ++filesScanned;
            const QByteArray content = file.readAll();
            QVERIFY2(!content.contains(value) && !content.contains(value.toBase64()),
                     qPrintable(file.fileName()));
        }
    }
    QVERIFY(filesScanned > 0); // the keyring files themselves are there
}

void tst_KeychainSecretStore::overwrite()
{
    m_accountsUsed << QStringLiteral("alice");
    auto first = startWrite(m_store, QStringLiteral("alice"), "old-token", this);
    auto second = startWrite(m_store, QStringLiteral("alice"), "new-token-longer", this);
    AWAIT(second);
    QCOMPARE(first->calls, 1);
    QCOMPARE(first->result.status, Status::Ok);
    QCOMPARE(second->result.status, Status::Ok);

    auto read = startRead(m_store, QStringLiteral("alice"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("new-token-longer")));
}

void tst_KeychainSecretStore::remove()
{
    auto written = startWrite(m_store, QStringLiteral("alice"), "to-be-removed", this);
    AWAIT(written);
    QCOMPARE(written->result.status, Status::Ok);

    auto removed = startRemove(m_store, QStringLiteral("alice"), this);
    AWAIT(removed);
    QCOMPARE(removed->result.status, Status::Ok);

    auto read = startRead(m_store, QStringLiteral("alice"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::NotFound);
    QVERIFY(read->secret.isEmpty());
}

void tst_KeychainSecretStore::removeMissingIsOk()
{
    auto removed = startRemove(m_store, QStringLiteral("never-written"), this);
    AWAIT(removed);
    QCOMPARE(removed->result.status, Status::Ok);
}

void tst_KeychainSecretStore::readMissingIsNotFound()
{
    auto read = startRead(m_store, QStringLiteral("never-written"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::NotFound);
    QVERIFY(read->secret.isEmpty());
}

void tst_KeychainSecretStore::largeValues_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::newRow("16 KiB") << qsizetype(16 * 1024);
    QTest::newRow("maxValueSize") << KeychainSecretStore::maxValueSize;
}

void tst_KeychainSecretStore::largeValues()
{
    QFETCH(qsizetype, size);
    const QByteArray value = randomBytes(size);
    m_accountsUsed << QStringLiteral("large");
    auto written = startWrite(m_store, QStringLiteral("large"), value, this);
    AWAIT(written);
    QCOMPARE(written->result.status, Status::Ok);

    auto read = startRead(m_store, QStringLiteral("large"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Ok);
    QCOMPARE(read->secret.size(), std::size_t(size));
    QVERIFY(read->secret.equals(value));
}

void tst_KeychainSecretStore::tooLargeNeverReachesTheBackend()
{
    m_accountsUsed << QStringLiteral("big");
    auto small = startWrite(m_store, QStringLiteral("big"), "previous", this);
    AWAIT(small);
    QCOMPARE(small->result.status, Status::Ok);

    QElapsedTimer elapsed;
    elapsed.start();
    auto big = startWrite(m_store, QStringLiteral("big"),
                          QByteArray(KeychainSecretStore::maxValueSize + 1, 'x'), this);
    AWAIT(big);
    QCOMPARE(big->result.status, Status::TooLarge);
    QVERIFY(!big->result.message.isEmpty());

    auto read = startRead(m_store, QStringLiteral("big"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("previous")));
}

void tst_KeychainSecretStore::binaryBytesWithNuls()
{
    QByteArray value;
    for (int i = 0; i < 512; ++i)
        value.append(char(i % 256)); // every byte value, NULs included
    value.prepend('\0');
    value.append('\0');
    m_accountsUsed << QStringLiteral("binary");
    auto written = startWrite(m_store, QStringLiteral("binary"), value, this);
    AWAIT(written);
    QCOMPARE(written->result.status, Status::Ok);

    auto read = startRead(m_store, QStringLiteral("binary"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Ok);
    QCOMPARE(read->secret.size(), std::size_t(value.size()));
    QVERIFY(read->secret.equals(value));
}

void tst_KeychainSecretStore::servicesAndAccountsAreIsolated()
{
    KeychainSecretStore appA(QStringLiteral("securetokens-test-a"));
    KeychainSecretStore appB(QStringLiteral("securetokens-test-b"));
    const QString alice = QStringLiteral("alice");
    const QString bob = QStringLiteral("bob");
    QList<std::shared_ptr<Outcome>> writes {
            startWrite(appA, alice, "A-alice", this),
            startWrite(appA, bob, "A-bob", this),
            startWrite(appB, alice, "B-alice", this),
            startWrite(appB, bob, "B-bob", this),
    };
    for (const auto &w : writes) {
        AWAIT(w);
        QCOMPARE(w->result.status, Status::Ok);
    }

    struct Expect
    {
        KeychainSecretStore *store;
        QString account;
        QByteArray value;
    };
    const QList<Expect> expected {{&appA, alice, "A-alice"},
                                  {&appA, bob, "A-bob"},
                                  {&appB, alice, "B-alice"},
                                  {&appB, bob, "B-bob"}};
    for (const Expect &e : expected) {
        auto read = startRead(*e.store, e.account, this);
        AWAIT(read);
        QCOMPARE(read->result.status, Status::Ok);
        QVERIFY2(read->secret.equals(e.value), e.value.constData());
    }

    // Removing one entry leaves the other three.
    auto removed = startRemove(appA, alice, this);
    AWAIT(removed);
    QCOMPARE(removed->result.status, Status::Ok);
    auto gone = startRead(appA, alice, this);
    AWAIT(gone);
    QCOMPARE(gone->result.status, Status::NotFound);
    for (const Expect &e : expected.mid(1)) {
        auto read = startRead(*e.store, e.account, this);
        AWAIT(read);
        QCOMPARE(read->result.status, Status::Ok);
        QVERIFY2(read->secret.equals(e.value), e.value.constData());
    }
    for (KeychainSecretStore *s : {&appA, &appB}) {
        for (const QString &account : {alice, bob}) {
            auto r = startRemove(*s, account, this);
            AWAIT(r);
            QCOMPARE(r->result.status, Status::Ok);
        }
    }
}

void tst_KeychainSecretStore::destroyedContextIsNeverCalled()
{
    m_accountsUsed << QStringLiteral("ctx");
    auto *context = new QObject;
    auto deadWrite = startWrite(m_store, QStringLiteral("ctx"), "written-anyway", context);
    auto deadRead = startRead(m_store, QStringLiteral("ctx"), context);
    auto deadRemove = startRemove(m_store, QStringLiteral("other"), context);
    delete context;
    // A later call with a living context completes after the earlier ones
    // (QtKeychain runs jobs in order), so those had their chance to call back.
    auto alive = startRead(m_store, QStringLiteral("ctx"), this);
    AWAIT(alive);
    runEventLoopFor(200ms);
    QCOMPARE(deadWrite->calls, 0);
    QCOMPARE(deadRead->calls, 0);
    QCOMPARE(deadRemove->calls, 0);
    // The write itself still happened: only the callback was dropped.
    QCOMPARE(alive->result.status, Status::Ok);
    QVERIFY(alive->secret.equals(QByteArrayView("written-anyway")));
}

QStringList tst_KeychainSecretStore::runChildProcess(const QByteArray &mode,
                                                     const QStringList &program,
                                                     const QProcessEnvironment &baseEnv,
                                                     qint64 *elapsedMs)
{
    QProcessEnvironment env = baseEnv;
    env.insert(QLatin1String(childModeVariable), QString::fromLatin1(mode));
    QProcess child;
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer elapsed;
    elapsed.start();
    child.start(program.first(), program.mid(1));
    if (!child.waitForStarted(10000) || !child.waitForFinished(30000)) {
        child.kill();
        child.waitForFinished(5000);
        return {QStringLiteral("child did not finish")};
    }
    *elapsedMs = elapsed.elapsed();
    QStringList lines = QString::fromLocal8Bit(child.readAllStandardOutput())
                                .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    lines.append(QStringLiteral("exit %1").arg(child.exitCode()));
    return lines;
}

void tst_KeychainSecretStore::noDbusIsUnavailableFast()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"),
               QStringLiteral("unix:path=/nonexistent/securetokens-no-bus"));
    qint64 elapsed = 0;
    const QStringList lines
            = runChildProcess("nodbus", {QCoreApplication::applicationFilePath()}, env, &elapsed);
    qDebug() << "no-dbus child:" << lines << elapsed << "ms";
    QCOMPARE(lines.size(), 5);
    QCOMPARE(lines.at(0), QStringLiteral("backend secret-service"));
    const QStringList ops {QStringLiteral("read"), QStringLiteral("write"),
                           QStringLiteral("remove")};
    for (int i = 0; i < 3; ++i) {
        const QStringList fields = lines.at(i + 1).split(QLatin1Char(' '));
        QCOMPARE(fields.size(), 3);
        QCOMPARE(fields.at(0), ops.at(i));
        QCOMPARE(fields.at(1), QStringLiteral("Unavailable"));
        // Fast: far below the child's 5 s timeout, so it is not a timeout in disguise.
        QVERIFY2(fields.at(2).toInt() < 2000, qPrintable(lines.at(i + 1)));
    }
    QCOMPARE(lines.last(), QStringLiteral("exit 0"));
    QVERIFY2(elapsed < 10000, qPrintable(QString::number(elapsed)));
}

void tst_KeychainSecretStore::hungSecretServiceTimesOut()
{
    // A fresh bus (dbus-run-session) where the child itself owns
    // org.freedesktop.secrets and never answers: a hung keyring daemon.
    const QString dbusRunSession
            = QStandardPaths::findExecutable(QStringLiteral("dbus-run-session"));
    QVERIFY2(!dbusRunSession.isEmpty(), "dbus-run-session is needed (scripts/install-deps)");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    qint64 elapsed = 0;
    const QStringList lines = runChildProcess(
            "hang", {dbusRunSession, QStringLiteral("--"), QCoreApplication::applicationFilePath()},
            env, &elapsed);
    qDebug() << "hung-service child:" << lines << elapsed << "ms";
    QCOMPARE(lines.size(), 5);
    QCOMPARE(lines.at(0), QStringLiteral("backend ") + expectedBackend);
    const QStringList ops {QStringLiteral("read"), QStringLiteral("write"),
                           QStringLiteral("remove")};
    for (int i = 0; i < 3; ++i) {
        const QStringList fields = lines.at(i + 1).split(QLatin1Char(' '));
        QCOMPARE(fields.size(), 3);
        QCOMPARE(fields.at(0), ops.at(i));
        // Every call ends with Timeout after ~1 s (the child's timeout), also the
        // ones QtKeychain queued behind the hung one.
        QCOMPARE(fields.at(1), QStringLiteral("Timeout"));
        const int ms = fields.at(2).toInt();
        QVERIFY2(ms >= 900 && ms < 5000, qPrintable(lines.at(i + 1)));
    }
    QCOMPARE(lines.last(), QStringLiteral("exit 0"));
}

void tst_KeychainSecretStore::lockedKeyringIsLocked()
{
    m_accountsUsed.clear(); // nothing can be cleaned up once locked
    auto written = startWrite(m_store, QStringLiteral("locked"), "before-lock", this);
    AWAIT(written);
    QCOMPARE(written->result.status, Status::Ok);

#ifdef SECURETOKENS_TEST_KWALLET
    // Close kdewallet for every application (KWallet's "lock"): opening it
    // again needs the wallet password, which only the login had.
    const QDBusMessage closed
            = kwalletCall(QStringLiteral("close"), {QStringLiteral("kdewallet"), true});
    QCOMPARE(closed.type(), QDBusMessage::ReplyMessage);
    QCOMPARE(kwalletCall(QStringLiteral("isOpen"), {QStringLiteral("kdewallet")})
                     .arguments()
                     .value(0)
                     .toBool(),
             false);
#elif defined(SECURETOKENS_TEST_KEEPASSXC)
    // Lock the default collection (KeePassXC: locks the database) through the
    // Secret Service API: Service.Lock answers with a prompt, whose Prompt()
    // call does the locking and then signals Completed(dismissed, result).
    const QDBusObjectPath collection = defaultCollection();
    QVERIFY2(collection.path() != QLatin1String("/"), "no collection behind the default alias");
    QDBusMessage lock = QDBusMessage::createMethodCall(
            QStringLiteral("org.freedesktop.secrets"), QStringLiteral("/org/freedesktop/secrets"),
            QStringLiteral("org.freedesktop.Secret.Service"), QStringLiteral("Lock"));
    lock << QVariant::fromValue(QList<QDBusObjectPath> {collection});
    const QDBusMessage reply = QDBusConnection::sessionBus().call(lock, QDBus::Block, 10000);
    QCOMPARE(reply.type(), QDBusMessage::ReplyMessage);
    const QDBusObjectPath prompt = qdbus_cast<QDBusObjectPath>(reply.arguments().value(1));
    QVERIFY2(prompt.path() != QLatin1String("/"), "KeePassXC locks through a prompt");
    PromptCompletion completion;
    QVERIFY(QDBusConnection::sessionBus().connect(
            QStringLiteral("org.freedesktop.secrets"), prompt.path(),
            QStringLiteral("org.freedesktop.Secret.Prompt"), QStringLiteral("Completed"),
            &completion, SLOT(onCompleted(bool, QDBusVariant))));
    QSignalSpy completed(&completion, &PromptCompletion::completed);
    QDBusMessage run = QDBusMessage::createMethodCall(
            QStringLiteral("org.freedesktop.secrets"), prompt.path(),
            QStringLiteral("org.freedesktop.Secret.Prompt"), QStringLiteral("Prompt"));
    run << QString();
    QCOMPARE(QDBusConnection::sessionBus().call(run, QDBus::Block, 10000).type(),
             QDBusMessage::ReplyMessage);
    QVERIFY(completed.count() == 1 || completed.wait(10000));
    QCOMPARE(completed.first().value(0).toBool(), false); // not dismissed
    QCOMPARE(collectionLocked(collection), true);
#else
    // Lock the login collection (Secret Service API, Service.Lock).
    QDBusMessage lock = QDBusMessage::createMethodCall(
            QStringLiteral("org.freedesktop.secrets"), QStringLiteral("/org/freedesktop/secrets"),
            QStringLiteral("org.freedesktop.Secret.Service"), QStringLiteral("Lock"));
    lock << QVariant::fromValue(QList<QDBusObjectPath> {
            QDBusObjectPath(QStringLiteral("/org/freedesktop/secrets/collection/login"))});
    const QDBusMessage reply = QDBusConnection::sessionBus().call(lock, QDBus::Block, 10000);
    QCOMPARE(reply.type(), QDBusMessage::ReplyMessage);
#endif

    // gnome-keyring tries to show an unlock prompt; with no display the prompter
    // fails and the prompt counts as dismissed. What QtKeychain then says:
    // write -> AccessDenied "Cannot create an item in a locked collection",
    // read -> EntryNotFound, delete -> success. The store turns all three into
    // Locked, quickly (not via the timeout).
#ifdef SECURETOKENS_TEST_KWALLET
    // kwalletd asks for the wallet's password (a dialog nobody answers here)
    // and QtKeychain's job waits; the store saw the wallet closed before it
    // started, so each call ends with Locked, and says why, when it times out.
    const std::chrono::milliseconds timeout = 2s;
    const qint64 budgetMs = 4 * (2000 + 1500);
#elif defined(SECURETOKENS_TEST_KEEPASSXC)
    // KeePassXC finds nothing in a locked database (a read is NotFound, which
    // the store checks against the collection's Locked property), but a write
    // makes libsecret ask to unlock it: KeePassXC opens its unlock dialog
    // (offscreen here: nobody answers) and the call waits. The store saw the
    // collection locked when the call started, so it ends with Locked at the
    // timeout, not a bare Timeout.
    const std::chrono::milliseconds timeout = 2s;
    const qint64 budgetMs = 4 * (2000 + 1500);
#else
    const std::chrono::milliseconds timeout = 8s;
    const qint64 budgetMs = 8000;
#endif
    m_store.setTimeout(timeout);
    QElapsedTimer elapsed;
    elapsed.start();
    auto read = startRead(m_store, QStringLiteral("locked"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Locked);
    QVERIFY(read->secret.isEmpty());
#ifdef SECURETOKENS_TEST_KWALLET
    QVERIFY2(read->result.message.contains(QLatin1String("closed")),
             qPrintable(read->result.message));
    QVERIFY2(elapsed.elapsed() >= 1900, qPrintable(QString::number(elapsed.elapsed())));
#endif

#ifdef SECURETOKENS_TEST_KEEPASSXC
    elapsed.restart();
#endif
    auto write = startWrite(m_store, QStringLiteral("locked"), "after-lock", this);
    AWAIT(write);
    QCOMPARE(write->result.status, Status::Locked);
#ifdef SECURETOKENS_TEST_KEEPASSXC
    QVERIFY2(write->result.message.contains(QLatin1String("unlock")),
             qPrintable(write->result.message));
    QVERIFY2(elapsed.elapsed() >= 1900, qPrintable(QString::number(elapsed.elapsed())));
    QCOMPARE(collectionLocked(defaultCollection()), true); // nothing unlocked it meanwhile
#endif

    auto removed = startRemove(m_store, QStringLiteral("locked"), this);
    AWAIT(removed);
    QCOMPARE(removed->result.status, Status::Locked);

    auto missing = startRead(m_store, QStringLiteral("never-written"), this);
    AWAIT(missing);
    QCOMPARE(missing->result.status, Status::Locked);
    QVERIFY2(elapsed.elapsed() < budgetMs, qPrintable(QString::number(elapsed.elapsed())));
    m_store.setTimeout(15s);
}

int main(int argc, char **argv)
{
    const QByteArray childMode = qgetenv(childModeVariable);
    QCoreApplication app(argc, argv);
    if (!childMode.isEmpty())
        return runChild(childMode);
    tst_KeychainSecretStore test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_keychainsecretstore.moc"
