// SPDX-License-Identifier: MIT
#include "loopbackredirectlistener_p.h"

#include "loopbackpeer_p.h"

#include "core/logging.h"

#include <QHostAddress>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace SecureTokens {

namespace {

// Connections read at once. A browser needs one or two (plus speculative
// preconnects); the rest is somebody else's.
constexpr int maxConnections = 16;
// Same-user connections waiting for a place; beyond this the newest is refused.
constexpr int maxWaiting = 64;
constexpr int connectionTimeoutMs = 10000;
// A browser sends its request line at once; a connection that sent none in
// this time may be evicted when another one needs its place (finding 2).
constexpr int idleGraceMs = 1000;

bool sentRequestLine(const QTcpSocket *socket)
{
    return socket->property("answered").toBool()
            || socket->property("buffer").toByteArray().contains('\n');
}

} // namespace

LoopbackRedirectListener::LoopbackRedirectListener(QObject *parent)
    : QObject(parent), m_admitTimer(new QTimer(this))
{
    m_admitTimer->setSingleShot(true);
    connect(m_admitTimer, &QTimer::timeout, this, &LoopbackRedirectListener::admitWaiting);
}

LoopbackRedirectListener::~LoopbackRedirectListener() = default;

bool LoopbackRedirectListener::listen(LoopbackRedirectHost host, QString *error)
{
    close();
    m_done = false;
    m_server = new QTcpServer(this);
    const QHostAddress address(host == LoopbackRedirectHost::IPv6 ? QHostAddress::LocalHostIPv6
                                                                  : QHostAddress::LocalHost);
    // RFC 8252 §7.3: an ephemeral port on the loopback interface only, never
    // a wildcard address that other machines could reach.
    if (!m_server->listen(address, 0)) {
        if (error)
            *error = m_server->errorString();
        delete m_server;
        m_server = nullptr;
        return false;
    }
    const QString hostText = host == LoopbackRedirectHost::IPv6 ? QStringLiteral("[::1]")
                                                                : QStringLiteral("127.0.0.1");
    const QString port = QString::number(m_server->serverPort());
    m_expectedHost = (hostText + QLatin1Char(':') + port).toLatin1();
    m_redirectUri = QUrl(QStringLiteral("http://") + hostText + QLatin1Char(':') + port
                         + QStringLiteral("/callback"));
    connect(m_server, &QTcpServer::newConnection, this, &LoopbackRedirectListener::onNewConnection);
    return true;
}

QUrl LoopbackRedirectListener::redirectUri() const
{
    return m_redirectUri;
}

bool LoopbackRedirectListener::isListening() const
{
    return m_server && m_server->isListening();
}

void LoopbackRedirectListener::close()
{
    m_admitTimer->stop();
    m_reading.clear();
    m_waiting.clear();
    if (!m_server)
        return;
    m_server->close();
    // Sockets are children of the server: they go with it.
    m_server->deleteLater();
    m_server = nullptr;
}

void LoopbackRedirectListener::onNewConnection()
{
    while (m_server && m_server->hasPendingConnections()) {
        QTcpSocket *socket = m_server->nextPendingConnection();
        // The peer must be this machine (the bind address already ensures it;
        // checked again because the answer carries the authorization code),
        // and a process of our own user: another user of the machine can read
        // the authorization URL from the browser's command line and would
        // otherwise deliver his own code with our state (login CSRF, finding
        // 1). Dropped unanswered, at once, so it holds no place either.
        const LoopbackPeerOwner owner = socket->peerAddress().isLoopback()
                ? loopbackPeerOwner(socket->peerAddress(), socket->peerPort(),
                                    socket->localAddress(), socket->localPort())
                : LoopbackPeerOwner::OtherUser;
        if (owner == LoopbackPeerOwner::OtherUser
            || (owner == LoopbackPeerOwner::Unknown && loopbackPeerOwnerSupported())) {
            qCInfo(lcSession) << "redirect listener: connection not from this user dropped";
            socket->abort();
            socket->deleteLater();
            continue;
        }
        socket->setReadBufferSize(maxRedirectRequestBytes + 1);
        auto *timeout = new QTimer(socket);
        timeout->setSingleShot(true);
        connect(timeout, &QTimer::timeout, socket, [socket] { socket->abort(); });
        timeout->start(connectionTimeoutMs);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        // A place may have come free: look again once this signal is done.
        connect(socket, &QTcpSocket::disconnected, this, &LoopbackRedirectListener::admitWaiting,
                Qt::QueuedConnection);
        m_waiting.append(socket);
    }
    admitWaiting();
}

