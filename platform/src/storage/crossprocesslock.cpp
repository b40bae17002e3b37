// SPDX-License-Identifier: MIT
#include "crossprocesslock.h"

#include "core/invokelater.h"
#include "storagelogging_p.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QStandardPaths>

#ifdef Q_OS_WIN
#include <qt_windows.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace SecureTokens {

namespace {

constexpr std::chrono::milliseconds firstInterval {5};
constexpr std::chrono::milliseconds maxInterval {50};

/*!
    The lock file's path. The name is a hash, so neither the service nor the
    account (which may be a user name or an e-mail address) appears in a
    directory listing. The runtime directory ($XDG_RUNTIME_DIR on Linux) is
    private to the user (0700); the temp directory is the fallback.
*/
QString lockPath(const QString &service, const QString &account)
{
    QByteArray key = service.toUtf8();
    key.append('\0');
    key.append(account.toUtf8());
    const QByteArray digest = QCryptographicHash::hash(key, QCryptographicHash::Sha256);
    // Looked up once: Qt warns on every lookup when XDG_RUNTIME_DIR is unset
    // (it then uses a private /tmp/runtime-$USER, mode 0700).
    static const QString dir = [] {
        const QString runtime = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
        return runtime.isEmpty() || !QDir(runtime).exists() ? QDir::tempPath() : runtime;
    }();
    return dir + QStringLiteral("/securetokens-") + QString::fromLatin1(digest.left(16).toHex())
            + QStringLiteral(".lock");
}

} // namespace

CrossProcessLock::CrossProcessLock(const QString &service, const QString &account, QObject *parent)
    : QObject(parent), m_path(lockPath(service, account))
{
    m_poll.setSingleShot(true);
    m_poll.setTimerType(Qt::PreciseTimer);
    connect(&m_poll, &QTimer::timeout, this, &CrossProcessLock::poll);
}

CrossProcessLock::~CrossProcessLock()
{
    m_poll.stop();
    release();
}

void CrossProcessLock::acquire(std::chrono::milliseconds timeout, QObject *context, Callback done)
{
    if (m_acquiring) {
        // Reported later, like every other completion; the pending acquire goes on.
        QPointer<QObject> guard(context);
        const bool hasContext = context != nullptr;
        invokeLater(this, [guard, hasContext, done = std::move(done)] {
            if (done && (!hasContext || guard))
                done(false, QStringLiteral("Another acquire() is already pending"));
        });
        return;
    }
    m_acquiring = true;
    m_context = context;
    m_hasContext = context != nullptr;
    m_done = std::move(done);
    m_deadline.setRemainingTime(timeout);
    m_interval = firstInterval;
    m_poll.start(0); // the first attempt, and any answer, come from the event loop
}

void CrossProcessLock::poll()
{
    if (!m_acquiring)
        return;
    if (m_hasContext && !m_context) {
        // Nobody waits for the answer any more: stop, and do not keep a lock
        // that no one would ever release.
        m_acquiring = false;
        m_done = nullptr;
        if (!m_held)
            closeHandle();
        qCDebug(lcKeychain) << "cross-process lock: acquire dropped, context destroyed";
        return;
    }
    if (m_held) {
        finish(true, {});
        return;
    }
    QString error;
    switch (tryLock(&error)) {
    case Attempt::Acquired:
        m_held = true;
        qCDebug(lcKeychain) << "cross-process lock acquired";
        finish(true, {});
        return;
    case Attempt::Error:
        qCWarning(lcKeychain) << "cross-process lock failed:" << error;
        finish(false, error);
        return;
    case Attempt::Busy:
        break;
    }
    if (m_deadline.hasExpired()) {
        qCDebug(lcKeychain) << "cross-process lock: timed out";
        closeHandle(); // no descriptor kept open while nobody waits
        finish(false,
               QStringLiteral("Another process of this application held the refresh lock "
                              "for too long"));
        return;
    }
    const auto wait = std::min(m_interval, std::chrono::milliseconds(m_deadline.remainingTime()));
    m_interval = std::min(m_interval * 2, maxInterval);
    m_poll.start(std::max(wait, std::chrono::milliseconds(1)));
}

