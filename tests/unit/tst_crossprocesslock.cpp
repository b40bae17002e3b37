// SPDX-License-Identifier: MIT
// CrossProcessLock: one refresh at a time across processes (and objects) of one
// app. The "another process" cases re-run this executable as a child that takes
// the lock, prints "locked" and then waits on stdin until it is killed.

#include "storage/crossprocesslock.h"

#include <securetokens/error.h>

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUuid>

#include <cstdio>
#include <memory>

#ifndef Q_OS_WIN
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace SecureTokens;
using namespace std::chrono_literals;

namespace {

const char holdLockArgument[] = "--hold-lock";
const char tryLockArgument[] = "--try-lock";
//! The attacker of the tests below: another user of the machine.
constexpr int otherUid = 65534; // nobody

//! An ErrorInfo (or, before it had one, a message) as "code message" for the parent.
QByteArray describeFailure(const ErrorInfo &error)
{
    return QByteArray::number(int(error.code)) + ' ' + error.message.toUtf8();
}
QByteArray describeFailure(const QString &message)
{
    return "- " + message.toUtf8();
}

struct Outcome
{
    int calls = 0;
    bool acquired = false;
    QString error;
};

QString messageOf(const ErrorInfo &error)
{
    return error.message;
}
QString messageOf(const QString &message)
{
    return message;
}

std::shared_ptr<Outcome> startAcquire(CrossProcessLock &lock, std::chrono::milliseconds timeout,
                                      QObject *context)
{
    auto outcome = std::make_shared<Outcome>();
    lock.acquire(timeout, context, [outcome](bool acquired, const auto &error) {
        ++outcome->calls;
        outcome->acquired = acquired;
        outcome->error = messageOf(error);
    });
    return outcome;
}

// Runs the event loop for `duration`, to show that something does *not* happen.
void runEventLoopFor(std::chrono::milliseconds duration)
{
    QTimer timer;
    timer.setSingleShot(true);
    QSignalSpy spy(&timer, &QTimer::timeout);
    timer.start(duration);
    QVERIFY(spy.wait(int(duration.count()) * 10));
}

// A UI-thread heartbeat: ticks every 10 ms as long as the event loop runs.
class Heartbeat
{
public:
    Heartbeat()
    {
        QObject::connect(&m_timer, &QTimer::timeout, [this] { ++m_ticks; });
        m_timer.start(10);
    }
    int ticks() const { return m_ticks; }

private:
    QTimer m_timer;
    int m_ticks = 0;
};

// Child side: take the lock, say so, then block on stdin until killed.
int holdLock(const QString &service, const QString &account)
{
    CrossProcessLock lock(service, account);
    int rc = 3;
    lock.acquire(10s, nullptr, [&rc](bool acquired, const auto &) {
        if (acquired) {
            std::fputs("locked\n", stdout);
            std::fflush(stdout);
            rc = 0;
        }
        QCoreApplication::exit(0);
    });
    QCoreApplication::exec();
    if (rc != 0)
        return rc;
    // The lock stays held by this process until it dies (or stdin closes).
    while (std::fgetc(stdin) != EOF) { }
    return 0;
}

// Child side: try the lock once and print "acquired", or "failed <code> <message>".
int tryLock(const QString &service, const QString &account, int timeoutMs)
{
    CrossProcessLock lock(service, account);
    QByteArray line;
    lock.acquire(std::chrono::milliseconds(timeoutMs), nullptr,
                 [&line](bool acquired, const auto &why) {
                     line = acquired ? QByteArray("acquired") : "failed " + describeFailure(why);
                     QCoreApplication::exit(0);
                 });
    QCoreApplication::exec();
    std::fputs(line.constData(), stdout);
    std::fputs("\n", stdout);
    return 0;
}

//! Runs \a command as another user (setpriv, as root can: CI runs the tests as root).
bool runAsOtherUser(const QStringList &command, QProcess *process = nullptr)
{
    QProcess local;
    QProcess *p = process ? process : &local;
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start(QStringLiteral("setpriv"),
             QStringList {QStringLiteral("--reuid=%1").arg(otherUid),
                          QStringLiteral("--regid=%1").arg(otherUid),
                          QStringLiteral("--clear-groups")}
                     + command);
    if (process)
        return p->waitForStarted(10000);
    return p->waitForFinished(10000) && p->exitStatus() == QProcess::NormalExit
            && p->exitCode() == 0;
}

} // namespace

