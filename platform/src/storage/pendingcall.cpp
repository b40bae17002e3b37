// SPDX-License-Identifier: MIT
#include "pendingcall_p.h"

#include "core/invokelater.h"

namespace SecureTokens::Internal {

PendingCall::PendingCall(QObject *context, std::chrono::milliseconds timeout,
                         SecretStore::ReadCallback done)
    : m_context(context),
      m_hasContext(context != nullptr),
      m_done(std::move(done)),
      m_deadline(timeout)
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::CoarseTimer);
    m_timeoutMessage = QStringLiteral("The storage backend did not answer within %1 ms")
                               .arg(timeout.count());
    QObject::connect(&m_timer, &QTimer::timeout, this,
                     [this] { finish(m_timeoutStatus, m_timeoutMessage); });
    m_timer.start(timeout);
}

PendingCall *PendingCall::create(QObject *context, std::chrono::milliseconds timeout,
                                 SecretStore::ReadCallback done)
{
    return new PendingCall(context, timeout, std::move(done));
}

PendingCall *PendingCall::create(QObject *context, std::chrono::milliseconds timeout,
                                 SecretStore::Callback done)
{
    return new PendingCall(context, timeout,
                           [done = std::move(done)](SecretStore::Result result, SecretBytes) {
                               if (done)
                                   done(std::move(result));
                           });
}

PendingCall::~PendingCall() = default;

void PendingCall::setTimeoutResult(SecretStore::Status status, const QString &message)
{
    m_timeoutStatus = status;
    m_timeoutMessage = message;
}

void PendingCall::finish(SecretStore::Status status, const QString &message, SecretBytes secret)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timer.stop();
    m_result.status = status;
    m_result.message = message;
    m_secret = std::move(secret);
    if (auto hook = std::move(m_finishHook))
        hook();
    // Queued even when the backend answered synchronously: callers may rely on
    // the callback never running inside read()/write()/remove().
    invokeLater(this, [this] { deliver(); });
}

std::chrono::milliseconds PendingCall::remaining() const
{
    return std::chrono::milliseconds(qMax<qint64>(0, m_deadline.remainingTime()));
}

void PendingCall::deliver()
{
    // Move everything out first: the callback may start new calls, spin an
    // event loop or destroy the store.
    SecretStore::ReadCallback done = std::move(m_done);
    SecretStore::Result result = std::move(m_result);
    SecretBytes secret = std::move(m_secret);
    const bool contextAlive = !m_hasContext || !m_context.isNull();
    deleteLater();
    if (done && contextAlive)
        done(std::move(result), std::move(secret));
}

CallQueue::~CallQueue()
{
    for (Entry &entry : m_waiting) {
        if (entry.call && !entry.call->isFinished())
            entry.start();
    }
}

void CallQueue::enqueue(PendingCall *call, std::function<void()> start)
{
    m_waiting.push_back({call, std::move(start)});
    startNext();
}

void CallQueue::startNext()
{
    if (m_running && !m_running->isFinished())
        return; // one at a time; the running call's finish hook comes back here
    while (!m_waiting.empty()) {
        Entry entry = std::move(m_waiting.front());
        m_waiting.pop_front();
        if (!entry.call || entry.call->isFinished())
            continue; // timed out while waiting
        m_running = entry.call;
        QPointer<CallQueue> self(this);
        // Queued: a call that finishes inside start() must not recurse here.
        entry.call->setFinishHook([self] {
            if (self)
                invokeLater(self, [self] { self->startNext(); });
        });
        entry.start();
        return;
    }
    m_running.clear();
}

} // namespace SecureTokens::Internal
