// SPDX-License-Identifier: MIT
#pragma once

// The QtHttpServer API changed between Qt 6.4 (Debian 12) and 6.8 (Debian 13):
// listen() went away for bind(QTcpServer *), handleRequest() and
// missingHandler() lost the socket and changed their signatures (twice), the
// request's headers became a QHttpHeaders with lower-cased names, and the
// response is written differently. Every such difference is behind a
// QT_VERSION_CHECK here and in httpcompat.cpp, one function per API; the rest
// of the mock server uses these and has no version checks.

#include <QAbstractHttpServer>
#include <QByteArray>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QList>
#include <QPair>
#include <QString>

#include <memory>

QT_BEGIN_NAMESPACE
class QHttpServerResponder;
class QTcpSocket;
QT_END_NAMESPACE

namespace SecureTokens::Mock {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

/*!
    The answer still owed to one request: its responder and its connection.
    Copies share the one answer, so a delayed answer can wait in a timer.
    Whichever of send() and abortConnection() comes first answers; the
    other, and any later call, does nothing.
*/
class PendingAnswer
{
public:
    //! Writes the status line, \a headers, Content-Length and \a body, unless
    //! the client has closed the connection in the meantime.
    void send(int status, const HeaderList &headers, const QByteArray &body) const;
    //! Closes the connection without answering (fault injection).
    void abortConnection() const;

private:
    friend class HttpServerCompat;
    struct State;
    explicit PendingAnswer(std::shared_ptr<State> state) : d(std::move(state)) { }
    std::shared_ptr<State> d;
};

/*!
    A QAbstractHttpServer with one API on every Qt version: listenOn(), and
    every request handed to handle() with the PendingAnswer to give.
*/
class HttpServerCompat : public QAbstractHttpServer
{
    Q_OBJECT
public:
    using QAbstractHttpServer::QAbstractHttpServer;

    //! Listens on \a address and \a port (0: any free port) and returns the
    //! port, or 0 with \a errorString set.
    quint16 listenOn(const QHostAddress &address, quint16 port, QString *errorString);

    //! The request's headers in the order received. Qt 6.8 keeps only
    //! lower-cased names (QHttpHeaders): there they come back capitalised the
    //! usual way ("Content-Type"), which is how clients write them, so that
    //! what a test sees does not depend on the Qt the server was built with.
    //! Names are case-insensitive anyway (RFC 9110 §5.1).
    static HeaderList requestHeaders(const QHttpServerRequest &request);

protected:
    //! Every request arrives here exactly once; answer now or later.
    virtual void handle(const QHttpServerRequest &request, const PendingAnswer &answer) = 0;

#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;
#elif QT_VERSION < QT_VERSION_CHECK(6, 8, 0)
    bool handleRequest(const QHttpServerRequest &request, QHttpServerResponder &responder) override;
    void missingHandler(const QHttpServerRequest &request,
                        QHttpServerResponder &&responder) override;
#else
    bool handleRequest(const QHttpServerRequest &request, QHttpServerResponder &responder) override;
    void missingHandler(const QHttpServerRequest &request,
                        QHttpServerResponder &responder) override;
#endif

private:
#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    //! Since Qt 6.5 the socket is a child of a per-connection stream object
    //! the responder hides; it is found by the connection's addresses.
    QTcpSocket *connectionOf(const QHttpServerRequest &request) const;
#endif
};

} // namespace SecureTokens::Mock
