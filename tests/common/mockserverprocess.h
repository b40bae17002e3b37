// SPDX-License-Identifier: MIT
#pragma once

// The mock authorization server as a child process, for the tests that need
// the executable itself and for securetokens-bench (a separate process keeps
// the server's CPU time, heap and instructions out of what is measured).
// Qt Core and Network only, so the benchmark can use it without Qt Test.

#include <QByteArray>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QStringList>
#include <QTimer>
#include <QUrl>

/*!
    Runs securetokens-mock-server as a child process. start() waits for the
    first stdout line, "listening on http://HOST:PORT", and parses the URL.
    The executable is found through SECURETOKENS_MOCK_SERVER_EXE (a compile
    definition), else next to the build's bin/ directory, unless
    setExecutable() names one.
*/
class MockServerProcess
{
public:
    MockServerProcess() = default;
    ~MockServerProcess() { stop(); }
    MockServerProcess(const MockServerProcess &) = delete;
    MockServerProcess &operator=(const MockServerProcess &) = delete;

    static QString executable()
    {
#ifdef SECURETOKENS_MOCK_SERVER_EXE
        return QStringLiteral(SECURETOKENS_MOCK_SERVER_EXE);
#else
        const QDir dir(QCoreApplication::applicationDirPath());
        for (const QString &candidate : {QStringLiteral("securetokens-mock-server"),
                                         QStringLiteral("../bin/securetokens-mock-server"),
                                         QStringLiteral("../../bin/securetokens-mock-server")}) {
            if (QFileInfo(dir.filePath(candidate)).isExecutable())
                return QDir::cleanPath(dir.filePath(candidate));
        }
        return QStringLiteral("securetokens-mock-server");
#endif
    }
    //! Runs \a path instead of executable().
    void setExecutable(const QString &path)
    {
        m_program = path;
    }

    //! Starts with --port 0 plus arguments; true once the listening line was read.
    bool start(const QStringList &arguments = {}, int timeoutMs = 15000)
    {
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start(m_program.isEmpty() ? executable() : m_program,
                        QStringList {QStringLiteral("--port"), QStringLiteral("0")} + arguments);
        if (!m_process.waitForStarted(timeoutMs)) {
            m_error = QStringLiteral("cannot start the mock server: ") + m_process.errorString();
            return false;
        }
        const QDeadlineTimer deadline(timeoutMs);
        while (!m_process.canReadLine() && m_process.state() == QProcess::Running
               && !deadline.hasExpired())
            m_process.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        m_firstLine = QString::fromUtf8(m_process.readLine()).trimmed();
        const QString prefix = QStringLiteral("listening on ");
        if (!m_firstLine.startsWith(prefix)) {
            m_error = QStringLiteral("the mock server did not report its address");
            return false;
        }
        m_baseUrl = QUrl(m_firstLine.mid(prefix.size()));
        return m_baseUrl.isValid() && m_baseUrl.port() > 0;
    }

    //! SIGTERM, then wait; true if it exited on its own with code 0.
    bool stop(int timeoutMs = 10000)
    {
        if (m_process.state() == QProcess::NotRunning)
            return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
        m_process.terminate();
        if (!m_process.waitForFinished(timeoutMs)) {
            m_process.kill();
            m_process.waitForFinished(timeoutMs);
            return false;
        }
        return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
    }

    QUrl baseUrl() const
    {
        return m_baseUrl;
    }
    QUrl url(const QString &path) const
    {
        return m_baseUrl.resolved(QUrl(path));
    }
    QString firstLine() const
    {
        return m_firstLine;
    }
    //! Why start() failed.
    QString errorString() const
    {
        return m_error;
    }
    QProcess &process()
    {
        return m_process;
    }

    // The admin API (the server must run with --admin).
    //! GET /admin/stats; empty on failure.
    QJsonObject stats()
    {
        int status = 0;
        const QByteArray body = call("GET", QStringLiteral("/admin/stats"), {}, &status);
        return status == 200 ? QJsonDocument::fromJson(body).object() : QJsonObject();
    }
    //! POST /admin/faults (faults accumulate).
    bool setFaults(const QJsonObject &faults)
    {
        int status = 0;
        call("POST", QStringLiteral("/admin/faults"),
             QJsonDocument(faults).toJson(QJsonDocument::Compact), &status);
        return status >= 200 && status < 300;
    }
    //! DELETE /admin/faults.
    bool clearFaults()
    {
        int status = 0;
        call("DELETE", QStringLiteral("/admin/faults"), {}, &status);
        return status >= 200 && status < 300;
    }
    //! after[name] - before[name] for two stats() answers.
    static qint64 delta(const QJsonObject &before, const QJsonObject &after, const QString &name)
    {
        return after.value(name).toInteger() - before.value(name).toInteger();
    }

private:
    // One admin exchange, waited for in a local event loop with a deadline.
    QByteArray call(const QByteArray &verb, const QString &path, const QByteArray &body,
                    int *status)
    {
        QNetworkRequest request(url(path));
        if (!body.isEmpty())
            request.setHeader(QNetworkRequest::ContentTypeHeader,
                              QByteArrayLiteral("application/json"));
        QNetworkReply *reply = m_admin.sendCustomRequest(request, verb, body);
        if (!reply->isFinished()) {
            QEventLoop loop;
            QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
            QTimer::singleShot(30000, &loop, &QEventLoop::quit);
            loop.exec();
        }
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray answer = reply->isFinished() ? reply->readAll() : QByteArray();
        if (!reply->isFinished())
            reply->abort();
        reply->deleteLater();
        return answer;
    }

    QProcess m_process;
    QNetworkAccessManager m_admin;
    QString m_program;
    QUrl m_baseUrl;
    QString m_firstLine;
    QString m_error;
};
