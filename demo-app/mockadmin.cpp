// SPDX-License-Identifier: MIT
#include "mockadmin.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace SecureTokensDemo {

namespace {
// Admin answers are tiny JSON objects; anything larger is not the mock server.
constexpr qint64 maxAdminAnswer = 64 * 1024;
constexpr int adminTimeoutMs = 5000;
} // namespace

MockAdmin::MockAdmin(QObject *parent) : QObject(parent), m_nam(new QNetworkAccessManager(this)) { }

MockAdmin::~MockAdmin() = default;

QUrl MockAdmin::serverUrl() const
{
    return m_serverUrl;
}

void MockAdmin::setServerUrl(const QUrl &url)
{
    if (m_serverUrl == url)
        return;
    m_serverUrl = url;
    Q_EMIT serverUrlChanged();
}

QVariantMap MockAdmin::stats() const
{
    return m_stats;
}

bool MockAdmin::isAvailable() const
{
    return m_available;
}

QUrl MockAdmin::adminUrl(const QString &path) const
{
    QUrl url = m_serverUrl;
    url.setPath(QStringLiteral("/admin/") + path);
    return url;
}

void MockAdmin::setAvailable(bool available)
{
    if (m_available == available)
        return;
    m_available = available;
    Q_EMIT availableChanged();
}

void MockAdmin::call(QJSValue done, bool ok)
{
    if (done.isCallable())
        done.call({QJSValue(ok)});
}

void MockAdmin::setFaults(const QVariantMap &faults, const QJSValue &done)
{
    QNetworkRequest request(adminUrl(QStringLiteral("faults")));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setTransferTimeout(adminTimeoutMs);
    const QByteArray body = QJsonDocument(QJsonObject::fromVariantMap(faults)).toJson();
    QNetworkReply *reply = m_nam->post(request, body);
    connect(reply, &QNetworkReply::finished, this, [this, reply, done] {
        reply->deleteLater();
        const bool ok = reply->error() == QNetworkReply::NoError;
        setAvailable(ok);
        call(done, ok);
    });
}

void MockAdmin::clearFaults(const QJSValue &done)
{
    QNetworkRequest request(adminUrl(QStringLiteral("faults")));
    request.setTransferTimeout(adminTimeoutMs);
    QNetworkReply *reply = m_nam->deleteResource(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, done] {
        reply->deleteLater();
        const bool ok = reply->error() == QNetworkReply::NoError;
        setAvailable(ok);
        call(done, ok);
    });
}

void MockAdmin::refreshStats(const QJSValue &done)
{
    QNetworkRequest request(adminUrl(QStringLiteral("stats")));
    request.setTransferTimeout(adminTimeoutMs);
    QNetworkReply *reply = m_nam->get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, done] {
        reply->deleteLater();
        bool ok = reply->error() == QNetworkReply::NoError;
        if (ok) {
            const QJsonDocument json = QJsonDocument::fromJson(reply->read(maxAdminAnswer));
            ok = json.isObject();
            if (ok) {
                m_stats = json.object().toVariantMap();
                Q_EMIT statsChanged();
            }
        }
        setAvailable(ok);
        call(done, ok);
    });
}

} // namespace SecureTokensDemo
