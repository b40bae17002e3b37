// SPDX-License-Identifier: MIT
#include "crossprocesslock.h"

#include "core/invokelater.h"
#include "storagelogging_p.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

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

#ifndef Q_OS_WIN
//! Whether the directory at \a path is private to us: ours, no access for group or others.
bool isPrivateDirectory(const QString &path)
{
    struct stat st = {};
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISDIR(st.st_mode)
            && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}
#endif

/*!
    The directory lock files live in. $XDG_RUNTIME_DIR is private to the user
    (0700, XDG Base Directory spec), but it is inherited across su and may be
    someone else's: used only when it is private to us. Otherwise (ssh without
    logind, cron, containers) a per-user directory in the temp directory; Qt's
    own fallback (/tmp/runtime-$USER) is not used, because when another user
    owns that name Qt gives up and the shared temp directory was all that was
    left (security review, finding 4).
*/
QString privateLockDirectory()
{
#ifdef Q_OS_WIN
    return QDir::tempPath(); // %TEMP% is in the user's profile, not shared
#else
    QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR"); // not const: returned
    if (!runtime.isEmpty() && isPrivateDirectory(runtime))
        return runtime;
    return QDir::tempPath() + QStringLiteral("/securetokens-") + QString::number(::geteuid());
#endif
}

/*!
    The lock file's name. A hash, so neither the service nor the account (which
    may be a user name or an e-mail address) appears in a directory listing.
*/
QString lockFileName(const QString &service, const QString &account)
{
    QByteArray key = service.toUtf8();
    key.append('\0');
    key.append(account.toUtf8());
    const QByteArray digest = QCryptographicHash::hash(key, QCryptographicHash::Sha256);
    return QStringLiteral("securetokens-") + QString::fromLatin1(digest.left(16).toHex())
            + QStringLiteral(".lock");
}

} // namespace

CrossProcessLock::CrossProcessLock(QObject *parent) : QObject(parent)
{
    m_poll.setSingleShot(true);
    m_poll.setTimerType(Qt::PreciseTimer);
    connect(&m_poll, &QTimer::timeout, this, &CrossProcessLock::poll);
}

CrossProcessLock::CrossProcessLock(const QString &service, const QString &account, QObject *parent)
    : CrossProcessLock(parent)
{
    m_privateDir = privateLockDirectory();
    m_path = m_privateDir + QLatin1Char('/') + lockFileName(service, account);
}

std::unique_ptr<CrossProcessLock> CrossProcessLock::onFile(const QString &lockFile, QObject *parent)
{
    std::unique_ptr<CrossProcessLock> lock(new CrossProcessLock(parent));
    lock->m_path = lockFile;
    return lock;
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
                done(false,
                     ErrorInfo::make(Error::OperationInProgress,
                                     QStringLiteral("Another acquire() is already pending")));
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
    ErrorInfo error;
    switch (tryLock(&error)) {
    case Attempt::Acquired:
        m_held = true;
        qCDebug(lcKeychain) << "cross-process lock acquired";
        finish(true, {});
        return;
    case Attempt::Error:
        qCWarning(lcKeychain) << "cross-process lock failed:" << error.message;
        finish(false, error);
        return;
    case Attempt::Busy:
        break;
    }
    if (m_deadline.hasExpired()) {
        qCDebug(lcKeychain) << "cross-process lock: timed out";
        closeHandle(); // no descriptor kept open while nobody waits
        finish(false,
               ErrorInfo::make(Error::Timeout,
                               QStringLiteral("Another process of this application held the "
                                              "refresh lock for too long")));
        return;
    }
    const auto wait = std::min(m_interval, std::chrono::milliseconds(m_deadline.remainingTime()));
    m_interval = std::min(m_interval * 2, maxInterval);
    m_poll.start(std::max(wait, std::chrono::milliseconds(1)));
}

