// SPDX-License-Identifier: MIT
// The Linux/Windows redirect hand-over between the browser-started second
// instance and the first instance's waiting sign-in (RFC 8252 §7.1).
#include "redirectforwarder_p.h"

#include "core/logging.h"

#include <securetokens/schemeredirect.h>

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QTimer>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace SecureTokens {

namespace {

// Connections read at once: the one second instance, and little else.
constexpr int maxConnections = 8;

#ifdef Q_OS_UNIX
bool isPrivateDirectory(const QString &path)
{
    struct stat st = {};
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISDIR(st.st_mode)
            && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

/*!
    The uid of the process at the other end of the connected Unix socket
    \a fd, or -1 when it cannot be told (Linux SO_PEERCRED, BSD/macOS
    getpeereid()).
*/
qint64 peerUid(qintptr fd)
{
#if defined(Q_OS_LINUX) || defined(Q_OS_ANDROID)
    struct ucred cred = {};
    socklen_t size = sizeof(cred);
    if (::getsockopt(int(fd), SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0 || size != sizeof(cred))
        return -1;
    return qint64(cred.uid);
#else
    uid_t uid = 0;
    gid_t gid = 0;
    if (::getpeereid(int(fd), &uid, &gid) != 0)
        return -1;
    return qint64(uid);
#endif
}
#endif

//! Only a process of our own user may hand us a redirect, or receive one from us.
bool peerIsThisUser(const QLocalSocket *socket)
{
#ifdef Q_OS_UNIX
    return peerUid(socket->socketDescriptor()) == qint64(::geteuid());
#else
    Q_UNUSED(socket);
    return true; // Windows: the pipe's ACL admits this user only (UserAccessOption)
#endif
}

QString socketName(const QString &scheme)
{
    QByteArray key = QByteArrayLiteral("securetokens-redirect");
    key.append('\0').append(scheme.toLower().toUtf8());
#ifdef Q_OS_UNIX
    key.append('\0').append(QByteArray::number(qint64(::geteuid())));
#else
    key.append('\0').append(qgetenv("USERNAME"));
#endif
    const QByteArray digest = QCryptographicHash::hash(key, QCryptographicHash::Sha256);
    return QStringLiteral("securetokens-redirect-") + QString::fromLatin1(digest.left(12).toHex());
}

} // namespace

QString redirectForwardingSocketPath(const QString &scheme, ErrorInfo *error)
{
#ifdef Q_OS_UNIX
    // As the refresh lock's directory (CrossProcessLock): $XDG_RUNTIME_DIR
    // only when it is ours and private; else a per-user directory in the
    // temp directory, which another user may have made first: then refuse
    // (our redirect, with its code, must not go to his socket).
    QString dir = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (dir.isEmpty() || !isPrivateDirectory(dir)) {
        dir = QDir::tempPath() + QStringLiteral("/securetokens-") + QString::number(::geteuid());
        ::mkdir(QFile::encodeName(dir).constData(), 0700);
        if (!isPrivateDirectory(dir)) {
            *error = ErrorInfo::make(Error::LockDirectoryUnsafe,
                                     QStringLiteral("%1 is not a directory private to this user: "
                                                    "set XDG_RUNTIME_DIR or remove it.")
                                             .arg(dir));
            return {};
        }
    }
    return dir + QLatin1Char('/') + socketName(scheme);
#else
    Q_UNUSED(error);
    return socketName(scheme);
#endif
}

RedirectForwardServer::RedirectForwardServer(QObject *parent) : QObject(parent) { }

RedirectForwardServer::~RedirectForwardServer()
{
    close();
}

ErrorInfo RedirectForwardServer::listen(const QString &scheme)
{
    close();
    ErrorInfo error;
    const QString path = redirectForwardingSocketPath(scheme, &error);
    if (path.isEmpty())
        return error;
    m_server = new QLocalServer(this);
    // Mode 0600 on Unix (the directory is 0700 already), a user-only ACL on Windows.
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    m_server->setMaxPendingConnections(maxConnections);
    // A socket left behind by a process that died (or another sign-in of
    // this app and user, which the newest one replaces).
    QLocalServer::removeServer(path);
    if (!m_server->listen(path)) {
        const QString why = m_server->errorString();
        delete m_server;
        m_server = nullptr;
        return ErrorInfo::make(Error::NetworkError,
                               QStringLiteral("Cannot listen for the forwarded redirect: ") + why);
    }
#ifdef Q_OS_UNIX
    // Qt's UserAccessOption gives the owner rw and x; a socket needs no x.
    ::chmod(QFile::encodeName(m_server->fullServerName()).constData(), 0600);
#endif
    m_path = m_server->fullServerName();
    connect(m_server, &QLocalServer::newConnection, this, &RedirectForwardServer::onNewConnection);
    return {};
}

void RedirectForwardServer::close()
{
    if (!m_server)
        return;
    m_server->close(); // also removes the socket file
    m_server->deleteLater();
    m_server = nullptr;
}

bool RedirectForwardServer::isListening() const
{
    return m_server && m_server->isListening();
}

void RedirectForwardServer::onNewConnection()
{
    while (m_server && m_server->hasPendingConnections()) {
        QLocalSocket *socket = m_server->nextPendingConnection();
        socket->setParent(this);
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        // The socket's mode already keeps other users out; the peer's uid is
        // checked as well (root, or a file mode changed behind our back):
        // only our own user's processes may hand us a redirect.
        if (!peerIsThisUser(socket)) {
            qCInfo(lcSession) << "redirect forwarding: connection of another user dropped";
            socket->abort();
            socket->deleteLater();
            Q_EMIT peerRefused();
            continue;
        }
        if (findChildren<QLocalSocket *>(QString(), Qt::FindDirectChildrenOnly).size()
            > maxConnections) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        socket->setReadBufferSize(maxForwardedRedirectBytes + 1);
        auto *timeout = new QTimer(socket);
        timeout->setSingleShot(true);
        connect(timeout, &QTimer::timeout, socket, [socket] { socket->abort(); });
        timeout->start(redirectForwardTimeoutMs);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        if (socket->bytesAvailable() > 0)
            onReadyRead(socket);
    }
}

void RedirectForwardServer::onReadyRead(QLocalSocket *socket)
{
    if (socket->property("answered").toBool())
        return;
    QByteArray buffer = socket->property("buffer").toByteArray();
    buffer.append(socket->read(maxForwardedRedirectBytes + 1 - buffer.size()));
    const qsizetype newline = buffer.indexOf('\n');
    if (newline < 0) {
        if (buffer.size() > maxForwardedRedirectBytes)
            answer(socket, "refused the redirect URL is too long");
        else
            socket->setProperty("buffer", buffer);
        return;
    }
    socket->setProperty("buffer", QVariant());
    const QUrl url = QUrl::fromEncoded(buffer.left(newline), QUrl::StrictMode);
    buffer.fill('\0');
    if (!url.isValid() || !m_handler || !isListening()) {
        answer(socket, "refused not a redirect URL of this sign-in");
        return;
    }
    const Verdict verdict = m_handler(url);
    if (verdict.accepted) {
        // Exactly one redirect per sign-in: nobody else gets in now.
        if (m_server)
            m_server->close();
        answer(socket, "ok");
        return;
    }
    answer(socket, "refused " + verdict.reason.simplified().left(300).toUtf8());
}

void RedirectForwardServer::answer(QLocalSocket *socket, const QByteArray &line)
{
    socket->setProperty("answered", true);
    socket->write(line + '\n');
    socket->flush();
    socket->disconnectFromServer();
}

namespace {

bool isRedirectFor(const QUrl &url, const QStringList &schemes)
{
    // An authorization response carries its parameters in the query (RFC
    // 6749 §4.1.2): the bare redirect URI (a --redirect-uri option's value,
    // say) is not one.
    if (!url.isValid() || url.scheme().isEmpty() || !url.hasQuery())
        return false;
    QUrl base = url;
    base.setQuery(QString());
    base.setFragment(QString());
    if (checkPrivateUseRedirectUri(base).isError())
        return false;
    return schemes.isEmpty() || schemes.contains(url.scheme(), Qt::CaseInsensitive);
}

} // namespace

bool forwardRedirect(const QStringList &arguments, const QStringList &schemes, ErrorInfo *outcome)
{
    ErrorInfo result;
    QUrl url;
    for (qsizetype i = 1; i < arguments.size() && url.isEmpty(); ++i) {
        const QUrl candidate(arguments.at(i), QUrl::StrictMode);
        if (isRedirectFor(candidate, schemes))
            url = candidate;
    }
    if (url.isEmpty())
        return false;
    const QByteArray message = url.toEncoded() + '\n';
    const QString path = redirectForwardingSocketPath(url.scheme(), &result);
    QLocalSocket socket;
    QByteArray reply;
    const QDeadlineTimer deadline(redirectForwardTimeoutMs);
    if (path.isEmpty()) {
        // result says why
    } else if (message.size() > maxForwardedRedirectBytes) {
        result = ErrorInfo::make(Error::InvalidRequest,
                                 QStringLiteral("The redirect URL is too long."));
    } else if (socket.connectToServer(path), !socket.waitForConnected(redirectForwardTimeoutMs)) {
        result = ErrorInfo::make(
                Error::NotSignedIn,
                QStringLiteral("No sign-in is waiting for a %1: redirect.").arg(url.scheme()));
    } else if (!peerIsThisUser(&socket)) {
        // The URL carries an authorization code: never to another user's process.
        result = ErrorInfo::make(Error::LockDirectoryUnsafe,
                                 QStringLiteral("The redirect socket belongs to another user."));
    } else {
        socket.write(message);
        while (!reply.contains('\n') && reply.size() <= 512 && !deadline.hasExpired()) {
            if (socket.bytesAvailable() == 0
                && !socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
                break;
            reply.append(socket.read(512));
        }
        if (reply.startsWith("ok\n")) {
            // taken
        } else if (reply.startsWith("refused ")) {
            result = ErrorInfo::make(
                    Error::StateMismatch,
                    QStringLiteral("The sign-in refused the redirect: ")
                            + QString::fromUtf8(reply.mid(8, reply.indexOf('\n') - 8)));
        } else {
            result = ErrorInfo::make(deadline.hasExpired() ? Error::Timeout : Error::NetworkError,
                                     QStringLiteral("The sign-in did not answer the forwarded "
                                                    "redirect."));
        }
    }
    socket.abort();
    if (outcome)
        *outcome = result;
    return true;
}

bool forwardRedirect(int argc, char **argv, const QStringList &schemes, ErrorInfo *outcome)
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    return forwardRedirect(arguments, schemes, outcome);
}

} // namespace SecureTokens
