// SPDX-License-Identifier: MIT
#include "httpfrontend_p.h"

#include "logging_p.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QTimer>
#include <QUrl>

namespace SecureTokens::Mock {

QByteArray Request::mediaType() const
{
    const QByteArray value = header("Content-Type");
    const int semicolon = value.indexOf(';');
    return (semicolon < 0 ? value : value.left(semicolon)).trimmed().toLower();
}

void Response::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0) {
            h.second = value;
            return;
        }
    }
    headers.append({name, value});
}

QByteArray Response::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

Response Response::json(const QJsonObject &object, int status)
{
    return json(QJsonValue(object), status);
}

Response Response::json(const QJsonValue &value, int status)
{
    Response r;
    r.status = status;
    r.setHeader("Content-Type", "application/json");
    r.body = value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                             : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    return r;
}

Response Response::error(int status, const QString &error, const QString &description)
{
    Response r = json(QJsonObject {{QStringLiteral("error"), error},
                                   {QStringLiteral("error_description"), description}},
                      status);
    return r.noStore();
}

Response Response::html(const QString &body, int status)
{
    Response r;
    r.status = status;
    r.setHeader("Content-Type", "text/html; charset=utf-8");
    r.body = body.toUtf8();
    return r.noStore();
}

Response Response::redirect(const QUrl &location)
{
    Response r;
    r.status = 302;
    r.setHeader("Location", location.toEncoded());
    return r.noStore();
}

Response &Response::noStore()
{
    setHeader("Cache-Control", "no-store");
    setHeader("Pragma", "no-cache");
    return *this;
}

QUrlQuery parseForm(const QByteArray &body, bool *ok)
{
    // In application/x-www-form-urlencoded a '+' is a space; QUrlQuery only knows %20.
    QByteArray raw = body;
    raw.replace('+', "%20");
    const QUrlQuery form(QString::fromLatin1(raw));
    QStringList seen;
    *ok = true;
    for (const auto &item : form.queryItems()) {
        if (seen.contains(item.first))
            *ok = false;
        seen.append(item.first);
    }
    return form;
}

QString formValue(const QUrlQuery &form, const QString &key)
{
    return form.queryItemValue(key, QUrl::FullyDecoded);
}

namespace {

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get:
        return "GET";
    case QHttpServerRequest::Method::Put:
        return "PUT";
    case QHttpServerRequest::Method::Delete:
        return "DELETE";
    case QHttpServerRequest::Method::Post:
        return "POST";
    case QHttpServerRequest::Method::Head:
        return "HEAD";
    case QHttpServerRequest::Method::Options:
        return "OPTIONS";
    case QHttpServerRequest::Method::Patch:
        return "PATCH";
    case QHttpServerRequest::Method::Connect:
        return "CONNECT";
    case QHttpServerRequest::Method::Trace:
        return "TRACE";
    default:
        return "UNKNOWN";
    }
}

} // namespace

HttpFrontend::HttpFrontend(qint64 maxBodySize, Handler handler, QObject *parent)
    : HttpServerCompat(parent), m_maxBodySize(maxBodySize), m_handler(std::move(handler))
{ }

Response HttpFrontend::respond(const QHttpServerRequest &request) const
{
    Response r;
    if (request.body().size() > m_maxBodySize) {
        qCInfo(lcMockServer, "request body over the limit refused");
        r = Response::error(413, QStringLiteral("invalid_request"),
                            QStringLiteral("request body too large"));
    } else {
        const Request view {request, methodName(request.method()), request.url().path()};
        r = m_handler(view);
    }
    // RFC 9110 §6.6.1: a Date on every answer; the handler's is on the server's clock.
    if (r.header("Date").isEmpty())
        r.setHeader("Date",
                    QLocale::c()
                            .toString(QDateTime::currentDateTimeUtc(),
                                      QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
                            .toLatin1());
    // Headers every answer carries (OWASP secure headers); the HTML form needs inline style.
    r.setHeader("X-Content-Type-Options", "nosniff");
    r.setHeader("X-Frame-Options", "DENY");
    r.setHeader("Referrer-Policy", "no-referrer");
    if (r.header("Content-Type").startsWith("text/html")) {
        r.setHeader("Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                    "base-uri 'none'");
    } else {
        r.setHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    }
    return r;
}

void HttpFrontend::handle(const QHttpServerRequest &request, const PendingAnswer &answer)
{
    const Response r = respond(request);
    auto deliver = [answer, r]() {
        if (r.drop)
            answer.abortConnection();
        else
            answer.send(r.status, r.headers, r.body);
    };
    if (r.delayMs > 0)
        QTimer::singleShot(r.delayMs, this, deliver);
    else
        deliver();
}

} // namespace SecureTokens::Mock
