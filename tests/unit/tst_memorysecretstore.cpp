// SPDX-License-Identifier: MIT
// The SecretStore async contract (secretstore.h), checked on MemorySecretStore
// (and on the test-only ScriptedSecretStore that injects failures into it):
// completion later, never inside the call; exactly once; every injected failure
// reported as such; a hang ends in Timeout; a destroyed context is never called.

#include "scriptedsecretstore.h"

#include <securetokens/memorysecretstore.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace SecureTokens;
using namespace std::chrono_literals;
using Status = SecretStore::Status;
using Operation = ScriptedSecretStore::Operation;

namespace {

struct Outcome
{
    int calls = 0;
    SecretStore::Result result;
    SecretBytes secret;
};

// Starts one call of `operation` and records its completion into `outcome`.
void start(MemorySecretStore &store, Operation operation, const QString &account, QObject *context,
           std::shared_ptr<Outcome> outcome, QByteArrayView value = "value")
{
    switch (operation) {
    case Operation::Read:
        store.read(account, context, [outcome](SecretStore::Result r, SecretBytes s) {
            ++outcome->calls;
            outcome->result = r;
            outcome->secret = std::move(s);
        });
        break;
    case Operation::Write:
        store.write(account, SecretBytes(value), context, [outcome](SecretStore::Result r) {
            ++outcome->calls;
            outcome->result = r;
        });
        break;
    case Operation::Remove:
        store.remove(account, context, [outcome](SecretStore::Result r) {
            ++outcome->calls;
            outcome->result = r;
        });
        break;
    }
}

// Lets the event loop run for `duration` (used only to show that nothing *else*
// arrives, e.g. a second callback after the timeout would have fired).
void runEventLoopFor(std::chrono::milliseconds duration)
{
    QTimer timer;
    timer.setSingleShot(true);
    QSignalSpy spy(&timer, &QTimer::timeout);
    timer.start(duration);
    QVERIFY(spy.wait(int(duration.count()) * 10));
}

} // namespace

class tst_MemorySecretStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void backendName();
    void roundTrip();
    void overwrite();
    void remove();
    void removeMissingIsOk();
    void readMissingIsNotFound();
    void accountsAreIsolated();

    void completesLaterAndExactlyOnce_data();
    void completesLaterAndExactlyOnce();
    void injectedFailureIsReported_data();
    void injectedFailureIsReported();
    void injectedFailureCountRunsOut();
    void failedWriteKeepsPreviousValue();
    void hangEndsInTimeout_data();
    void hangEndsInTimeout();

    void destroyedContextIsNeverCalled_data();
    void destroyedContextIsNeverCalled();
    void nullContextIsCalled();
    void storeDestroyedBeforeDeliveryStillCompletes();
    void callbackMayStartAnotherCall();

    void toErrorMapsEveryStatus_data();
    void toErrorMapsEveryStatus();
};

void tst_MemorySecretStore::backendName()
{
    ScriptedSecretStore store;
    QCOMPARE(store.backendName(), QStringLiteral("memory"));
    QCOMPARE(store.timeout(), 10000ms);
}

void tst_MemorySecretStore::roundTrip()
{
    ScriptedSecretStore store;
    auto written = std::make_shared<Outcome>();
    start(store, Operation::Write, QStringLiteral("alice"), this, written, "refresh-1");
    QTRY_COMPARE_WITH_TIMEOUT(written->calls, 1, 5000);
    QCOMPARE(written->result.status, Status::Ok);
    QVERIFY(written->result.ok());
    QVERIFY(store.contains(QStringLiteral("alice")));
    QVERIFY(store.peek(QStringLiteral("alice")).equals(QByteArrayView("refresh-1")));
    QCOMPARE(store.writeCount(), 1);

    auto read = std::make_shared<Outcome>();
    start(store, Operation::Read, QStringLiteral("alice"), this, read);
    QTRY_COMPARE_WITH_TIMEOUT(read->calls, 1, 5000);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("refresh-1")));
}

void tst_MemorySecretStore::overwrite()
{
    ScriptedSecretStore store;
    auto first = std::make_shared<Outcome>();
    auto second = std::make_shared<Outcome>();
    start(store, Operation::Write, QStringLiteral("alice"), this, first, "old");
    start(store, Operation::Write, QStringLiteral("alice"), this, second, "new-value");
    QTRY_COMPARE_WITH_TIMEOUT(second->calls, 1, 5000);
    QCOMPARE(first->calls, 1);
    QCOMPARE(second->result.status, Status::Ok);
    QCOMPARE(store.writeCount(), 2);

    auto read = std::make_shared<Outcome>();
    start(store, Operation::Read, QStringLiteral("alice"), this, read);
    QTRY_COMPARE_WITH_TIMEOUT(read->calls, 1, 5000);
    QVERIFY(read->secret.equals(QByteArrayView("new-value")));
}