class tst_CrossProcessLock : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void acquireAndRelease();
    void lockFileIsPrivateAndNamedByHash();
    void secondObjectWaitsUntilRelease();
    void timesOutWhileHeld();
    void differentAccountsDoNotExclude();
    void destroyedContextIsNeverCalled();
    void destructorReleases();
    void secondAcquireWhilePendingFails();
    void anotherProcessHoldsItUntilKilled();
    void anotherProcessMakesUsTimeOut();
    void anotherUserCannotBlockTheTempFallback();
    void anotherUsersLockDirectoryIsRefused_data();
    void anotherUsersLockDirectoryIsRefused();

private:
    QProcess *startHolder();
    //! A sticky, world-writable directory like /tmp, private to the test, for $TMPDIR.
    bool makeSharedTemp(QTemporaryDir *dir);
    //! The victim: this executable with $XDG_RUNTIME_DIR unset and $TMPDIR = \a tmp.
    QByteArray tryLockInChild(const QString &tmp, int timeoutMs);

    QString m_service;
    QString m_account;
    QList<QProcess *> m_children;
};

void tst_CrossProcessLock::init()
{
    // Fresh names per test, so a failed test cannot leave the next one locked.
    m_service = QStringLiteral("securetokens-test-") + QUuid::createUuid().toString(QUuid::Id128);
    m_account = QStringLiteral("alice@example.com");
}

void tst_CrossProcessLock::cleanup()
{
    for (QProcess *child : std::as_const(m_children)) {
        if (child->state() != QProcess::NotRunning) {
            child->kill();
            child->waitForFinished(5000);
        }
        delete child;
    }
    m_children.clear();
    // The SDK never deletes lock files (that would race); tests use fresh names,
    // so remove theirs to keep the runtime directory tidy.
    for (const QString &account : {m_account, QStringLiteral("bob")})
        QFile::remove(CrossProcessLock(m_service, account).lockFilePath());
}

QProcess *tst_CrossProcessLock::startHolder()
{
    auto *child = new QProcess;
    m_children << child;
    child->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child->start(QCoreApplication::applicationFilePath(),
                 {QLatin1String(holdLockArgument), m_service, m_account});
    if (!child->waitForStarted(10000))
        return nullptr;
    // Bounded: the child prints "locked" as soon as it holds the lock.
    QElapsedTimer waited;
    waited.start();
    while (!child->canReadLine() && waited.elapsed() < 10000) {
        if (!child->waitForReadyRead(10000 - int(waited.elapsed())))
            break;
    }
    if (child->readLine().trimmed() != "locked")
        return nullptr;
    return child;
}

void tst_CrossProcessLock::acquireAndRelease()
{
    CrossProcessLock lock(m_service, m_account);
    QVERIFY(!lock.isHeld());
    auto outcome = startAcquire(lock, 2s, this);
    QCOMPARE(outcome->calls, 0); // never inside the call
    QTRY_COMPARE_WITH_TIMEOUT(outcome->calls, 1, 2000);
    QVERIFY(outcome->acquired);
    QVERIFY(outcome->error.isEmpty());
    QVERIFY(lock.isHeld());

    // Acquiring again while holding it: Ok, later.
    auto again = startAcquire(lock, 1s, this);
    QCOMPARE(again->calls, 0);
    QTRY_COMPARE_WITH_TIMEOUT(again->calls, 1, 2000);
    QVERIFY(again->acquired);

    lock.release();
    QVERIFY(!lock.isHeld());
    lock.release(); // harmless
    runEventLoopFor(100ms);
    QCOMPARE(outcome->calls, 1); // exactly once
}

void tst_CrossProcessLock::lockFileIsPrivateAndNamedByHash()
{
    CrossProcessLock lock(m_service, m_account);
    auto outcome = startAcquire(lock, 2s, this);
    QTRY_COMPARE_WITH_TIMEOUT(outcome->calls, 1, 2000);
    QVERIFY(outcome->acquired);

    const QFileInfo info(lock.lockFilePath());
    QVERIFY2(info.exists(), qPrintable(lock.lockFilePath()));
    QCOMPARE(info.size(), 0); // holds nothing, let alone a secret
    QVERIFY(!info.fileName().contains(m_service));
    QVERIFY(!info.fileName().contains(QStringLiteral("alice")));
    QVERIFY(info.fileName().startsWith(QStringLiteral("securetokens-")));
#ifndef Q_OS_WIN
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(lock.lockFilePath()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0600));
#endif
    // Same service and account → same file; another account → another file.
    QCOMPARE(CrossProcessLock(m_service, m_account).lockFilePath(), lock.lockFilePath());
    QVERIFY(CrossProcessLock(m_service, QStringLiteral("bob")).lockFilePath()
            != lock.lockFilePath());
    // service + '\0' + account: no ambiguity between ("ab", "c") and ("a", "bc").
    QVERIFY(CrossProcessLock(QStringLiteral("ab"), QStringLiteral("c")).lockFilePath()
            != CrossProcessLock(QStringLiteral("a"), QStringLiteral("bc")).lockFilePath());
}

