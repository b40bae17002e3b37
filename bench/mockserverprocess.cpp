// SPDX-License-Identifier: MIT
#include "mockserverprocess.h"

#include "benchutil.h"

#include <QDeadlineTimer>
#include <algorithm>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace Bench {

namespace {

QByteArray blockingCall(QNetworkAccessManager &nam, const QByteArray &verb, const QUrl &url,
                        const QByteArray &body, int *status)
{
    QNetworkRequest request(url);
    if (!body.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
    QNetworkReply *reply = nam.sendCustomRequest(request, verb, body);
    waitUntil([reply]() { return reply->isFinished(); }, 30000);
    *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray answer = reply->isFinished() ? reply->readAll() : QByteArray();
    if (!reply->isFinished())
        reply->abort();
    reply->deleteLater();
    return answer;
}

} // namespace

MockServerProcess::~MockServerProcess()
{
    stop();
}

bool MockServerProcess::start(const QString &program, const QStringList &extraArgs, QString *error)
{
    QStringList args {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--admin"),
                      QStringLiteral("--signing"), QStringLiteral("HS256")};
    args += extraArgs;
    // The server logs expected warnings (e.g. reuse detection); they are not ours to show.
    m_process.setStandardErrorFile(QProcess::nullDevice());
    m_process.start(program, args);
    if (!m_process.waitForStarted(10000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(program, m_process.errorString());
        return false;
    }
    QDeadlineTimer deadline(30000);
    while (!m_process.canReadLine() && !deadline.hasExpired()
           && m_process.state() == QProcess::Running)
        m_process.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
    const QByteArray line = m_process.readLine().trimmed();
    const QByteArray prefix("listening on ");
    if (!line.startsWith(prefix)) {
        *error = QStringLiteral("the mock server did not report its address");
        stop();
        return false;
    }
    m_base = QUrl(QString::fromLatin1(line.mid(prefix.size())));
    return m_base.isValid();
}

void MockServerProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(5000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

QJsonObject MockServerProcess::stats()
{
    int status = 0;
    const QByteArray body
            = blockingCall(m_admin, "GET", url(QStringLiteral("/admin/stats")), {}, &status);
    return status == 200 ? QJsonDocument::fromJson(body).object() : QJsonObject();
}

bool MockServerProcess::setFaults(const QJsonObject &faults)
{
    int status = 0;
    blockingCall(m_admin, "POST", url(QStringLiteral("/admin/faults")),
                 QJsonDocument(faults).toJson(QJsonDocument::Compact), &status);
    return status >= 200 && status < 300;
}

bool MockServerProcess::clearFaults()
{
    int status = 0;
    blockingCall(m_admin, "DELETE", url(QStringLiteral("/admin/faults")), {}, &status);
    return status >= 200 && status < 300;
}

qint64 MockServerProcess::delta(const QJsonObject &before, const QJsonObject &after,
                                const QString &name)
{
    return after.value(name).toInteger() - before.value(name).toInteger();
}

} // namespace Bench
