// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/secretstore.h>

namespace SecureTokens::Internal {

/*!
    The store of a storage policy that has no backend here (e.g.
    StoragePolicy::EncryptedFile without a path or a passphrase): every call
    completes with Unavailable and \a why, so the application hears of it
    instead of the session silently choosing another place. Platform internal
    API, used by the session.
*/
class UnavailableSecretStore final : public SecretStore
{
public:
    UnavailableSecretStore(QString backend, QString why, QObject *parent = nullptr);

    void read(const QString &account, QObject *context, ReadCallback done) override;
    void write(const QString &account, const SecretBytes &secret, QObject *context,
               Callback done) override;
    void remove(const QString &account, QObject *context, Callback done) override;
    QString backendName() const override { return m_backend; }

private:
    const QString m_backend;
    const QString m_why;
};

} // namespace SecureTokens::Internal
