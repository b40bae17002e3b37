// SPDX-License-Identifier: MIT
#pragma once

// A MemorySecretStore that tests can script: make the next calls of one kind
// fail with a status or hang until their timeout, and look at what is stored
// without an asynchronous read. Test-only: production code never injects a
// failure (docs/architecture.md, "test hooks").

#include <securetokens/memorysecretstore.h>

#include <QCoreApplication>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <map>

class ScriptedSecretStore : public SecureTokens::MemorySecretStore
{
public:
    enum class Operation : quint8 { Read, Write, Remove };
    //! "Read", "Write" or "Remove" (test row names).
    static const char *name(Operation operation)
    {
        return operation == Operation::Read     ? "Read"
                : operation == Operation::Write ? "Write"
                                                : "Remove";
    }
    using Status = SecureTokens::SecretStore::Status;
    using SecretBytes = SecureTokens::SecretBytes;

    explicit ScriptedSecretStore(QObject *parent = nullptr) : MemorySecretStore(parent) { }

    void read(const QString &account, QObject *context, ReadCallback done) override
    {
        if (inject(Operation::Read, context, [done](Result result) { done(result, {}); }))
            return;
        MemorySecretStore::read(account, context, std::move(done));
        if (m_afterRead)
            m_afterRead(account); // the read is queued, its answer not given yet
    }

    void write(const QString &account, const SecretBytes &secret, QObject *context,
               Callback done) override
    {
        if (inject(Operation::Write, context, done))
            return;
        m_mirror[account] = secret.clone();
        ++m_writeCount;
        ++m_writesOf[account];
        MemorySecretStore::write(account, secret, context, std::move(done));
    }

    void remove(const QString &account, QObject *context, Callback done) override
    {
        if (inject(Operation::Remove, context, done))
            return;
        m_mirror.erase(account);
        MemorySecretStore::remove(account, context, std::move(done));
    }

    //! Makes the next \a count calls of \a operation fail with \a status (-1: all of them).
    void setFailure(Operation operation, Status status, int count = -1)
    {
        Injected &injected = m_injected[operation];
        injected.status = status;
        injected.remaining = status == Status::Ok ? 0 : count;
    }
    //! Makes calls of \a operation never answer by themselves: they time out.
    void setHang(Operation operation, bool hang) { m_injected[operation].hang = hang; }
    //! Called when a read() is queued, before it answers: for races a test must place exactly.
    void setAfterRead(std::function<void(const QString &)> hook) { m_afterRead = std::move(hook); }
    //! Removes injected failures and hangs.
    void clearFailures() { m_injected.clear(); }

    //! Whether a secret is stored for \a account.
    bool contains(const QString &account) const { return m_mirror.count(account) > 0; }
    //! A copy of the stored secret (empty when none).
    SecretBytes peek(const QString &account) const
    {
        const auto it = m_mirror.find(account);
        return it == m_mirror.end() ? SecretBytes() : it->second.clone();
    }
    //! Number of write() calls that stored a value (injected failures not counted).
    int writeCount() const { return m_writeCount; }
    //! The same for one account (the SDK also writes its account list, "#accounts").
    int writeCount(const QString &account) const
    {
        const auto it = m_writesOf.find(account);
        return it == m_writesOf.end() ? 0 : it->second;
    }

private:
    struct Injected
    {
        Status status = Status::Ok;
        int remaining = 0; // -1: forever
        bool hang = false;
    };

    // Answers like a real backend would: later, exactly once, not for a dead
    // context; a hang answers Timeout once timeout() has passed.
    bool inject(Operation operation, QObject *context, const Callback &done)
    {
        const auto it = m_injected.find(operation);
        if (it == m_injected.end())
            return false;
        Injected &injected = it->second;
        Result result;
        std::chrono::milliseconds delay {0};
        if (injected.hang) {
            result = {Status::Timeout, QStringLiteral("The backend did not answer in time")};
            delay = timeout();
        } else if (injected.remaining != 0) {
            if (injected.remaining > 0)
                --injected.remaining;
            result = {injected.status, QStringLiteral("Injected failure")};
        } else {
            return false;
        }
        QPointer<QObject> guard(context);
        const bool hasContext = context != nullptr;
        // Not the store as the timer's context: like every call, this one
        // completes even when the store is destroyed first.
        QTimer::singleShot(delay, QCoreApplication::instance(), [guard, hasContext, done, result] {
            if (!hasContext || guard)
                done(result);
        });
        return true;
    }

    std::function<void(const QString &)> m_afterRead;
    std::map<Operation, Injected> m_injected;
    std::map<QString, SecretBytes> m_mirror;
    int m_writeCount = 0;
    std::map<QString, int> m_writesOf;
};
