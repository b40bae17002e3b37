// SPDX-License-Identifier: MIT
#include "loopbackredirectlistener_p.h"

#include "loopbackpeer_p.h"

#include "core/logging.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>

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

std::function<QList<QHostAddress>()> &localhostHook()
{
    static std::function<QList<QHostAddress>()> hook;
    return hook;
}

bool sentRequestLine(const QTcpSocket *socket)
{
    return socket->property("answered").toBool()
            || socket->property("buffer").toByteArray().contains('\n');
}

} // namespace

void setLocalhostResolutionTestHook(std::function<QList<QHostAddress>()> hook)
{
    localhostHook() = std::move(hook);
}

LoopbackRedirectListener::LoopbackRedirectListener(QObject *parent)
    : QObject(parent), m_admitTimer(new QTimer(this))
{
    m_admitTimer->setSingleShot(true);
    connect(m_admitTimer, &QTimer::timeout, this, &LoopbackRedirectListener::admitWaiting);
}

LoopbackRedirectListener::~LoopbackRedirectListener() = default;

namespace {

// RFC 3986 §3.3 unreserved characters and "/": a path that needs no
// percent-encoding compares byte for byte with what the browser sends.
bool isPlainPath(const QString &path)
{
    if (!path.startsWith(QLatin1Char('/')) || path.size() > 256)
        return false;
    return std::all_of(path.cbegin(), path.cend(), [](QChar c) {
        const char16_t u = c.unicode();
        return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
                || u == '-' || u == '.' || u == '_' || u == '~' || u == '/';
    });
}

// Tries for a free ephemeral port that every address can take.
constexpr int ephemeralAttempts = 8;

} // namespace

bool LoopbackRedirectListener::bindAll(const QList<QHostAddress> &addresses, quint16 port,
                                       QString *error, bool *inUse)
{
    *inUse = false;
    quint16 bound = port;
    for (const QHostAddress &address : addresses) {
        auto *server = new QTcpServer(this);
        // RFC 8252 §7.3: the loopback interface only, never a wildcard
        // address that other machines could reach.
        if (server->listen(address, bound)) {
            bound = server->serverPort();
            m_servers.append(server);
            connect(server, &QTcpServer::newConnection, this,
                    [this, server] { onNewConnection(server); });
            continue;
        }
        const QAbstractSocket::SocketError why = server->serverError();
        *error = address.toString() + QStringLiteral(": ") + server->errorString();
        delete server;
        // "localhost" may name ::1 on a machine without IPv6: the other
        // addresses still serve (a browser falls back to them).
        if (addresses.size() > 1 && why != QAbstractSocket::AddressInUseError
            && why != QAbstractSocket::SocketAccessError)
            continue;
        *inUse = why == QAbstractSocket::AddressInUseError;
        close();
        return false;
    }
    if (m_servers.isEmpty()) {
        close();
        return false;
    }
    return true;
}

ErrorInfo LoopbackRedirectListener::listen(LoopbackRedirectHost host, const QList<quint16> &ports,
                                           const QString &path)
{
    close();
    m_done = false;
    if (!isPlainPath(path)) {
        return ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The redirect path must start with \"/\" and hold "
                                              "only letters, digits and - . _ ~ /."));
    }
    if (ports.contains(quint16(0))) {
        return ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("Redirect port 0 is not a port: leave the list "
                                              "empty for an ephemeral one."));
    }
    QList<QHostAddress> addresses;
    QString hostText;
    switch (host) {
    case LoopbackRedirectHost::IPv4:
        addresses = {QHostAddress(QHostAddress::LocalHost)};
        hostText = QStringLiteral("127.0.0.1");
        break;
    case LoopbackRedirectHost::IPv6:
        addresses = {QHostAddress(QHostAddress::LocalHostIPv6)};
        hostText = QStringLiteral("[::1]");
        break;
    case LoopbackRedirectHost::Localhost: {
        // RFC 8252 §8.3: the browser resolves "localhost" itself, so the
        // listener must be on every address the name resolves to here; one
        // that is not loopback would send the code off the machine.
        QList<QHostAddress> resolved;
        QString resolveError;
        if (localhostHook()) {
            resolved = localhostHook()();
        } else {
            const QHostInfo info = QHostInfo::fromName(QStringLiteral("localhost"));
            resolved = info.addresses();
            resolveError = info.errorString();
        }
        for (const QHostAddress &address : std::as_const(resolved)) {
            if (!address.isLoopback()) {
                return ErrorInfo::make(Error::InvalidConfiguration,
                                       QStringLiteral("\"localhost\" resolves to %1, which is "
                                                      "not a loopback address.")
                                               .arg(address.toString()));
            }
            if (!addresses.contains(address))
                addresses.append(address);
        }
        if (addresses.isEmpty()) {
            return ErrorInfo::make(Error::NetworkError,
                                   QStringLiteral("\"localhost\" does not resolve: ")
                                           + resolveError);
        }
        hostText = QStringLiteral("localhost");
        break;
    }
    }
    QString error;
    bool inUse = false;
    bool bound = false;
    if (ports.isEmpty()) {
        // Every address on one ephemeral port: the first picks, the others
        // follow; when another program holds it on one of them, pick again.
        for (int attempt = 0; attempt < ephemeralAttempts && !bound; ++attempt) {
            bound = bindAll(addresses, 0, &error, &inUse);
            if (!inUse)
                break;
        }
    } else {
        // A port another program holds: the next one on the list.
        for (const quint16 port : ports) {
            if ((bound = bindAll(addresses, port, &error, &inUse)))
                break;
        }
    }
    if (!bound) {
        QStringList names;
        for (const quint16 port : ports)
            names.append(QString::number(port));
        return ErrorInfo::make(
                Error::NetworkError,
                (ports.isEmpty() ? QStringLiteral("Cannot listen on the loopback interface: ")
                                 : QStringLiteral("None of the redirect ports %1 is free on %2: ")
                                           .arg(names.join(QLatin1String(", ")), hostText))
                        + error);
    }
    const QString port = QString::number(m_servers.first()->serverPort());
    m_expectedHost = (hostText + QLatin1Char(':') + port).toLatin1();
    m_path = path.toLatin1();
    m_redirectUri = QUrl(QStringLiteral("http://") + hostText + QLatin1Char(':') + port + path);
    return {};
}

QUrl LoopbackRedirectListener::redirectUri() const
{
    return m_redirectUri;
}

bool LoopbackRedirectListener::isListening() const
{
    return std::any_of(m_servers.cbegin(), m_servers.cend(),
                       [](const QTcpServer *server) { return server->isListening(); });
}

void LoopbackRedirectListener::close()
{
    m_admitTimer->stop();
    m_reading.clear();
    m_waiting.clear();
    for (QTcpServer *server : std::as_const(m_servers)) {
        server->close();
        // Sockets are children of their server: they go with it.
        server->deleteLater();
    }
    m_servers.clear();
}

void LoopbackRedirectListener::onNewConnection(QTcpServer *server)
{
    while (m_servers.contains(server) && server->hasPendingConnections()) {
        QTcpSocket *socket = server->nextPendingConnection();
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
    if (request.path != m_path) {
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
    if (m_done) {
        // Exactly one response is accepted: stop listening at once.
        for (QTcpServer *server : std::as_const(m_servers))
            server->close();
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
