// SPDX-License-Identifier: MIT
#include "unavailablesecretstore.h"

#include "pendingcall_p.h"

namespace SecureTokens::Internal {

UnavailableSecretStore::UnavailableSecretStore(QString backend, QString why, QObject *parent)
    : SecretStore(parent), m_backend(std::move(backend)), m_why(std::move(why))
{ }

void UnavailableSecretStore::read(const QString &account, QObject *context, ReadCallback done)
{
    Q_UNUSED(account)
    PendingCall::create(context, timeout(), std::move(done))->finish(Status::Unavailable, m_why);
}

void UnavailableSecretStore::write(const QString &account, const SecretBytes &secret,
                                   QObject *context, Callback done)
{
    Q_UNUSED(account)
    Q_UNUSED(secret)
    PendingCall::create(context, timeout(), std::move(done))->finish(Status::Unavailable, m_why);
}

void UnavailableSecretStore::remove(const QString &account, QObject *context, Callback done)
{
    Q_UNUSED(account)
    PendingCall::create(context, timeout(), std::move(done))->finish(Status::Unavailable, m_why);
}

} // namespace SecureTokens::Internal