void tst_CrossProcessLock::secondObjectWaitsUntilRelease()
{
    CrossProcessLock first(m_service, m_account);
    CrossProcessLock second(m_service, m_account);
    auto a = startAcquire(first, 2s, this);
    QTRY_COMPARE_WITH_TIMEOUT(a->calls, 1, 2000);
    QVERIFY(a->acquired);

    Heartbeat heartbeat;
    auto b = startAcquire(second, 10s, this);
    runEventLoopFor(300ms);
    QCOMPARE(b->calls, 0); // waits: flock() locks exclude each other in one process too
    QVERIFY(!second.isHeld());
    QVERIFY2(heartbeat.ticks() >= 10, qPrintable(QString::number(heartbeat.ticks())));

    first.release();
    QTRY_COMPARE_WITH_TIMEOUT(b->calls, 1, 1000); // polling is at most 50 ms apart
    QVERIFY(b->acquired);
    QVERIFY(second.isHeld());
}

void tst_CrossProcessLock::timesOutWhileHeld()
{
    CrossProcessLock first(m_service, m_account);
    CrossProcessLock second(m_service, m_account);
    auto a = startAcquire(first, 2s, this);
    QTRY_COMPARE_WITH_TIMEOUT(a->calls, 1, 2000);
    QVERIFY(a->acquired);

    QElapsedTimer elapsed;
    elapsed.start();
    auto b = startAcquire(second, 300ms, this);
    QTRY_COMPARE_WITH_TIMEOUT(b->calls, 1, 5000);
    QVERIFY(!b->acquired);
    QVERIFY(!b->error.isEmpty());
    QVERIFY(!second.isHeld());
    QVERIFY2(elapsed.elapsed() >= 290, qPrintable(QString::number(elapsed.elapsed())));
    runEventLoopFor(200ms);
    QCOMPARE(b->calls, 1);
    QVERIFY(first.isHeld());
}

void tst_CrossProcessLock::differentAccountsDoNotExclude()
{
    CrossProcessLock alice(m_service, m_account);
    CrossProcessLock bob(m_service, QStringLiteral("bob"));
    auto a = startAcquire(alice, 2s, this);
    auto b = startAcquire(bob, 2s, this);
    QTRY_COMPARE_WITH_TIMEOUT(a->calls, 1, 2000);
    QTRY_COMPARE_WITH_TIMEOUT(b->calls, 1, 2000);
    QVERIFY(a->acquired);
    QVERIFY(b->acquired);
}

void tst_CrossProcessLock::destroyedContextIsNeverCalled()
{
    CrossProcessLock first(m_service, m_account);
    CrossProcessLock second(m_service, m_account);
    auto a = startAcquire(first, 2s, this);
    QTRY_COMPARE_WITH_TIMEOUT(a->calls, 1, 2000);
    QVERIFY(a->acquired);

    auto *context = new QObject;
    auto b = startAcquire(second, 5s, context);
    delete context;
    first.release();
    runEventLoopFor(300ms);
    QCOMPARE(b->calls, 0);
    // Nobody waits for it, so it must not have been taken and kept.
    QVERIFY(!second.isHeld());
    CrossProcessLock third(m_service, m_account);
    auto c = startAcquire(third, 200ms, this);
    QTRY_COMPARE_WITH_TIMEOUT(c->calls, 1, 2000);
    QVERIFY(c->acquired);
}

void tst_CrossProcessLock::destructorReleases()
{
    auto first = std::make_unique<CrossProcessLock>(m_service, m_account);
    auto a = startAcquire(*first, 2s, this);
    QTRY_COMPARE_WITH_TIMEOUT(a->calls, 1, 2000);
    QVERIFY(a->acquired);

    CrossProcessLock second(m_service, m_account);
    auto b = startAcquire(second, 5s, this);
    runEventLoopFor(100ms);
    QCOMPARE(b->calls, 0);
    first.reset();
    QTRY_COMPARE_WITH_TIMEOUT(b->calls, 1, 1000);
    QVERIFY(b->acquired);
}

