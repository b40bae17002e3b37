// SPDX-License-Identifier: MIT
#pragma once

// HTTP helpers for tests that talk to the mock authorization server:
// MockTest::send() and friends make one exchange over loopback with
// QNetworkAccessManager, waited for with QSignalSpy (no sleeps).
// The server itself: mockserverfixture.h (in process) and mockserverprocess.h
// (the executable).

#include "mockserverfixture.h"
#include "mockserverprocess.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPair>
#include <QProcess>
#include <QSignalSpy>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

namespace MockTest {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;
using FormList = QList<QPair<QString, QString>>;

//! The outcome of one HTTP exchange.
struct HttpResult
{
    int status = 0; //!< 0 when no HTTP answer came (closed connection, timeout)
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    bool finished = false;
    QByteArray body;
    HeaderList headers;

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return {};
    }
    bool hasHeader(const QByteArray &name) const
    {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return true;
        }
        return false;
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString jsonString(const char *key) const
    {
        return json().value(QLatin1String(key)).toString();
    }
};

//! application/x-www-form-urlencoded, every byte outside the unreserved set percent-encoded.
inline QByteArray formEncode(const FormList &fields)
{
    QByteArray out;
    for (const auto &f : fields) {
        if (!out.isEmpty())
            out += '&';
        out += QUrl::toPercentEncoding(f.first) + '=' + QUrl::toPercentEncoding(f.second);
    }
    return out;
}

inline QNetworkRequest makeRequest(const QUrl &url, const HeaderList &headers)
{
    QNetworkRequest request(url);
    // See redirects and cookies as the server sent them.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);
    return request;
}

inline HttpResult collect(QNetworkReply *reply, int timeoutMs)
{
    HttpResult result;
    if (!reply->isFinished()) {
        QSignalSpy finished(reply, &QNetworkReply::finished);
        finished.wait(timeoutMs);
    }
    result.finished = reply->isFinished();
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.error = reply->error();
    result.body = reply->readAll();
    result.headers = reply->rawHeaderPairs();
    if (!result.finished)
        reply->abort();
    reply->deleteLater();
    return result;
}

inline QNetworkReply *start(QNetworkAccessManager &nam, const QByteArray &verb, const QUrl &url,
                            const HeaderList &headers = {}, const QByteArray &body = {})
{
    return nam.sendCustomRequest(makeRequest(url, headers), verb, body);
}

inline HttpResult send(QNetworkAccessManager &nam, const QByteArray &verb, const QUrl &url,
                       const HeaderList &headers = {}, const QByteArray &body = {},
                       int timeoutMs = 10000)
{
    return collect(start(nam, verb, url, headers, body), timeoutMs);
}

inline HttpResult get(QNetworkAccessManager &nam, const QUrl &url, const HeaderList &headers = {})
{
    return send(nam, "GET", url, headers);
}

inline HttpResult postForm(QNetworkAccessManager &nam, const QUrl &url, const FormList &fields,
                           const HeaderList &headers = {})
{
    HeaderList all = headers;
    all.append(
            qMakePair(QByteArray("Content-Type"), QByteArray("application/x-www-form-urlencoded")));
    return send(nam, "POST", url, all, formEncode(fields));
}

inline HttpResult postJson(QNetworkAccessManager &nam, const QUrl &url, const QJsonObject &json,
                           const HeaderList &headers = {})
{
    HeaderList all = headers;
    all.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json")));
    return send(nam, "POST", url, all, QJsonDocument(json).toJson(QJsonDocument::Compact));
}

inline QUrl endpoint(const QUrl &base, const QString &path)
{
    QUrl url = base;
    url.setPath(path);
    return url;
}

inline HeaderList bearer(const QString &token)
{
    return {{"Authorization", "Bearer " + token.toLatin1()}};
}

} // namespace MockTest
