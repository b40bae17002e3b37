// SPDX-License-Identifier: MIT
#pragma once

// The loopback redirect listener of a native app (RFC 8252 §7.3): a tiny
// HTTP/1.1 server on a port of 127.0.0.1, [::1] or both (for "localhost",
// §8.3) that receives exactly one authorization response from the user's
// browser.

#include "redirectrequest_p.h"

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>
#include <securetokens/sessionconfig.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QUrl>

#include <functional>

class QTcpServer;
class QTcpSocket;
class QTimer;

namespace SecureTokens {

/*!
    \internal
    Test hook: the addresses "localhost" resolves to, instead of asking the
    system (whose hosts file may name 127.0.0.1 only). Not for
    applications; pass an empty function to remove it.
*/
SECURETOKENS_EXPORT void setLocalhostResolutionTestHook(std::function<QList<QHostAddress>()> hook);

/*!
    \internal
    Listens on one loopback address for the browser's redirect. Each request
    with the right path and Host is handed to the verdict callback, which
    decides whether it is *the* authorization response (accept: a success or
    provider-error page, then the listener closes) or something else (an error
    page; the listener keeps waiting). Requests for other paths get 404.

    Only processes of the user this process runs as are served (security
    review, finding 1): another user's connection is closed unanswered as soon
    as it is accepted (loopbackPeerOwner()). At most 16 connections are read at
    once; a further one waits for a place, and gets it by evicting the oldest
    connection that sent no request line within a second (finding 2), so idle
    connections cannot keep the browser's callback out.
*/
class LoopbackRedirectListener : public QObject
{
    Q_OBJECT
public:
    //! What the flow says about one callback request.
    struct Verdict
    {
        bool accepted = false; //!< this was the response; close the listener
        bool success = false; //!< show "you can close this tab" (else the error page)
        QString message; //!< shown on the page (plain text, escaped)
    };
    using Handler = std::function<Verdict(const RedirectRequest &request)>;

    explicit LoopbackRedirectListener(QObject *parent = nullptr);
    ~LoopbackRedirectListener() override;

    /*!
        Binds \a host on the first of \a ports that is free (an ephemeral
        port when \a ports is empty) for the redirect path \a path. For
        LoopbackRedirectHost::Localhost every loopback address "localhost"
        resolves to is bound on the same port. Returns InvalidConfiguration
        for a bad path or a "localhost" that is not loopback, NetworkError
        (naming the ports) when none could be bound.
    */
    ErrorInfo listen(LoopbackRedirectHost host, const QList<quint16> &ports, const QString &path);
    //! http://127.0.0.1:PORT/PATH, http://[::1]:PORT/PATH or http://localhost:PORT/PATH.
    QUrl redirectUri() const;
    void setHandler(Handler handler) { m_handler = std::move(handler); }
    //! Stops listening and drops every connection.
    void close();
    bool isListening() const;

private:
    Q_DISABLE_COPY_MOVE(LoopbackRedirectListener)

    //! A connection being read, and since when.
    struct Reading
    {
        QPointer<QTcpSocket> socket;
        QElapsedTimer since;
    };

    void onNewConnection(QTcpServer *server);
    bool bindAll(const QList<QHostAddress> &addresses, quint16 port, QString *error, bool *inUse);
    void admitWaiting();
    bool evictOldestIdle();
    void startReading(QTcpSocket *socket);
    void onReadyRead(QTcpSocket *socket);
    void respond(QTcpSocket *socket, int status, const QString &title, const QString &message);

    QList<QTcpServer *> m_servers; //!< one per bound loopback address, all on one port
    QTimer *m_admitTimer = nullptr; //!< when the oldest idle connection may be evicted
    QList<Reading> m_reading; //!< oldest first
    QList<QPointer<QTcpSocket>> m_waiting; //!< accepted, same user, no place yet; oldest first
    Handler m_handler;
    QByteArray m_expectedHost;
    QByteArray m_path;
    QUrl m_redirectUri;
    bool m_done = false;
};

} // namespace SecureTokens
