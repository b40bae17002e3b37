// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QObject>
#include <QPointer>
#include <QString>

#include <chrono>
#include <functional>

namespace SecureTokens {

/*!
    Asynchronous secure storage for small secrets (refresh tokens), keyed by an
    account name inside one service (the application's storage namespace).

    The contract every backend keeps (tested for each of them):
    \list
    \li read(), write() and remove() never complete inside the call: the
        callback runs later, from the event loop of the store's thread;
    \li the callback runs exactly once per call, also on failure and on timeout;
        it is not called when \a context has been destroyed meanwhile;
    \li every call has a timeout (timeout()), so a hung daemon cannot hang the app;
    \li the store never degrades to plaintext on its own.
    \endlist

    A store is used from the thread it lives in.
*/
class SECURETOKENS_EXPORT SecretStore : public QObject
{
    Q_OBJECT

public:
    //! How a read(), write() or remove() call ended.
    enum class Status : quint8 {
        Ok, //!< done (for remove(): also when there was nothing to remove)
        NotFound, //!< nothing stored under that account (read), or nothing to remove
        Unavailable, //!< no backend: no D-Bus session, no Secret Service, no keychain
        Locked, //!< the backend is there but locked (e.g. a locked login keyring)
        AccessDenied, //!< the user or OS refused access
        TooLarge, //!< the value exceeds what the backend can hold
        Timeout, //!< the backend did not answer within timeout()
        Failed, //!< anything else (message says what)
    };
    Q_ENUM(Status)

    //! The outcome of one call: a Status and, on failure, what went wrong.
    struct Result
    {
        Status status = Status::Ok; //!< how the call ended
        QString message; //!< human-readable detail; never contains the secret
        //! True when status is Ok.
        bool ok() const { return status == Status::Ok; }
    };

    //! Completion of read(): the secret is empty unless the result is Ok.
    using ReadCallback = std::function<void(Result result, SecretBytes secret)>;
    //! Completion of write() and remove().
    using Callback = std::function<void(Result result)>;

    //! For backends: a store with the default timeout(), used from \a parent's thread.
    explicit SecretStore(QObject *parent = nullptr);
    ~SecretStore() override;

    //! Reads the secret stored for \a account. NotFound when there is none.
    virtual void read(const QString &account, QObject *context, ReadCallback done) = 0;
    //! Stores \a secret for \a account, replacing any previous value.
    virtual void write(const QString &account, const SecretBytes &secret, QObject *context,
                       Callback done)
            = 0;
    //! Removes the secret for \a account. Removing a missing entry is Ok, not NotFound.
    virtual void remove(const QString &account, QObject *context, Callback done) = 0;

    /*!
        A short, stable name for the backend in use, for UIs and `status`
        output: "memory", "secret-service", "kwallet", "keychain",
        "credential-manager", "keystore", "encrypted-file".
    */
    virtual QString backendName() const = 0;

    //! How long one call may take before it completes with Timeout. Default 10 s.
    std::chrono::milliseconds timeout() const { return m_timeout; }
    //! Sets timeout() for the calls made from now on.
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }

    //! Maps a storage status to the SDK's error enum (Ok maps to NoError).
    static Error toError(Status status);

private:
    Q_DISABLE_COPY_MOVE(SecretStore)

    std::chrono::milliseconds m_timeout {10000};
};

} // namespace SecureTokens