void tst_CrossProcessLock::secondAcquireWhilePendingFails()
{
    CrossProcessLock first(m_service, m_account);
    CrossProcessLock second(m_service, m_account);
    auto a = startAcquire(first, 2s, this);
    QTRY_COMPARE_WITH_TIMEOUT(a->calls, 1, 2000);

    auto pending = startAcquire(second, 5s, this);
    auto extra = startAcquire(second, 5s, this);
    QCOMPARE(extra->calls, 0); // later, not inside the call
    QTRY_COMPARE_WITH_TIMEOUT(extra->calls, 1, 1000);
    QVERIFY(!extra->acquired);
    QVERIFY(!extra->error.isEmpty());
    QCOMPARE(pending->calls, 0); // the first acquire goes on
    first.release();
    QTRY_COMPARE_WITH_TIMEOUT(pending->calls, 1, 1000);
    QVERIFY(pending->acquired);
}

void tst_CrossProcessLock::anotherProcessHoldsItUntilKilled()
{
    QProcess *child = startHolder();
    QVERIFY2(child, "the child process did not take the lock");

    CrossProcessLock lock(m_service, m_account);
    Heartbeat heartbeat;
    auto outcome = startAcquire(lock, 20s, this);
    runEventLoopFor(500ms);
    QCOMPARE(outcome->calls, 0); // the other process holds it
    const int ticksWhileWaiting = heartbeat.ticks();
    // The UI thread kept running while we waited: ~50 ticks in 500 ms.
    QVERIFY2(ticksWhileWaiting >= 25, qPrintable(QString::number(ticksWhileWaiting)));

    // A crash: SIGKILL, no chance to clean up. The kernel drops the flock().
    QElapsedTimer sinceKill;
    child->kill();
    sinceKill.start();
    QTRY_VERIFY_WITH_TIMEOUT(outcome->calls == 1, 2000);
    const qint64 recoveredAfter = sinceKill.elapsed();
    QVERIFY(outcome->acquired);
    QVERIFY(lock.isHeld());
    QVERIFY(heartbeat.ticks() > ticksWhileWaiting);
    qInfo("lock recovered %lld ms after SIGKILL of the holder", recoveredAfter);
    QTRY_COMPARE_WITH_TIMEOUT(child->state(), QProcess::NotRunning, 5000);
    QCOMPARE(child->exitStatus(), QProcess::CrashExit);
}

void tst_CrossProcessLock::anotherProcessMakesUsTimeOut()
{
    QProcess *child = startHolder();
    QVERIFY2(child, "the child process did not take the lock");
    CrossProcessLock lock(m_service, m_account);
    auto outcome = startAcquire(lock, 400ms, this);
    QTRY_COMPARE_WITH_TIMEOUT(outcome->calls, 1, 5000);
    QVERIFY(!outcome->acquired);
    QVERIFY(!outcome->error.isEmpty());

    // Closing the child's stdin ends it normally; the lock is then free.
    child->closeWriteChannel();
    QVERIFY(child->waitForFinished(5000));
    QCOMPARE(child->exitCode(), 0);
    auto again = startAcquire(lock, 2s, this);
    QTRY_COMPARE_WITH_TIMEOUT(again->calls, 1, 2000);
    QVERIFY(again->acquired);
}

bool tst_CrossProcessLock::makeSharedTemp(QTemporaryDir *dir)
{
    return dir->isValid()
            && ::chmod(QFile::encodeName(dir->path()).constData(), S_ISVTX | 0777) == 0;
}

QByteArray tst_CrossProcessLock::tryLockInChild(const QString &tmp, int timeoutMs)
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // ssh without logind, cron, containers: no runtime directory.
    env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    env.insert(QStringLiteral("TMPDIR"), tmp);
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(),
                {QLatin1String(tryLockArgument), m_service, m_account, QString::number(timeoutMs)});
    if (!child.waitForFinished(timeoutMs + 10000))
        return "child did not finish";
    return child.readAllStandardOutput().trimmed();
}

