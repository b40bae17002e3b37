// SPDX-License-Identifier: MIT
#include <securetokens/memorysecretstore.h>

#include "pendingcall_p.h"

namespace SecureTokens {

using Internal::PendingCall;

MemorySecretStore::MemorySecretStore(QObject *parent) : SecretStore(parent) { }

// The map's SecretBytes wipe themselves on destruction.
MemorySecretStore::~MemorySecretStore() = default;

void MemorySecretStore::read(const QString &account, QObject *context, ReadCallback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    Status injected = Status::Ok;
    bool hang = false;
    if (takeFailure(Operation::Read, &injected, &hang)) {
        if (!hang)
            call->finish(injected, QStringLiteral("Injected read failure"));
        return; // a hanging call is completed by its timeout
    }
    const auto it = m_secrets.find(account);
    if (it == m_secrets.end())
        call->finish(Status::NotFound, QStringLiteral("No secret stored for this account"));
    else
        call->finish(Status::Ok, {}, it->second.clone());
}

void MemorySecretStore::write(const QString &account, const SecretBytes &secret, QObject *context,
                              Callback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    Status injected = Status::Ok;
    bool hang = false;
    if (takeFailure(Operation::Write, &injected, &hang)) {
        if (!hang)
            call->finish(injected, QStringLiteral("Injected write failure"));
        return;
    }
    m_secrets[account] = secret.clone(); // the replaced value is wiped by its destructor
    ++m_writeCount;
    call->finish(Status::Ok);
}

void MemorySecretStore::remove(const QString &account, QObject *context, Callback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    Status injected = Status::Ok;
    bool hang = false;
    if (takeFailure(Operation::Remove, &injected, &hang)) {
        if (!hang)
            call->finish(injected, QStringLiteral("Injected remove failure"));
        return;
    }
    m_secrets.erase(account); // removing a missing entry is Ok (secretstore.h)
    call->finish(Status::Ok);
}

QString MemorySecretStore::backendName() const
{
    return QStringLiteral("memory");
}

void MemorySecretStore::setFailure(Operation operation, Status status, int count)
{
    Injected &injected = m_injected[operation];
    injected.status = status;
    injected.remaining = status == Status::Ok ? 0 : count;
}

void MemorySecretStore::setHang(Operation operation, bool hang)
{
    m_injected[operation].hang = hang;
}

void MemorySecretStore::clearFailures()
{
    m_injected.clear();
}

bool MemorySecretStore::contains(const QString &account) const
{
    return m_secrets.find(account) != m_secrets.end();
}

SecretBytes MemorySecretStore::peek(const QString &account) const
{
    const auto it = m_secrets.find(account);
    return it == m_secrets.end() ? SecretBytes() : it->second.clone();
}

int MemorySecretStore::writeCount() const
{
    return m_writeCount;
}

bool MemorySecretStore::takeFailure(Operation operation, Status *status, bool *hang)
{
    const auto it = m_injected.find(operation);
    if (it == m_injected.end())
        return false;
    Injected &injected = it->second;
    if (injected.hang) {
        *hang = true;
        return true;
    }
    if (injected.remaining == 0)
        return false;
    if (injected.remaining > 0)
        --injected.remaining;
    *status = injected.status;
    return true;
}

} // namespace SecureTokens
