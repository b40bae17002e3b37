// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/secretstore.h>

#include <map>

namespace SecureTokens {

/*!
    Keeps secrets in this process's memory only (SecretBytes, wiped on removal
    and destruction). Used for StoragePolicy::SessionOnly and by tests.

    For tests it can be told to fail: setFailure() makes the next calls of one
    kind complete with a given status, setHang() makes them never answer (so
    the timeout path is exercised).
*/
class SECURETOKENS_EXPORT MemorySecretStore : public SecretStore
{
    Q_OBJECT

public:
    enum class Operation : quint8 { Read, Write, Remove };
    Q_ENUM(Operation)

    explicit MemorySecretStore(QObject *parent = nullptr);
    ~MemorySecretStore() override;

    void read(const QString &account, QObject *context, ReadCallback done) override;
    void write(const QString &account, const SecretBytes &secret, QObject *context,
               Callback done) override;
    void remove(const QString &account, QObject *context, Callback done) override;
    QString backendName() const override;

    //! Makes the next \a count calls of \a operation fail with \a status (-1: all of them).
    void setFailure(Operation operation, Status status, int count = -1);
    //! Makes calls of \a operation never answer by themselves (they time out).
    void setHang(Operation operation, bool hang);
    //! Removes injected failures and hangs.
    void clearFailures();

    //! Test helper: whether a secret is stored for \a account.
    bool contains(const QString &account) const;
    //! Test helper: a copy of the stored secret (empty when none).
    SecretBytes peek(const QString &account) const;
    //! Number of write() calls that stored a value (injected failures not counted; test helper).
    int writeCount() const;

private:
    Q_DISABLE_COPY_MOVE(MemorySecretStore)

    struct Injected
    {
        Status status = Status::Ok;
        int remaining = 0; // -1: forever
        bool hang = false;
    };
    bool takeFailure(Operation operation, Status *status, bool *hang);

    std::map<QString, SecretBytes> m_secrets;
    std::map<Operation, Injected> m_injected;
    int m_writeCount = 0;
};

} // namespace SecureTokens
