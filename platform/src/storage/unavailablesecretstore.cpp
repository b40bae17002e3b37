// SPDX-License-Identifier: MIT
#include "unavailablesecretstore.h"

#include "pendingcall_p.h"

namespace SecureTokens::Internal {

UnavailableSecretStore::UnavailableSecretStore(QString backend, QString why, QObject *parent)
    : SecretStore(parent), m_backend(std::move(backend)), m_why(std::move(why))
{ }

void UnavailableSecretStore::read(const QString &, QObject *context, ReadCallback done)
{
    PendingCall::create(context, timeout(), std::move(done))->finish(Status::Unavailable, m_why);
}

void UnavailableSecretStore::write(const QString &, const SecretBytes &, QObject *context,
                                   Callback done)
{
    PendingCall::create(context, timeout(), std::move(done))->finish(Status::Unavailable, m_why);
}

void UnavailableSecretStore::remove(const QString &, QObject *context, Callback done)
{
    PendingCall::create(context, timeout(), std::move(done))->finish(Status::Unavailable, m_why);
}

} // namespace SecureTokens::Internal