void tst_MemorySecretStore::remove()
{
    ScriptedSecretStore store;
    auto written = std::make_shared<Outcome>();
    start(store, Operation::Write, QStringLiteral("alice"), this, written);
    QTRY_COMPARE_WITH_TIMEOUT(written->calls, 1, 5000);

    auto removed = std::make_shared<Outcome>();
    start(store, Operation::Remove, QStringLiteral("alice"), this, removed);
    QTRY_COMPARE_WITH_TIMEOUT(removed->calls, 1, 5000);
    QCOMPARE(removed->result.status, Status::Ok);
    QVERIFY(!store.contains(QStringLiteral("alice")));
    QVERIFY(store.peek(QStringLiteral("alice")).isEmpty());

    auto read = std::make_shared<Outcome>();
    start(store, Operation::Read, QStringLiteral("alice"), this, read);
    QTRY_COMPARE_WITH_TIMEOUT(read->calls, 1, 5000);
    QCOMPARE(read->result.status, Status::NotFound);
    QVERIFY(read->secret.isEmpty());
}

void tst_MemorySecretStore::removeMissingIsOk()
{
    ScriptedSecretStore store;
    auto removed = std::make_shared<Outcome>();
    start(store, Operation::Remove, QStringLiteral("nobody"), this, removed);
    QTRY_COMPARE_WITH_TIMEOUT(removed->calls, 1, 5000);
    QCOMPARE(removed->result.status, Status::Ok);
}

void tst_MemorySecretStore::readMissingIsNotFound()
{
    ScriptedSecretStore store;
    auto read = std::make_shared<Outcome>();
    start(store, Operation::Read, QStringLiteral("nobody"), this, read);
    QTRY_COMPARE_WITH_TIMEOUT(read->calls, 1, 5000);
    QCOMPARE(read->result.status, Status::NotFound);
    QVERIFY(!read->result.ok());
    QVERIFY(read->secret.isEmpty());
}

void tst_MemorySecretStore::accountsAreIsolated()
{
    ScriptedSecretStore store;
    auto a = std::make_shared<Outcome>();
    auto b = std::make_shared<Outcome>();
    start(store, Operation::Write, QStringLiteral("alice"), this, a, "a-secret");
    start(store, Operation::Write, QStringLiteral("bob"), this, b, "b-secret");
    QTRY_COMPARE_WITH_TIMEOUT(b->calls, 1, 5000);
    QVERIFY(store.peek(QStringLiteral("alice")).equals(QByteArrayView("a-secret")));
    QVERIFY(store.peek(QStringLiteral("bob")).equals(QByteArrayView("b-secret")));

    auto removed = std::make_shared<Outcome>();
    start(store, Operation::Remove, QStringLiteral("alice"), this, removed);
    QTRY_COMPARE_WITH_TIMEOUT(removed->calls, 1, 5000);
    QVERIFY(!store.contains(QStringLiteral("alice")));
    QVERIFY(store.contains(QStringLiteral("bob")));
}

void tst_MemorySecretStore::completesLaterAndExactlyOnce_data()
{
    QTest::addColumn<Operation>("operation");
    QTest::addColumn<bool>("injectFailure");
    for (Operation op : {Operation::Read, Operation::Write, Operation::Remove}) {
        const char *name = ScriptedSecretStore::name(op);
        QTest::addRow("%s-ok", name) << op << false;
        QTest::addRow("%s-failed", name) << op << true;
    }
}

void tst_MemorySecretStore::completesLaterAndExactlyOnce()
{
    QFETCH(Operation, operation);
    QFETCH(bool, injectFailure);
    ScriptedSecretStore store;
    store.setTimeout(200ms);
    if (injectFailure)
        store.setFailure(operation, Status::Failed);

    auto outcome = std::make_shared<Outcome>();
    start(store, operation, QStringLiteral("alice"), this, outcome);
    // Not inside the call, even though the memory backend knows the answer at once.
    QCOMPARE(outcome->calls, 0);
    QTRY_COMPARE_WITH_TIMEOUT(outcome->calls, 1, 5000);
    // Exactly once: the timeout that would have fired meanwhile adds nothing.
    runEventLoopFor(300ms);
    QCOMPARE(outcome->calls, 1);
    QCOMPARE(outcome->result.status,
             injectFailure                          ? Status::Failed
                     : operation == Operation::Read ? Status::NotFound
                                                    : Status::Ok);
}

