// SPDX-License-Identifier: MIT
#pragma once

// A real HTTP/1.1 server on loopback that answers each request with the next
// scripted raw response (or closes the connection without answering). For
// tests of what a client does with answers no well-behaved server sends:
// HTML bodies, huge bodies, wrong token types, dropped connections.

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

#include <deque>

class ScriptedHttpServer : public QObject
{
public:
    struct Answer
    {
        QByteArray raw; // full HTTP response; empty: close without answering
        bool hang = false; // never answer (the client must time out)
    };

    explicit ScriptedHttpServer(QObject *parent = nullptr) : QObject(parent)
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                QObject::connect(socket, &QTcpSocket::readyRead, this,
                                 [this, socket] { onData(socket); });
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl url(const QString &path = QStringLiteral("/")) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path));
    }

    void enqueue(Answer answer) { m_answers.push_back(std::move(answer)); }
    void clearQueue() { m_answers.clear(); }

    static Answer json(int status, const QByteArray &body,
                       const QByteArray &contentType = QByteArrayLiteral("application/json"),
                       const QByteArray &extraHeaders = {})
    {
        QByteArray raw = "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: "
                + contentType + "\r\nContent-Length: " + QByteArray::number(body.size())
                + "\r\nConnection: close\r\n" + extraHeaders + "\r\n" + body;
        return {raw, false};
    }

    int requestCount() const { return m_requests; }
    QByteArray lastRequest() const { return m_lastRequest; }

private:
    void onData(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        qsizetype length = 0;
        for (const QByteArray &line : buffer.left(headerEnd).split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        if (buffer.size() < headerEnd + 4 + length)
            return;
        ++m_requests;
        m_lastRequest = buffer;
        m_buffers.remove(socket);
        if (m_answers.empty()) {
            socket->disconnectFromHost();
            return;
        }
        Answer answer = m_answers.front();
        m_answers.pop_front();
        if (answer.hang)
            return;
        if (answer.raw.isEmpty()) {
            socket->abort();
            return;
        }
        socket->write(answer.raw);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    std::deque<Answer> m_answers;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    int m_requests = 0;
    QByteArray m_lastRequest;
};
