// SPDX-License-Identifier: MIT
#pragma once

#include "httpcompat_p.h"

#include <QByteArray>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

#include <functional>

namespace SecureTokens::Mock {

//! What an endpoint sees of a request (a view over QHttpServerRequest).
struct Request
{
    const QHttpServerRequest &raw;
    QByteArray method; //!< "GET", "POST", ...
    QString path;

    QByteArray header(const QByteArray &name) const { return raw.value(name); }
    //! Every header in the order received (names: see HttpServerCompat::requestHeaders()).
    HeaderList headers() const { return HttpServerCompat::requestHeaders(raw); }
    QByteArray body() const { return raw.body(); }
    QHostAddress peer() const { return raw.remoteAddress(); }
    //! The media type of Content-Type, lower-cased, without parameters.
    QByteArray mediaType() const;
};

//! What an endpoint answers; the front end adds the common security headers.
struct Response
{
    int status = 200;
    HeaderList headers;
    QByteArray body;
    bool drop = false; //!< close the connection without answering (fault injection)
    int delayMs = 0; //!< answer later, without blocking the event loop

    void setHeader(const QByteArray &name, const QByteArray &value);
    QByteArray header(const QByteArray &name) const;

    static Response json(const QJsonObject &object, int status = 200);
    static Response json(const QJsonValue &value, int status = 200);
    //! RFC 6749 §5.2 error body {error, error_description}.
    static Response error(int status, const QString &error, const QString &description);
    static Response html(const QString &body, int status = 200);
    static Response redirect(const QUrl &location);
    //! Adds Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.1).
    Response &noStore();
};

/*!
    The HTTP side: hands every request to one handler and writes its
    Response, with the headers every answer carries, the body size limit,
    delayed answers and dropped connections. What differs between Qt
    versions is in HttpServerCompat (httpcompat_p.h).
*/
class HttpFrontend : public HttpServerCompat
{
    Q_OBJECT
public:
    using Handler = std::function<Response(const Request &)>;

    HttpFrontend(qint64 maxBodySize, Handler handler, QObject *parent = nullptr);

protected:
    void handle(const QHttpServerRequest &request, const PendingAnswer &answer) override;

private:
    Response respond(const QHttpServerRequest &request) const;

    qint64 m_maxBodySize;
    Handler m_handler;
};

//! Parses an application/x-www-form-urlencoded body ('+' is a space). ok=false
//! when a parameter appears more than once (RFC 6749 §3.1, §3.2).
QUrlQuery parseForm(const QByteArray &body, bool *ok);
QString formValue(const QUrlQuery &form, const QString &key);

} // namespace SecureTokens::Mock
