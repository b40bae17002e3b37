// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>

#include <QByteArray>
#include <QUrl>

#include <chrono>
#include <functional>

class QNetworkAccessManager;
class QNetworkReply;
class QObject;

namespace SecureTokens {

/*!
    \internal
    GETs a small public JSON document (discovery metadata, a JWK Set) with
    the same transport rules as the token endpoint: https except on loopback,
    no redirects, no cookies, no cache, a deadline and a size cap. \a done runs
    exactly once, later, unless \a context is destroyed first. A non-200
    answer is an error (ServerError for 5xx, MalformedResponse otherwise, with
    httpStatus set); its body is handed over too, for RFC 6749 §5.2 errors.

    With a non-null \a form the request is a POST of that
    application/x-www-form-urlencoded body instead of a GET; a non-empty
    \a authorization is sent as the Authorization header (client_secret_basic
    at the device authorization endpoint), a non-empty \a dpopProof as the DPoP
    header (RFC 9449). A non-empty \a onReply sees the finished reply right
    before \a done runs (e.g. for its DPoP-Nonce header).
*/
QNetworkReply *fetchPublicDocument(QNetworkAccessManager *nam, const QUrl &url, qint64 maxBytes,
                                   std::chrono::milliseconds timeout, QObject *context,
                                   std::function<void(ErrorInfo error, QByteArray body)> done,
                                   const QByteArray *form = nullptr,
                                   const QByteArray &authorization = {},
                                   const QByteArray &dpopProof = {},
                                   std::function<void(const QNetworkReply &reply)> onReply = {});

} // namespace SecureTokens