void tst_CrossProcessLock::anotherUserCannotBlockTheTempFallback()
{
    // The attack needs a second user; a run that cannot make one must not pass.
    QVERIFY2(::geteuid() == 0,
             "needs root to act as another user (setpriv), as in CI: run the suite as root");
    QTemporaryDir tmp;
    QVERIFY(makeSharedTemp(&tmp));
    // The demonstrated attack (security review, finding 4): with
    // XDG_RUNTIME_DIR unset, the other user creates the directory Qt would
    // use as the runtime directory, which Qt then refuses, and the lock file
    // in the shared temp directory that the fallback named, and holds a lock
    // on it. Every refresh of the victim failed, as "another process is
    // still refreshing", forever.
    const QString user = qEnvironmentVariable("USER", QStringLiteral("root"));
    const QString runtime = tmp.filePath(QStringLiteral("runtime-") + user);
    QVERIFY(runAsOtherUser(
            {QStringLiteral("mkdir"), QStringLiteral("-m"), QStringLiteral("0755"), runtime}));
    QByteArray key = m_service.toUtf8();
    key.append('\0');
    key.append(m_account.toUtf8());
    const QString name
            = QStringLiteral("/securetokens-")
            + QString::fromLatin1(
                      QCryptographicHash::hash(key, QCryptographicHash::Sha256).left(16).toHex())
            + QStringLiteral(".lock");
    QProcess holders[2];
    int i = 0;
    for (const QString &planted : {tmp.path() + name, runtime + name}) {
        // flock(1) creates the file (0644, the other user's) and holds it
        // until it is killed; its child (-o: without the lock) ends when its
        // stdin closes.
        QVERIFY(runAsOtherUser({QStringLiteral("flock"), QStringLiteral("-o"), QStringLiteral("-x"),
                                planted, QStringLiteral("cat")},
                               &holders[i++]));
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(planted), 5000);
    }
    const QByteArray outcome = tryLockInChild(tmp.path(), 1000);
    for (QProcess &holder : holders) {
        holder.kill();
        holder.waitForFinished(5000);
    }
    QCOMPARE(outcome, QByteArray("acquired"));
}

void tst_CrossProcessLock::anotherUsersLockDirectoryIsRefused_data()
{
    QTest::addColumn<QString>("plant");
    QTest::addRow("another user's directory") << QStringLiteral("dir");
    QTest::addRow("a symlink to another user's directory") << QStringLiteral("symlink");
    QTest::addRow("our directory, open to others") << QStringLiteral("open");
}

void tst_CrossProcessLock::anotherUsersLockDirectoryIsRefused()
{
    // The attack needs a second user; a run that cannot make one must not pass.
    QVERIFY2(::geteuid() == 0,
             "needs root to act as another user (setpriv), as in CI: run the suite as root");
    QFETCH(QString, plant);
    QTemporaryDir tmp;
    QVERIFY(makeSharedTemp(&tmp));
    // The per-user directory of the temp fallback, planted before first use.
    const QString dir = tmp.filePath(QStringLiteral("securetokens-%1").arg(::geteuid()));
    const QString target = tmp.filePath(QStringLiteral("elsewhere"));
    if (plant == QLatin1String("dir")) {
        QVERIFY(runAsOtherUser(
                {QStringLiteral("mkdir"), QStringLiteral("-m"), QStringLiteral("0700"), dir}));
    } else if (plant == QLatin1String("symlink")) {
        QVERIFY(runAsOtherUser(
                {QStringLiteral("mkdir"), QStringLiteral("-m"), QStringLiteral("0777"), target}));
        QVERIFY(runAsOtherUser({QStringLiteral("ln"), QStringLiteral("-s"), target, dir}));
    } else {
        QVERIFY(QDir().mkdir(dir));
        QVERIFY(::chmod(QFile::encodeName(dir).constData(), 0777) == 0);
    }
    QElapsedTimer elapsed;
    elapsed.start();
    const QByteArray outcome = tryLockInChild(tmp.path(), 5000);
    // Its own error, at once, and not a transient one: waiting cannot mend it.
    QVERIFY2(outcome.startsWith("failed "), outcome.constData());
    const int code = outcome.split(' ').value(1).toInt();
    QCOMPARE(Error(code), Error::LockDirectoryUnsafe);
    QVERIFY(!isTransient(Error(code)));
    QVERIFY(!endsSession(Error(code)));
    QVERIFY2(elapsed.elapsed() < 4000, qPrintable(QString::number(elapsed.elapsed())));
    // Nothing was created in a directory that is not private to us (root
    // could: it overrides file permissions).
    const QString watched = plant == QLatin1String("symlink") ? target : dir;
    QVERIFY(QDir(watched)
                    .entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden)
                    .isEmpty());
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc == 4 && qstrcmp(argv[1], holdLockArgument) == 0)
        return holdLock(QString::fromLocal8Bit(argv[2]), QString::fromLocal8Bit(argv[3]));
    if (argc == 5 && qstrcmp(argv[1], tryLockArgument) == 0)
        return tryLock(QString::fromLocal8Bit(argv[2]), QString::fromLocal8Bit(argv[3]),
                       QByteArray(argv[4]).toInt());
    tst_CrossProcessLock test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_crossprocesslock.moc"