void tst_MemorySecretStore::injectedFailureIsReported_data()
{
    QTest::addColumn<Operation>("operation");
    QTest::addColumn<Status>("status");
    const QMetaEnum statuses = QMetaEnum::fromType<Status>();
    for (Operation op : {Operation::Read, Operation::Write, Operation::Remove}) {
        for (Status s : {Status::NotFound, Status::Unavailable, Status::Locked,
                         Status::AccessDenied, Status::TooLarge, Status::Timeout, Status::Failed}) {
            QTest::addRow("%s-%s", ScriptedSecretStore::name(op), statuses.valueToKey(int(s)))
                    << op << s;
        }
    }
}

void tst_MemorySecretStore::injectedFailureIsReported()
{
    QFETCH(Operation, operation);
    QFETCH(Status, status);
    ScriptedSecretStore store;
    auto seeded = std::make_shared<Outcome>();
    start(store, Operation::Write, QStringLiteral("alice"), this, seeded, "seed");
    QTRY_COMPARE_WITH_TIMEOUT(seeded->calls, 1, 5000);

    store.setFailure(operation, status);
    auto outcome = std::make_shared<Outcome>();
    start(store, operation, QStringLiteral("alice"), this, outcome);
    QCOMPARE(outcome->calls, 0);
    QTRY_COMPARE_WITH_TIMEOUT(outcome->calls, 1, 5000);
    QCOMPARE(outcome->result.status, status);
    QVERIFY(!outcome->result.message.isEmpty());
    QVERIFY(outcome->secret.isEmpty());
    // A failed call changed nothing.
    QVERIFY(store.peek(QStringLiteral("alice")).equals(QByteArrayView("seed")));

    // count -1 means "every call": the next one fails too.
    auto again = std::make_shared<Outcome>();
    start(store, operation, QStringLiteral("alice"), this, again);
    QTRY_COMPARE_WITH_TIMEOUT(again->calls, 1, 5000);
    QCOMPARE(again->result.status, status);

    store.clearFailures();
    auto cleared = std::make_shared<Outcome>();
    start(store, operation, QStringLiteral("alice"), this, cleared);
    QTRY_COMPARE_WITH_TIMEOUT(cleared->calls, 1, 5000);
    QCOMPARE(cleared->result.status, Status::Ok);
}

void tst_MemorySecretStore::injectedFailureCountRunsOut()
{
    ScriptedSecretStore store;
    store.setFailure(Operation::Write, Status::Locked, 2);
    QList<std::shared_ptr<Outcome>> outcomes;
    for (int i = 0; i < 3; ++i) {
        outcomes.append(std::make_shared<Outcome>());
        start(store, Operation::Write, QStringLiteral("alice"), this, outcomes.last());
    }
    QTRY_COMPARE_WITH_TIMEOUT(outcomes.last()->calls, 1, 5000);
    QCOMPARE(outcomes.at(0)->result.status, Status::Locked);
    QCOMPARE(outcomes.at(1)->result.status, Status::Locked);
    QCOMPARE(outcomes.at(2)->result.status, Status::Ok);
    QCOMPARE(store.writeCount(), 1);
}

void tst_MemorySecretStore::failedWriteKeepsPreviousValue()
{
    ScriptedSecretStore store;
    auto first = std::make_shared<Outcome>();
    start(store, Operation::Write, QStringLiteral("alice"), this, first, "old");
    store.setFailure(Operation::Write, Status::Failed, 1);
    auto second = std::make_shared<Outcome>();
    start(store, Operation::Write, QStringLiteral("alice"), this, second, "new");
    QTRY_COMPARE_WITH_TIMEOUT(second->calls, 1, 5000);
    QCOMPARE(first->result.status, Status::Ok);
    QCOMPARE(second->result.status, Status::Failed);
    QVERIFY(store.peek(QStringLiteral("alice")).equals(QByteArrayView("old")));
    QCOMPARE(store.writeCount(), 1);
}

void tst_MemorySecretStore::hangEndsInTimeout_data()
{
    QTest::addColumn<Operation>("operation");
    QTest::newRow("read") << Operation::Read;
    QTest::newRow("write") << Operation::Write;
    QTest::newRow("remove") << Operation::Remove;
}

void tst_MemorySecretStore::hangEndsInTimeout()
{
    QFETCH(Operation, operation);
    ScriptedSecretStore store;
    store.setTimeout(200ms);
    store.setHang(operation, true);

    QElapsedTimer elapsed;
    elapsed.start();
    auto outcome = std::make_shared<Outcome>();
    start(store, operation, QStringLiteral("alice"), this, outcome);
    QTRY_COMPARE_WITH_TIMEOUT(outcome->calls, 1, 5000);
    const qint64 ms = elapsed.elapsed();
    QCOMPARE(outcome->result.status, Status::Timeout);
    QVERIFY(!outcome->result.message.isEmpty());
    // Coarse timers may fire up to 5% early; the upper bound is generous for loaded CI.
    QVERIFY2(ms >= 180 && ms < 3000, qPrintable(QString::number(ms)));
    runEventLoopFor(300ms);
    QCOMPARE(outcome->calls, 1);

    store.setHang(operation, false);
    auto next = std::make_shared<Outcome>();
    start(store, operation, QStringLiteral("alice"), this, next);
    QTRY_COMPARE_WITH_TIMEOUT(next->calls, 1, 5000);
    QVERIFY(next->result.status != Status::Timeout);
}

