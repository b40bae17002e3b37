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
    m_secrets[account] = secret.clone(); // the replaced value is wiped by its destructor
    call->finish(Status::Ok);
}

void MemorySecretStore::remove(const QString &account, QObject *context, Callback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    m_secrets.erase(account); // removing a missing entry is Ok (secretstore.h)
    call->finish(Status::Ok);
}

QString MemorySecretStore::backendName() const
{
    return QStringLiteral("memory");
}

} // namespace SecureTokens