void CrossProcessLock::finish(bool acquired, const ErrorInfo &error)
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
CrossProcessLock::Attempt CrossProcessLock::tryLock(ErrorInfo *error)
{
    if (!m_handle) {
        HANDLE handle = CreateFileW(reinterpret_cast<const wchar_t *>(m_path.utf16()),
                                    GENERIC_READ | GENERIC_WRITE,
                                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                    OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
        if (handle == INVALID_HANDLE_VALUE) {
            *error = ErrorInfo::make(Error::StorageFailed,
                                     QStringLiteral("Cannot open the lock file (Windows error %1)")
                                             .arg(GetLastError()));
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
    *error = ErrorInfo::make(
            Error::StorageFailed,
            QStringLiteral("Cannot lock the lock file (Windows error %1)").arg(code));
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

namespace {

/*!
    Opens the private lock directory (created 0700 when absent) and checks it
    as lstat() would, on the opened directory itself so that nothing can be
    swapped in between: O_NOFOLLOW refuses a symbolic link, then it must be a
    directory owned by us with no access for group or others. Returns the
    descriptor, or -1 with \a error set.
*/
int openPrivateDirectory(const QString &dir, ErrorInfo *error)
{
    const QByteArray path = QFile::encodeName(dir);
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::open(path.constData(), flags);
    if (fd < 0 && errno == ENOENT && ::mkdir(path.constData(), 0700) == 0)
        fd = ::open(path.constData(), flags);
    const auto unsafe = [&](const QString &why) {
        *error = ErrorInfo::make(Error::LockDirectoryUnsafe,
                                 QStringLiteral("The lock directory %1 %2").arg(dir, why));
        return -1;
    };
    if (fd < 0) {
        const int code = errno;
        if (code == ELOOP || code == ENOTDIR)
            return unsafe(QStringLiteral("is a symbolic link or not a directory"));
        if (code == EACCES || code == EPERM)
            return unsafe(QStringLiteral("is not accessible: %1").arg(qt_error_string(code)));
        *error = ErrorInfo::make(Error::StorageFailed,
                                 QStringLiteral("Cannot open the lock directory %1: %2")
                                         .arg(dir, qt_error_string(code)));
        return -1;
    }
    struct stat st = {};
    if (::fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        ::close(fd);
        return unsafe(QStringLiteral("is not a directory"));
    }
    if (st.st_uid != ::geteuid()) {
        ::close(fd);
        return unsafe(QStringLiteral("belongs to another user (uid %1)").arg(st.st_uid));
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        return unsafe(QStringLiteral("is open to other users (mode %1)")
                              .arg(st.st_mode & 0777, 3, 8, QLatin1Char('0')));
    }
    return fd;
}

} // namespace

CrossProcessLock::Attempt CrossProcessLock::tryLock(ErrorInfo *error)
{
    if (m_fd < 0) {
        int dirFd = AT_FDCWD;
        QByteArray name = QFile::encodeName(m_path);
        if (!m_privateDir.isEmpty()) {
            dirFd = openPrivateDirectory(m_privateDir, error);
            if (dirFd < 0)
                return Attempt::Error;
            name = QFile::encodeName(QFileInfo(m_path).fileName());
        }
        // O_NOFOLLOW: the name could be a planted symlink (onFile() in a
        // directory we did not check).
        m_fd = ::openat(dirFd, name.constData(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        const int code = errno;
        if (dirFd != AT_FDCWD)
            ::close(dirFd);
        if (m_fd < 0) {
            *error = ErrorInfo::make(code == EACCES || code == EPERM || code == ELOOP
                                             ? Error::LockDirectoryUnsafe
                                             : Error::StorageFailed,
                                     QStringLiteral("Cannot open the lock file %1: %2")
                                             .arg(m_path, qt_error_string(code)));
            return Attempt::Error;
        }
    }
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        const int code = errno;
        if (code == EWOULDBLOCK || code == EINTR)
            return Attempt::Busy;
        closeHandle();
        *error = ErrorInfo::make(
                Error::StorageFailed,
                QStringLiteral("Cannot lock the lock file: %1").arg(qt_error_string(code)));
        return Attempt::Error;
    }
    // The file is never deleted by us, but a temp-directory cleaner may have
    // removed or replaced it while we waited: a lock on an unlinked inode
    // excludes nobody. Then start over with the file that is there now.
    struct stat opened = {};
    struct stat named = {};
    if (::fstat(m_fd, &opened) != 0 || ::lstat(QFile::encodeName(m_path).constData(), &named) != 0
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
