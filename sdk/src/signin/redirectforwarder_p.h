// SPDX-License-Identifier: MIT
#pragma once

// The first instance's side of the Linux/Windows redirect hand-over (RFC 8252
// §7.1 on desktops without an OS URL delivery to the running app): a local
// socket, private to the user, listened on only while a sign-in waits.

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QObject>
#include <QString>
#include <QUrl>

#include <functional>

class QLocalServer;
class QLocalSocket;

namespace SecureTokens {

/*!
    \internal
    Whether a second instance of the app gets the redirect URL (Linux,
    Windows, other desktops), so that a sign-in listens for it; Android, iOS
    and macOS deliver it to the running app.
*/
#if !defined(Q_OS_ANDROID) && !defined(Q_OS_IOS) && !defined(Q_OS_MACOS)
inline constexpr bool redirectForwardingSupported = true;
#else
inline constexpr bool redirectForwardingSupported = false;
#endif

//! Largest forwarded message (one redirect URL and a newline), in bytes.
inline constexpr qsizetype maxForwardedRedirectBytes = qsizetype(8) * 1024;
//! How long either side waits for the other (connect, message, verdict).
inline constexpr int redirectForwardTimeoutMs = 5000;

/*!
    \internal
    The socket's full path for \a scheme: in $XDG_RUNTIME_DIR when it is
    private to us, else in "securetokens-<uid>" in the temp directory
    (created 0700); named by SHA-256 of the lower-cased scheme and the uid.
    Empty with \a error set (LockDirectoryUnsafe) when that directory is not
    private to this user. Windows: a pipe name with the same hash (the pipe
    gets a user-only ACL).
*/
SECURETOKENS_EXPORT QString redirectForwardingSocketPath(const QString &scheme, ErrorInfo *error);

/*!
    \internal
    Listens for forwarded redirect URLs of one scheme. Each connection sends
    one line (at most maxForwardedRedirectBytes, within
    redirectForwardTimeoutMs); the handler's verdict goes back as "ok\n" or
    "refused REASON\n". On Linux a peer whose uid (SO_PEERCRED) is not ours is
    dropped unanswered at once; the socket file is mode 0600 in a 0700
    directory.
*/
class SECURETOKENS_EXPORT RedirectForwardServer : public QObject
{
    Q_OBJECT
public:
    //! The handler's answer: accepted (the server closes) or refused with why.
    struct Verdict
    {
        bool accepted = false;
        QString reason; //!< when refused: one line for the second instance
    };
    using Handler = std::function<Verdict(const QUrl &url)>;

    explicit RedirectForwardServer(QObject *parent = nullptr);
    ~RedirectForwardServer() override;

    /*!
        Listens for \a scheme. A socket left by a process that died is
        replaced; so is one of a sign-in still waiting in another process of
        this app (the newest sign-in is the one the user is doing).
    */
    ErrorInfo listen(const QString &scheme);
    void setHandler(Handler handler) { m_handler = std::move(handler); }
    //! Stops listening and removes the socket file.
    void close();
    bool isListening() const;
    QString socketPath() const { return m_path; }

Q_SIGNALS:
    //! A connection was dropped because its peer is another user (for tests and logs).
    void peerRefused();

private:
    Q_DISABLE_COPY_MOVE(RedirectForwardServer)

    void onNewConnection();
    void onReadyRead(QLocalSocket *socket);
    static void answer(QLocalSocket *socket, const QByteArray &line);

    QLocalServer *m_server = nullptr;
    Handler m_handler;
    QString m_path;
};

} // namespace SecureTokens