void LoopbackRedirectListener::admitWaiting()
{
    m_reading.removeIf([](const Reading &r) {
        return !r.socket || r.socket->state() != QAbstractSocket::ConnectedState
                || r.socket->property("answered").toBool();
    });
    m_waiting.removeIf([](const QPointer<QTcpSocket> &s) {
        return !s || s->state() != QAbstractSocket::ConnectedState;
    });
    while (!m_waiting.isEmpty() && (m_reading.size() < maxConnections || evictOldestIdle()))
        startReading(m_waiting.takeFirst());
    // Rather than refusing the newest connection while idle ones hold every
    // place, the newest waits; only a flood beyond maxWaiting is refused.
    while (m_waiting.size() > maxWaiting) {
        QPointer<QTcpSocket> newest = m_waiting.takeLast();
        if (newest)
            newest->abort();
    }
    if (m_waiting.isEmpty()) {
        m_admitTimer->stop();
        return;
    }
    // Wake up when the oldest idle connection's grace ends.
    qint64 wait = idleGraceMs;
    for (const Reading &r : std::as_const(m_reading)) {
        if (!sentRequestLine(r.socket)) {
            wait = qMax<qint64>(0, idleGraceMs - r.since.elapsed());
            break;
        }
    }
    m_admitTimer->start(int(wait) + 1);
}

bool LoopbackRedirectListener::evictOldestIdle()
{
    for (qsizetype i = 0; i < m_reading.size(); ++i) {
        QTcpSocket *socket = m_reading.at(i).socket;
        if (socket && !sentRequestLine(socket) && m_reading.at(i).since.elapsed() >= idleGraceMs) {
            qCInfo(lcSession) << "redirect listener: idle connection evicted";
            m_reading.removeAt(i);
            socket->abort();
            return true;
        }
    }
    return false;
}

void LoopbackRedirectListener::startReading(QTcpSocket *socket)
{
    if (!socket)
        return;
    Reading reading;
    reading.socket = socket;
    reading.since.start();
    m_reading.append(reading);
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    // What arrived while it waited is not announced again.
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(
                this,
                [this, s = QPointer<QTcpSocket>(socket)] {
                    if (s)
                        onReadyRead(s);
                },
                Qt::QueuedConnection);
}

void LoopbackRedirectListener::onReadyRead(QTcpSocket *socket)
{
    if (socket->property("answered").toBool())
        return;
    QByteArray buffer = socket->property("buffer").toByteArray();
    buffer.append(socket->read(maxRedirectRequestBytes + 1 - buffer.size()));
    if (!buffer.contains("\r\n\r\n")) {
        if (buffer.size() > maxRedirectRequestBytes)
            respond(socket, 431, tr("Request too large"), tr("The request is too large."));
        else
            socket->setProperty("buffer", buffer);
        return;
    }
    socket->setProperty("buffer", QVariant());
    const RedirectRequest request = parseRedirectRequest(buffer);
    buffer.fill('\0');
    if (!request.ok) {
        qCInfo(lcSession) << "redirect listener: bad request:" << request.error;
        respond(socket, request.error == "method not allowed" ? 405 : 400, tr("Bad request"),
                tr("The request could not be understood."));
        return;
    }
    // DNS rebinding and cross-site requests arrive with another Host: only the
    // exact host the redirect URI names is accepted.
    if (request.host != m_expectedHost) {
        qCInfo(lcSession) << "redirect listener: request for another host refused";
        respond(socket, 400, tr("Bad request"), tr("This address is not served here."));
        return;
    }
    if (request.path != "/callback") {
        respond(socket, 404, tr("Not found"), tr("Nothing here."));
        return;
    }
    if (m_done || !m_handler) {
        respond(socket, 400, tr("Sign-in already completed"),
                tr("This sign-in response was already received. You can close this tab."));
        return;
    }
    const Verdict verdict = m_handler(request);
    if (verdict.accepted)
        m_done = true;
    respond(socket, verdict.success ? 200 : 400,
            verdict.success ? tr("Signed in") : tr("Sign-in failed"), verdict.message);
    if (m_done && m_server) {
        // Exactly one response is accepted: stop listening at once.
        m_server->close();
    }
}

void LoopbackRedirectListener::respond(QTcpSocket *socket, int status, const QString &title,
                                       const QString &message)
{
    socket->setProperty("answered", true);
    static const QHash<int, QByteArray> reasons {{200, "OK"},
                                                 {400, "Bad Request"},
                                                 {404, "Not Found"},
                                                 {405, "Method Not Allowed"},
                                                 {431, "Request Header Fields Too Large"}};
    const QByteArray body = QStringLiteral("<!doctype html><html><head><meta charset=\"utf-8\">"
                                           "<title>%1</title></head><body><h1>%1</h1><p>%2</p>"
                                           "</body></html>")
                                    .arg(title.toHtmlEscaped(), message.toHtmlEscaped())
                                    .toUtf8();
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasons.value(status)
            + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
            + QByteArray::number(body.size())
            + "\r\nCache-Control: no-store\r\nConnection: close\r\n"
              "Content-Security-Policy: default-src 'none'\r\nReferrer-Policy: no-referrer\r\n"
              "X-Content-Type-Options: nosniff\r\n\r\n";
    if (status == 405)
        head.insert(head.size() - 2, "Allow: GET\r\n");
    socket->write(head + body);
    // Send it now: the flow may close the listener (and its server) at once,
    // and the page must still reach the browser. The socket then belongs to
    // the listener until the browser has it (or the connection timeout hits).
    socket->flush();
    socket->setParent(this);
    socket->disconnectFromHost();
}

} // namespace SecureTokens
