// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/secretstore.h>

#include <memory>

namespace SecureTokens {

/*!
    An opt-in SecretStore for machines without a platform keyring (headless
    Linux servers, containers): StoragePolicy::EncryptedFile.

    One file per store holds the values of all accounts, encrypted together
    with AES-256-GCM under a key derived from an application-supplied
    passphrase with scrypt (RFC 7914; N = 2^16, r = 8, p = 1, random 16-byte
    salt; the parameters and salt are in the file's versioned header, which is
    authenticated as GCM additional data). Every write uses a fresh random
    96-bit nonce and replaces the file atomically (QSaveFile) with mode 0600.
    Account names are inside the ciphertext too.

    Protection is only as good as the passphrase and where it comes from: a
    passphrase stored next to the file protects nothing (docs/security-model.md).

    The key derivation is slow on purpose (about 0.3–0.6 s, 64 MiB), so it runs
    on a worker thread, once per file salt; the key is then kept in memory (a
    SecretBytes) for the store's lifetime.

    Failures are typed, and a file that cannot be opened is never overwritten:
    \list
    \li wrong passphrase → AccessDenied, and writes and removes are refused
        (AccessDenied) while the passphrase does not open the existing file;
    \li damaged, truncated or foreign file → Failed with a message saying which,
        and the file is left as it is (delete it to start over);
    \li missing file → NotFound on read; a write creates it (and its directory);
    \li directory not writable → Failed.
    \endlist

    Calls on one store run one after another. Two processes writing the same
    file at the same moment: the later write wins for all accounts in it (the
    SDK's cross-process refresh lock serializes its own writers per account).
*/
class SECURETOKENS_EXPORT EncryptedFileSecretStore : public SecretStore
{
    Q_OBJECT

public:
    /*!
        \a path is the file; \a passphrase is shared, not copied, and must not
        change afterwards. A null or empty passphrase makes every call fail
        with Unavailable.
    */
    EncryptedFileSecretStore(const QString &path, std::shared_ptr<const SecretBytes> passphrase,
                             QObject *parent = nullptr);
    ~EncryptedFileSecretStore() override;

    //! The file this store reads and writes.
    QString path() const;

    void read(const QString &account, QObject *context, ReadCallback done) override;
    void write(const QString &account, const SecretBytes &secret, QObject *context,
               Callback done) override;
    void remove(const QString &account, QObject *context, Callback done) override;
    //! "encrypted-file"
    QString backendName() const override;

    //! Largest value written (bytes); larger values fail with TooLarge.
    static constexpr qsizetype maxValueSize = qsizetype(64) * 1024;

private:
    Q_DISABLE_COPY_MOVE(EncryptedFileSecretStore)

    class Private;
    std::unique_ptr<Private> d;
};

} // namespace SecureTokens