void CrossProcessLock::finish(bool acquired, const QString &error)
{
    // Move the state out first: the callback may call acquire() again or delete us.
    m_acquiring = false;
    Callback done = std::move(m_done);
    m_done = nullptr;
    const bool contextAlive = !m_hasContext || m_context;
    m_context.clear();
    if (!contextAlive)
        return;
    if (done)
        done(acquired, error);
}

#ifdef Q_OS_WIN

// Untested: this project's tests run on Linux only. LockFileEx locks belong
// to the file handle and are released by the system when the process ends.
CrossProcessLock::Attempt CrossProcessLock::tryLock(QString *error)
{
    if (!m_handle) {
        HANDLE handle = CreateFileW(reinterpret_cast<const wchar_t *>(m_path.utf16()),
                                    GENERIC_READ | GENERIC_WRITE,
                                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                    OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
        if (handle == INVALID_HANDLE_VALUE) {
            *error = QStringLiteral("Cannot open the lock file (Windows error %1)")
                             .arg(GetLastError());
            return Attempt::Error;
        }
        m_handle = handle;
    }
    OVERLAPPED overlapped = {};
    if (LockFileEx(static_cast<HANDLE>(m_handle),
                   LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &overlapped))
        return Attempt::Acquired;
    const DWORD code = GetLastError();
    if (code == ERROR_LOCK_VIOLATION || code == ERROR_IO_PENDING)
        return Attempt::Busy;
    closeHandle();
    *error = QStringLiteral("Cannot lock the lock file (Windows error %1)").arg(code);
    return Attempt::Error;
}

void CrossProcessLock::closeHandle()
{
    if (m_handle) {
        CloseHandle(static_cast<HANDLE>(m_handle));
        m_handle = nullptr;
    }
}

void CrossProcessLock::release()
{
    if (m_held && m_handle) {
        OVERLAPPED overlapped = {};
        UnlockFileEx(static_cast<HANDLE>(m_handle), 0, 1, 0, &overlapped);
    }
    closeHandle();
    if (m_held)
        qCDebug(lcKeychain) << "cross-process lock released";
    m_held = false;
}

#else // POSIX

CrossProcessLock::Attempt CrossProcessLock::tryLock(QString *error)
{
    if (m_fd < 0) {
        const QByteArray path = QFile::encodeName(m_path);
        // O_NOFOLLOW: in a shared temp directory the name could be a planted symlink.
        m_fd = ::open(path.constData(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (m_fd < 0) {
            *error = QStringLiteral("Cannot open the lock file: %1").arg(qt_error_string(errno));
            return Attempt::Error;
        }
    }
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        const int code = errno;
        if (code == EWOULDBLOCK || code == EINTR)
            return Attempt::Busy;
        closeHandle();
        *error = QStringLiteral("Cannot lock the lock file: %1").arg(qt_error_string(code));
        return Attempt::Error;
    }
    // The file is never deleted by us, but a temp-directory cleaner may have
    // removed or replaced it while we waited: a lock on an unlinked inode
    // excludes nobody. Then start over with the file that is there now.
    struct stat opened = {};
    struct stat named = {};
    if (::fstat(m_fd, &opened) != 0 || ::stat(QFile::encodeName(m_path).constData(), &named) != 0
        || opened.st_ino != named.st_ino || opened.st_dev != named.st_dev) {
        closeHandle();
        return Attempt::Busy;
    }
    return Attempt::Acquired;
}

void CrossProcessLock::closeHandle()
{
    if (m_fd >= 0) {
        ::close(m_fd); // closing the last descriptor of the description drops the flock
        m_fd = -1;
    }
}

void CrossProcessLock::release()
{
    if (m_held && m_fd >= 0)
        ::flock(m_fd, LOCK_UN);
    closeHandle();
    if (m_held)
        qCDebug(lcKeychain) << "cross-process lock released";
    m_held = false;
}

#endif

} // namespace SecureTokens