void tst_MemorySecretStore::destroyedContextIsNeverCalled_data()
{
    QTest::addColumn<Operation>("operation");
    QTest::addColumn<bool>("hang");
    for (Operation op : {Operation::Read, Operation::Write, Operation::Remove}) {
        const char *name = ScriptedSecretStore::name(op);
        QTest::addRow("%s-answered", name) << op << false;
        QTest::addRow("%s-timed-out", name) << op << true;
    }
}

void tst_MemorySecretStore::destroyedContextIsNeverCalled()
{
    QFETCH(Operation, operation);
    QFETCH(bool, hang);
    ScriptedSecretStore store;
    store.setTimeout(200ms);
    store.setHang(operation, hang);

    auto *context = new QObject;
    auto dead = std::make_shared<Outcome>();
    start(store, operation, QStringLiteral("alice"), context, dead);
    // A second call with a living context shows the store did complete.
    auto alive = std::make_shared<Outcome>();
    start(store, operation, QStringLiteral("alice"), this, alive);
    delete context;

    QTRY_COMPARE_WITH_TIMEOUT(alive->calls, 1, 5000);
    runEventLoopFor(300ms);
    QCOMPARE(dead->calls, 0);
    QCOMPARE(alive->calls, 1);
}

void tst_MemorySecretStore::nullContextIsCalled()
{
    ScriptedSecretStore store;
    auto outcome = std::make_shared<Outcome>();
    start(store, Operation::Read, QStringLiteral("alice"), nullptr, outcome);
    QTRY_COMPARE_WITH_TIMEOUT(outcome->calls, 1, 5000);
    QCOMPARE(outcome->result.status, Status::NotFound);
}

void tst_MemorySecretStore::storeDestroyedBeforeDeliveryStillCompletes()
{
    auto store = std::make_unique<ScriptedSecretStore>();
    store->setTimeout(200ms);
    auto answered = std::make_shared<Outcome>();
    auto hung = std::make_shared<Outcome>();
    start(*store, Operation::Write, QStringLiteral("alice"), this, answered);
    store->setHang(Operation::Read, true);
    start(*store, Operation::Read, QStringLiteral("alice"), this, hung);
    store.reset();
    QTRY_COMPARE_WITH_TIMEOUT(answered->calls, 1, 5000);
    QCOMPARE(answered->result.status, Status::Ok);
    QTRY_COMPARE_WITH_TIMEOUT(hung->calls, 1, 5000);
    QCOMPARE(hung->result.status, Status::Timeout);
}

void tst_MemorySecretStore::callbackMayStartAnotherCall()
{
    ScriptedSecretStore store;
    auto read = std::make_shared<Outcome>();
    store.write(QStringLiteral("alice"), SecretBytes(QByteArrayView("chained")), this,
                [&store, this, read](SecretStore::Result result) {
                    QCOMPARE(result.status, Status::Ok);
                    start(store, Operation::Read, QStringLiteral("alice"), this, read);
                    QCOMPARE(read->calls, 0); // still not inside the call
                });
    QTRY_COMPARE_WITH_TIMEOUT(read->calls, 1, 5000);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("chained")));
}

void tst_MemorySecretStore::toErrorMapsEveryStatus_data()
{
    QTest::addColumn<Status>("status");
    QTest::addColumn<Error>("error");
    QTest::newRow("Ok") << Status::Ok << Error::NoError;
    QTest::newRow("NotFound") << Status::NotFound << Error::NotSignedIn;
    QTest::newRow("Unavailable") << Status::Unavailable << Error::StorageUnavailable;
    QTest::newRow("Locked") << Status::Locked << Error::StorageLocked;
    QTest::newRow("AccessDenied") << Status::AccessDenied << Error::StorageAccessDenied;
    QTest::newRow("TooLarge") << Status::TooLarge << Error::StorageTooLarge;
    QTest::newRow("Timeout") << Status::Timeout << Error::StorageTimeout;
    QTest::newRow("Failed") << Status::Failed << Error::StorageFailed;
}

void tst_MemorySecretStore::toErrorMapsEveryStatus()
{
    QFETCH(Status, status);
    QFETCH(Error, error);
    QCOMPARE(SecretStore::toError(status), error);
}

QTEST_GUILESS_MAIN(tst_MemorySecretStore)
#include "tst_memorysecretstore.moc"
