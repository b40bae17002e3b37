// SPDX-License-Identifier: MIT
// Race canary for the ThreadSanitizer stage: a deliberate data race across a
// QThread, shaped like the SDK bug it stands for. A worker object lives in its
// own QThread; the caller emits a signal queued to a slot of the worker that
// writes `value`, then writes `value` itself without waiting. Neither write
// happens before the other, so TSan must report the race whichever runs first.
//
// Every stack of the report passes through libQt6Core: the worker's write is
// made by a slot that QtCore's event loop calls (QObject::event), the thread
// was started by QThread::start(). A suppression that matches a whole Qt
// library (race:libQt6Core.so) therefore silences it, as it would silence a
// real race in SDK slots. tests/sanitizers/expect-report.cmake runs this and
// passes only when TSan reports this race (both functions below named in it).
//
// Nothing here is freed: freeing on either thread would be a second finding
// (a race with the delete, as Qt's own hand-over to the worker is invisible
// to TSan) that could come first and end the run.

#include <QCoreApplication>
#include <QThread>

namespace {

class Counter : public QObject
{
public:
    int value = 0; // deliberately unguarded

    // Runs on the worker thread, called from QtCore's event loop.
    void bumpOnWorker()
    {
        value = 1;
        QThread::currentThread()->quit();
    }

    // Runs on the thread that emitted Caller::bump(), without waiting.
    void bumpOnCaller() { value = 2; }
};

class Caller : public QObject
{
    Q_OBJECT
Q_SIGNALS:
    void bump();
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QThread worker;
    worker.setObjectName(QStringLiteral("canary-worker"));
    static Counter *const counter = new Counter;
    static Caller *const caller = new Caller;
    counter->moveToThread(&worker);
    QObject::connect(caller, &Caller::bump, counter, &Counter::bumpOnWorker, Qt::QueuedConnection);
    worker.start();

    Q_EMIT caller->bump();
    counter->bumpOnCaller(); // the race

    worker.wait();
    return 0;
}

#include "canary_race.moc"
