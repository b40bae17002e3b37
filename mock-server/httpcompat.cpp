// SPDX-License-Identifier: MIT
#include "httpcompat_p.h"

#include <QHttpServerResponder>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
#include <QHttpHeaders>
#endif

namespace SecureTokens::Mock {

struct PendingAnswer::State
{
    //! Released as soon as the answer is given: from Qt 6.5 on the connection
    //! reads its next request only once the responder is gone.
    std::unique_ptr<QHttpServerResponder> responder;
    QPointer<QTcpSocket> socket;
};

void PendingAnswer::send(int status, const HeaderList &headers, const QByteArray &body) const
{
    const std::unique_ptr<QHttpServerResponder> responder = std::move(d->responder);
    // The client may have gone away during a delay: nothing to write to then.
    if (!responder || !d->socket || d->socket->state() != QAbstractSocket::ConnectedState)
        return;
    const auto code = static_cast<QHttpServerResponder::StatusCode>(status);
#if QT_VERSION < QT_VERSION_CHECK(6, 8, 0)
    responder->writeStatusLine(code);
    for (const auto &h : headers)
        responder->writeHeader(h.first, h.second);
    responder->writeHeader("Content-Length", QByteArray::number(body.size()));
    responder->writeBody(body);
#else
    // 6.8 has no writeStatusLine()/writeHeader()/writeBody(); write() adds
    // Content-Length and nothing else, so the headers are ours alone, as before.
    QHttpHeaders all;
    for (const auto &h : headers)
        all.append(h.first, h.second);
    responder->write(body, all, code);
#endif
}

void PendingAnswer::abortConnection() const
{
    const std::unique_ptr<QHttpServerResponder> responder = std::move(d->responder);
    if (responder && d->socket)
        d->socket->abort();
}

quint16 HttpServerCompat::listenOn(const QHostAddress &address, quint16 port, QString *errorString)
{
    // Qt 6.4's listen() did just this; 6.8 has only bind(), which 6.4 has too.
    auto server = std::make_unique<QTcpServer>();
    if (!server->listen(address, port)) {
        *errorString = server->errorString();
        return 0;
    }
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    if (!bind(server.get())) {
        *errorString = QStringLiteral("the HTTP server did not take the listening socket");
        return 0;
    }
#else
    bind(server.get()); // void before 6.8; it takes every listening server
#endif
    return server.release()->serverPort(); // bind() made this object its parent
}

HeaderList HttpServerCompat::requestHeaders(const QHttpServerRequest &request)
{
#if QT_VERSION < QT_VERSION_CHECK(6, 8, 0)
    return request.headers();
#else
    HeaderList out;
    for (const auto &[name, value] : request.headers().toListOfPairs()) {
        QByteArray capitalised = name;
        for (qsizetype i = 0; i < capitalised.size(); ++i) {
            const char c = capitalised.at(i);
            if ((i == 0 || capitalised.at(i - 1) == '-') && c >= 'a' && c <= 'z')
                capitalised[i] = char(c - 'a' + 'A');
        }
        out.append({capitalised, value});
    }
    return out;
#endif
}

#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)

bool HttpServerCompat::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    auto state = std::make_shared<PendingAnswer::State>();
    state->responder = std::make_unique<QHttpServerResponder>(makeResponder(request, socket));
    state->socket = socket;
    handle(request, PendingAnswer(std::move(state)));
    return true;
}

void HttpServerCompat::missingHandler(const QHttpServerRequest &, QTcpSocket *)
{
    // Only reached after handleRequest() has answered (a WebSocket upgrade
    // nobody accepts, whose connection Qt then closes): nothing left to say.
}

#else

QTcpSocket *HttpServerCompat::connectionOf(const QHttpServerRequest &request) const
{
    // Looked up while the request is being handled, when the connection is
    // surely open; a QPointer then tells whether it still is.
    for (QTcpSocket *socket : findChildren<QTcpSocket *>()) {
        if (socket->peerPort() == request.remotePort()
            && socket->peerAddress() == request.remoteAddress()
            && socket->localPort() == request.localPort())
            return socket;
    }
    return nullptr;
}

bool HttpServerCompat::handleRequest(const QHttpServerRequest &request,
                                     QHttpServerResponder &responder)
{
    auto state = std::make_shared<PendingAnswer::State>();
    state->responder = std::make_unique<QHttpServerResponder>(std::move(responder));
    state->socket = connectionOf(request);
    handle(request, PendingAnswer(std::move(state)));
    return true;
}

#if QT_VERSION < QT_VERSION_CHECK(6, 8, 0)
void HttpServerCompat::missingHandler(const QHttpServerRequest &request,
                                      QHttpServerResponder &&responder)
#else
void HttpServerCompat::missingHandler(const QHttpServerRequest &request,
                                      QHttpServerResponder &responder)
#endif
{
    // handleRequest() takes every request, but from Qt 6.5 on a WebSocket
    // upgrade nobody accepts comes here instead: answer it like any other
    // request, as 6.4 did (Qt closes the connection afterwards).
    handleRequest(request, responder);
}

#endif

} // namespace SecureTokens::Mock
