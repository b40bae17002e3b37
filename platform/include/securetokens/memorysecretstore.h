// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/secretstore.h>

#include <map>

namespace SecureTokens {

/*!
    Keeps secrets in this process's memory only (SecretBytes, wiped on removal
    and destruction): StoragePolicy::SessionOnly. Keeps the SecretStore
    contract like every backend (answers later, exactly once).
*/
class SECURETOKENS_EXPORT MemorySecretStore : public SecretStore
{
    Q_OBJECT

public:
    //! An empty store; its secrets are wiped when it is destroyed.
    explicit MemorySecretStore(QObject *parent = nullptr);
    ~MemorySecretStore() override;

    void read(const QString &account, QObject *context, ReadCallback done) override;
    void write(const QString &account, const SecretBytes &secret, QObject *context,
               Callback done) override;
    void remove(const QString &account, QObject *context, Callback done) override;
    QString backendName() const override;

private:
    Q_DISABLE_COPY_MOVE(MemorySecretStore)

    std::map<QString, SecretBytes> m_secrets;
};

} // namespace SecureTokens
