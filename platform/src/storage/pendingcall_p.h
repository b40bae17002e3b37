// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/secretstore.h>

#include <QDeadlineTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <deque>
#include <functional>

namespace SecureTokens::Internal {

/*!
    One SecretStore call in flight: the machinery behind the async contract
    (secretstore.h) that every backend shares.

    \list
    \li finish() may be called any number of times, from inside the call or
        later; only the first result counts (exactly once);
    \li the callback is always delivered through the event loop, never inside
        finish() (so never inside read()/write()/remove());
    \li a timer completes the call with Timeout after the store's timeout();
        a backend answer arriving later is dropped;
    \li the callback is skipped when the caller's context object is gone.
    \endlist

    A PendingCall has no parent: it deletes itself once it has delivered, so it
    outlives the store that created it and backends can use it as the context
    of their connections (a late answer after deletion then goes nowhere).
    Hence it is only made by create(), never on the stack, and never deleted by
    its creator.
*/
class PendingCall : public QObject
{
public:
    //! A new call (its timer runs from now); it deletes itself once it has delivered.
    static PendingCall *create(QObject *context, std::chrono::milliseconds timeout,
                               SecretStore::ReadCallback done);
    //! For write() and remove(): the secret argument is dropped.
    static PendingCall *create(QObject *context, std::chrono::milliseconds timeout,
                               SecretStore::Callback done);
    ~PendingCall() override;

    //! Completes the call (first call wins) and queues the callback.
    void finish(SecretStore::Status status, const QString &message = {}, SecretBytes secret = {});

    //! Whether a result has been recorded (a backend must stop doing work then).
    bool isFinished() const { return m_finished; }
    //! Time left before the call times out (for nested backend timeouts).
    std::chrono::milliseconds remaining() const;
    /*!
        What the timer reports instead of the generic Timeout, when a backend
        has learnt why it may not answer (KWallet: the wallet is closed and its
        password dialog is waiting for the user). No effect once finished.
    */
    void setTimeoutResult(SecretStore::Status status, const QString &message);
    //! Runs \a hook once, right after the result is recorded (used by CallQueue).
    void setFinishHook(std::function<void()> hook) { m_finishHook = std::move(hook); }

private:
    Q_DISABLE_COPY_MOVE(PendingCall)

    PendingCall(QObject *context, std::chrono::milliseconds timeout,
                SecretStore::ReadCallback done);
    void deliver();

    QPointer<QObject> m_context;
    bool m_hasContext = false;
    bool m_finished = false;
    SecretStore::ReadCallback m_done;
    SecretStore::Result m_result;
    SecretBytes m_secret;
    QTimer m_timer;
    QDeadlineTimer m_deadline;
    SecretStore::Status m_timeoutStatus = SecretStore::Status::Timeout;
    QString m_timeoutMessage;
    std::function<void()> m_finishHook;
};

/*!
    Runs a store's calls one at a time, in the order they were made. A call
    starts when the previous one has finished (answered or timed out); a call
    that timed out while waiting is never started. This keeps a write and its
    read-back together, so two writes in a row cannot make each other's
    verification fail.

    Destroying the queue starts whatever still waits (the calls hold
    everything they need), so no call is lost with the store.
*/
class CallQueue : public QObject
{
public:
    explicit CallQueue(QObject *parent = nullptr) : QObject(parent) { }
    ~CallQueue() override;

    void enqueue(PendingCall *call, std::function<void()> start);

private:
    Q_DISABLE_COPY_MOVE(CallQueue)

    struct Entry
    {
        QPointer<PendingCall> call;
        std::function<void()> start;
    };
    void startNext();

    std::deque<Entry> m_waiting;
    QPointer<PendingCall> m_running;
};

} // namespace SecureTokens::Internal
