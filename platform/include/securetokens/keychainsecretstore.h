// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/secretstore.h>

namespace SecureTokens {

namespace Internal {
class CallQueue;
}

/*!
    Secure storage through QtKeychain: Keychain on macOS and iOS, Keystore on
    Android, Credential Manager (DPAPI) on Windows, Secret Service or KWallet
    on Linux. QtKeychain's insecure plaintext fallback is never enabled.

    Entries are stored under (service, account). Every write is read back and
    compared before it is reported Ok, because some backends report success for
    writes they dropped. Each call times out after timeout() even if the
    backend daemon hangs; the late answer, if any, is then ignored. Calls on
    one store run one after another, in the order they were made.
*/
class SECURETOKENS_EXPORT KeychainSecretStore : public SecretStore
{
    Q_OBJECT

public:
    explicit KeychainSecretStore(const QString &service, QObject *parent = nullptr);
    ~KeychainSecretStore() override;

    QString service() const;

    void read(const QString &account, QObject *context, ReadCallback done) override;
    void write(const QString &account, const SecretBytes &secret, QObject *context,
               Callback done) override;
    void remove(const QString &account, QObject *context, Callback done) override;
    QString backendName() const override;

    /*!
        Largest value written (bytes); larger values fail with TooLarge without
        touching the backend. 64 KiB; on Windows the Credential Manager's own
        limit of 2560 bytes applies (docs/platforms.md).
    */
    static constexpr qsizetype maxValueSize = 64 * 1024;

private:
    QString m_service;
    //! Runs this store's calls one at a time (a write and its read-back stay together).
    Internal::CallQueue *m_calls = nullptr; // child QObject
};

} // namespace SecureTokens
