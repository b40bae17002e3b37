// SPDX-License-Identifier: MIT
#include "loopbackredirectlistener_p.h"

#include "core/httpgrammar.h"
#include "core/logging.h"

#include <QHostAddress>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace SecureTokens {

namespace {

constexpr int maxConnections = 16;
constexpr int connectionTimeoutMs = 10000;
constexpr int maxHeaderLines = 100;

QByteArray formDecode(QByteArrayView value)
{
    QByteArray text = value.toByteArray();
    text.replace('+', ' ');
    return QByteArray::fromPercentEncoding(text);
}

} // namespace

bool parseUrlQuery(QByteArrayView query, QList<QPair<QByteArray, QByteArray>> *out)
{
    QList<QPair<QByteArray, QByteArray>> params;
    qsizetype start = 0;
    while (start <= query.size()) {
        qsizetype end = query.indexOf('&', start);
        if (end < 0)
            end = query.size();
        const QByteArrayView pair = query.sliced(start, end - start);
        if (!pair.isEmpty()) {
            const qsizetype eq = pair.indexOf('=');
            const QByteArray name = formDecode(eq < 0 ? pair : pair.first(eq));
            const QByteArray value = eq < 0 ? QByteArray() : formDecode(pair.sliced(eq + 1));
            for (const auto &existing : std::as_const(params)) {
                if (existing.first == name)
                    return false;
            }
            if (params.size() >= 64)
                return false;
            params.append({name, value});
        }
        start = end + 1;
    }
    *out = std::move(params);
    return true;
}

RedirectRequest parseRedirectRequest(QByteArrayView head)
{
    RedirectRequest r;
    auto fail = [&r](const char *why) {
        RedirectRequest bad;
        bad.error = why;
        return bad;
    };
    if (head.size() > maxRedirectRequestBytes)
        return fail("request too large");
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0)
        return fail("incomplete request");
    const QByteArrayView block = head.first(end);
    qsizetype lineEnd = block.indexOf("\r\n");
    const QByteArrayView requestLine = lineEnd < 0 ? block : block.first(lineEnd);

    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
    const qsizetype sp1 = requestLine.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 <= sp1 + 1 || requestLine.indexOf(' ', sp2 + 1) >= 0)
        return fail("malformed request line");
    r.method = requestLine.first(sp1).toByteArray();
    const QByteArrayView target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = requestLine.sliced(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return fail("unsupported HTTP version");
    for (const char c : r.method) {
        if (!isHttpTokenChar(c))
            return fail("malformed method");
    }
    if (r.method != "GET")
        return fail("method not allowed");
    if (!target.startsWith('/'))
        return fail("origin-form target expected");
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '#')
            return fail("malformed target");
    }
    const qsizetype question = target.indexOf('?');
    r.path = (question < 0 ? target : target.first(question)).toByteArray();
    if (question >= 0 && !parseUrlQuery(target.sliced(question + 1), &r.params))
        return fail("repeated parameter");

    int hostCount = 0;
    int lines = 0;
    while (lineEnd >= 0) {
        const qsizetype next = lineEnd + 2;
        qsizetype nextEnd = block.indexOf("\r\n", next);
        const QByteArrayView line
                = nextEnd < 0 ? block.sliced(next) : block.sliced(next, nextEnd - next);
        lineEnd = nextEnd;
        if (++lines > maxHeaderLines)
            return fail("too many header fields");
        if (line.isEmpty())
            return fail("malformed header");
        if (line.front() == ' ' || line.front() == '\t')
            return fail("obsolete line folding"); // RFC 9112 §5.2
        // RFC 9110 §5.5: CR, LF or NUL inside a field must be rejected; a bare
        // LF would otherwise hide a second header line inside this one.
        if (line.contains('\r') || line.contains('\n') || line.contains('\0'))
            return fail("malformed header"); // found by fuzz_redirectrequest
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail("malformed header");
        const QByteArrayView name = line.first(colon);
        for (const char c : name) {
            if (!isHttpTokenChar(c))
                return fail("malformed header name");
        }
        if (name.compare("host", Qt::CaseInsensitive) == 0) {
            ++hostCount;
            r.host = line.sliced(colon + 1).trimmed().toByteArray();
        }
    }
    if (hostCount > 1 || (hostCount == 0 && version == "HTTP/1.1"))
        return fail("exactly one Host header expected"); // RFC 9112 §3.2
    r.ok = true;
    return r;
}

LoopbackRedirectListener::LoopbackRedirectListener(QObject *parent) : QObject(parent) { }

LoopbackRedirectListener::~LoopbackRedirectListener() = default;

bool LoopbackRedirectListener::listen(LoopbackRedirectHost host, QString *error)
{
    close();
    m_done = false;
    m_server = new QTcpServer(this);
    m_server->setMaxPendingConnections(maxConnections);
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
        // checked again because the answer carries the authorization code).
        if (!socket->peerAddress().isLoopback()
            || m_server->findChildren<QTcpSocket *>().size() > maxConnections) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        socket->setReadBufferSize(maxRedirectRequestBytes + 1);
        auto *timeout = new QTimer(socket);
        timeout->setSingleShot(true);
        connect(timeout, &QTimer::timeout, socket, [socket] { socket->abort(); });
        timeout->start(connectionTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
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
