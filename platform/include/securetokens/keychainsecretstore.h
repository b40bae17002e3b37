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

    Values larger than what one backend entry holds (backendEntryLimit(): 2560
    bytes on Windows, 245 on Android) are split over several entries: the head
    under \a account, the rest under "account#1", "account#2", ... The head
    starts with a small header (magic, version, entry count, total length,
    SHA-256 of the whole value), chunks are written last to first and the head
    last, and a read checks length and hash, so a torn multi-entry write is
    reported as Failed, never returned as a wrong value. Account names ending
    in '#' and digits are therefore reserved (Failed).
*/
class SECURETOKENS_EXPORT KeychainSecretStore : public SecretStore
{
    Q_OBJECT

public:
    /*!
        A store for the entries of \a service (the application's storage
        namespace, e.g. "com.example.myapp"), with the platform's
        defaultBackendEntryLimit() and defaultTimeout().
    */
    explicit KeychainSecretStore(QString service, QObject *parent = nullptr);
    ~KeychainSecretStore() override;

    //! The service name the entries are stored under.
    QString service() const;

    void read(const QString &account, QObject *context, ReadCallback done) override;
    void write(const QString &account, const SecretBytes &secret, QObject *context,
               Callback done) override;
    void remove(const QString &account, QObject *context, Callback done) override;
    QString backendName() const override;

    /*!
        Largest value written (bytes); larger values fail with TooLarge without
        touching the backend. Values above backendEntryLimit() are split over
        several entries (docs/platforms.md).
    */
    static constexpr qsizetype maxValueSize = qsizetype(64) * 1024;

    /*!
        The most bytes one backend entry holds on this platform: 2560 on Windows
        (CRED_MAX_CREDENTIAL_BLOB_SIZE), 245 on Android (one RSA-2048 PKCS#1
        block; unverified), maxValueSize elsewhere (no small limit known).
    */
    static qsizetype defaultBackendEntryLimit();
    /*!
        The timeout() a new store starts with on this platform: long enough
        for the slow cases reported in the field, short enough that a hung
        daemon is reported. 60 s on Windows (DPAPI reads of 10-17 s each
        with enterprise endpoint protection, and a split value is several
        reads) and Android (Keystore operations of seconds each, one per
        245-byte chunk), 20 s on Apple platforms (a keychain access prompt),
        10 s elsewhere (a Secret Service or KWallet unlock dialog then ends
        in Locked; docs/platforms.md). Every call is asynchronous: the UI
        never waits on it, whatever the value. setTimeout() changes it.
    */
    static std::chrono::milliseconds defaultTimeout();
    //! Where this store splits values: defaultBackendEntryLimit(), unless a test set another.
    qsizetype backendEntryLimit() const { return m_entryLimit; }

private:
    Q_DISABLE_COPY_MOVE(KeychainSecretStore)

    QString m_service;
    qsizetype m_entryLimit;
    //! Runs this store's calls one at a time (a write and its read-back stay together).
    Internal::CallQueue *m_calls = nullptr; // child QObject
};

} // namespace SecureTokens
