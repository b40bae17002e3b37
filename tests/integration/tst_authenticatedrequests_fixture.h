// SPDX-License-Identifier: MIT
#pragma once

// Shared by the tst_authenticatedrequests* suites: a signed-in Session against
// the in-process mock server, a tiny scripted HTTP server for redirects and
// raw header checks, and a probe that watches a reply the way QML's
// XMLHttpRequest does (readAll() on readyRead and finished, attributes).

#include "mockserverfixture.h"

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>

#include <mockauthserver.h>

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <functional>
#include <memory>

namespace TestSupport {

using namespace SecureTokens;

//! The shared fixture (mockserverfixture.h) with access tokens that live \a accessTtl seconds.
inline std::unique_ptr<Mock::MockAuthServer> startMockServer(qint64 accessTtl = 900)
{
    Mock::ServerConfig config;
    config.accessTtl = accessTtl;
    return MockTest::startMockServer(config);
}

inline QUrl at(const QUrl &base, const char *path)
{
    QUrl url = base;
    url.setPath(QString::fromLatin1(path));
    return url;
}

inline SessionConfig sessionConfigFor(const QUrl &base, const QList<QUrl> &moreOrigins = {})
{
    SessionConfig config;
    config.issuer = base;
    config.tokenEndpoint = at(base, "/oauth/token");
    config.revocationEndpoint = at(base, "/oauth/revoke");
    config.clientId = QStringLiteral("demo");
    config.secretStore = std::make_shared<MemorySecretStore>();
    config.apiOrigins = QList<QUrl> {base} + moreOrigins;
    return config;
}

//! Signs \a session in as alice; false when that did not happen within 10 s.
inline bool signIn(Session &session)
{
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    return QTest::qWaitFor([&] { return session.state() == Session::State::SignedIn; }, 10000);
}

inline qint64 counter(const Mock::MockAuthServer &server, const char *name)
{
    return server.stats().value(QLatin1String(name)).toInteger();
}

inline SecureTokens::Error sdkError(const QNetworkReply *reply)
{
    const QVariant v = reply->attribute(SecureTokens::ErrorAttribute);
    return v.isValid() ? v.value<SecureTokens::Error>() : SecureTokens::Error::NoError;
}

inline int httpStatus(const QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

/*!
    Watches a reply like QML's XMLHttpRequest: reads on readyRead and on
    finished, records every status seen at metaDataChanged time and how often
    each signal fired.
*/
class ReplyProbe : public QObject
{
public:
    explicit ReplyProbe(QNetworkReply *reply) : reply(reply)
    {
        connect(reply, &QNetworkReply::metaDataChanged, this,
                [this] { statusesSeen.append(httpStatus(this->reply)); });
        connect(reply, &QNetworkReply::readyRead, this, [this] {
            ++readyReads;
            body += this->reply->readAll();
        });
        connect(reply, &QNetworkReply::errorOccurred, this,
                [this](QNetworkReply::NetworkError) { ++errors; });
        connect(reply, &QNetworkReply::finished, this, [this] {
            ++finishedCount;
            if (this->reply->isOpen()) // abort() closes, as Qt's own replies do
                body += this->reply->readAll();
        });
    }

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }

    QPointer<QNetworkReply> reply;
    QList<int> statusesSeen;
    QByteArray body;
    int readyReads = 0;
    int errors = 0;
    int finishedCount = 0;
};

/*!
    A minimal HTTP/1.1 server on loopback for what the mock server does not
    do: redirects, bare 401s, recording raw request headers. One request per
    connection ("Connection: close").
*/
class ScriptedHttpServer : public QTcpServer
{
public:
    struct Request
    {
        QByteArray method;
        QByteArray path;
        QHash<QByteArray, QByteArray> headers; //!< lower-case names
        QByteArray body;
    };
    struct Response
    {
        int status = 200; //!< 0: never answer (the connection stays open)
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray body;
    };
    using Handler = std::function<Response(const Request &)>;

    ScriptedHttpServer()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = nextPendingConnection())
                serve(socket);
        });
    }

    bool start() { return listen(QHostAddress::LocalHost); }
    QUrl baseUrl() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(serverPort())); }

    //! Answers every request with 200 and the request serialized as JSON (like /api/echo).
    static Response echo(const Request &request)
    {
        QJsonObject headers;
        for (auto it = request.headers.cbegin(); it != request.headers.cend(); ++it)
            headers.insert(QString::fromLatin1(it.key()), QString::fromLatin1(it.value()));
        Response r;
        r.headers.append({QByteArray("Content-Type"), QByteArray("application/json")});
        r.body = QJsonDocument(
                         QJsonObject {
                                 {QStringLiteral("method"), QString::fromLatin1(request.method)},
                                 {QStringLiteral("path"), QString::fromLatin1(request.path)},
                                 {QStringLiteral("headers"), headers},
                                 {QStringLiteral("body"), QString::fromLatin1(request.body)}})
                         .toJson(QJsonDocument::Compact);
        return r;
    }

    static Response redirect(int status, const QByteArray &location)
    {
        Response r;
        r.status = status;
        r.headers.append({QByteArray("Location"), location});
        return r;
    }

    Handler handler = &ScriptedHttpServer::echo;
    QList<Request> received;
    int disconnects = 0; //!< connections closed (by either side)

private:
    void serve(QTcpSocket *socket)
    {
        auto buffer = std::make_shared<QByteArray>();
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::disconnected, this, [this] { ++disconnects; });
        connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
            buffer->append(socket->readAll());
            const qsizetype end = buffer->indexOf("\r\n\r\n");
            if (end < 0)
                return;
            Request request;
            const QList<QByteArray> lines = buffer->left(end).split('\n');
            const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
            request.method = first.value(0);
            request.path = first.value(1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines[i].indexOf(':');
                if (colon > 0)
                    request.headers.insert(lines[i].left(colon).trimmed().toLower(),
                                           lines[i].mid(colon + 1).trimmed());
            }
            const qsizetype length = request.headers.value("content-length", "0").toLongLong();
            if (buffer->size() < end + 4 + length)
                return;
            request.body = buffer->mid(end + 4, length);
            buffer->clear();
            received.append(request);
            const Response response = handler(request);
            if (response.status == 0)
                return;
            QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + " Scripted\r\n";
            for (const auto &h : response.headers)
                out += h.first + ": " + h.second + "\r\n";
            out += "Content-Length: " + QByteArray::number(response.body.size())
                    + "\r\nConnection: close\r\n\r\n" + response.body;
            socket->write(out);
            socket->disconnectFromHost();
        });
    }
};

} // namespace TestSupport
