// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QDeadlineTimer>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>

namespace SecureTokens {

/*!
    A lock shared by every process of one application (same storage service and
    account), so that only one of them refreshes at a time: the Session holds it
    across "read the stored refresh token → refresh → store the new one". Without
    it two processes could present the same refresh token, and with rotation the
    second use looks like token replay (RFC 9700 §4.14.2) and the authorization
    server revokes the whole token family.

    The lock is an OS lock on a small file that never holds data: flock() on
    POSIX, LockFileEx() on Windows. The kernel drops it when the holding process
    dies, so a crashed process never blocks the others (no stale-lock heuristics).
    flock() locks belong to an open file description, so two CrossProcessLock
    objects in one process exclude each other as well.

    The lock file lives in a directory private to the user: $XDG_RUNTIME_DIR
    when it is set and private, else "securetokens-<uid>" in the temp
    directory, created 0700. Before a lock file is opened, the directory is
    opened without following a symbolic link and checked: owned by this user,
    no access for group or others. Anything else fails with
    Error::LockDirectoryUnsafe and nothing is created there: in a shared temp
    directory another user may have made the name first (security review,
    finding 4), and a shared lock directory would let him hold our lock.

    acquire() never blocks the calling thread: it polls a non-blocking try-lock
    from a QTimer (5 ms, growing to 50 ms). Like SecretStore calls it completes
    later (never inside the call), exactly once, also on timeout, and not at all
    when the context object is destroyed first (a lock taken for a vanished
    context is released at once).

    Used from the thread the object lives in. Private to the SDK, exported for tests.
*/
class SECURETOKENS_EXPORT CrossProcessLock : public QObject
{
    Q_OBJECT

public:
    /*!
        \a error is NoError when \a acquired; else Timeout (held elsewhere for
        too long), LockDirectoryUnsafe (see above) or StorageFailed (the OS
        refused the lock file for another reason).
    */
    using Callback = std::function<void(bool acquired, const ErrorInfo &error)>;

    CrossProcessLock(const QString &service, const QString &account, QObject *parent = nullptr);
    /*!
        A lock on the file \a lockFile itself (created 0600 if absent, never a
        symbolic link), for data that lives elsewhere than the runtime
        directory: EncryptedFileSecretStore locks a file beside its own. The
        directory is the caller's choice and is not checked.
    */
    static std::unique_ptr<CrossProcessLock> onFile(const QString &lockFile,
                                                    QObject *parent = nullptr);
    //! Releases the lock if held; a pending acquire() is dropped without a callback.
    ~CrossProcessLock() override;

    /*!
        Takes the lock, waiting at most \a timeout. \a done runs exactly once,
        from the event loop: (true, {}) when the lock is held, (false, error)
        on timeout or when the lock file cannot be opened. Calling acquire()
        while holding the lock completes with true; while another acquire() is
        pending, the new one completes with false.
    */
    void acquire(std::chrono::milliseconds timeout, QObject *context, Callback done);
    //! Releases the lock (no-op when not held). Does not cancel a pending acquire().
    void release();
    bool isHeld() const { return m_held; }
    /*!
        The lock file: in the private lock directory (see above), named by
        SHA-256(service, account); or the file given to onFile().
    */
    QString lockFilePath() const { return m_path; }

private:
    Q_DISABLE_COPY_MOVE(CrossProcessLock)

    explicit CrossProcessLock(QObject *parent);
    enum class Attempt { Acquired, Busy, Error };
    void poll();
    Attempt tryLock(ErrorInfo *error);
    void closeHandle();
    void finish(bool acquired, const ErrorInfo &error);

    QString m_path;
    //! The directory checked before the lock file is opened; empty for onFile().
    QString m_privateDir;
    bool m_held = false;
#ifdef Q_OS_WIN
    void *m_handle = nullptr; // HANDLE
#else
    int m_fd = -1;
#endif

    // The pending acquire(), if any.
    bool m_acquiring = false;
    QPointer<QObject> m_context;
    bool m_hasContext = false;
    Callback m_done;
    QDeadlineTimer m_deadline;
    std::chrono::milliseconds m_interval {0};
    QTimer m_poll;
};

} // namespace SecureTokens
