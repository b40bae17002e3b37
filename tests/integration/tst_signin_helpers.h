// SPDX-License-Identifier: MIT
#pragma once

// Test helpers for the sign-in flows: a "browser" that does what a person
// would do with the mock server's sign-in form, over real loopback HTTP.

#include <mockauthserver.h>
#include "scriptedsecretstore.h"
#include <securetokens/session.h>

#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTimer>
#include <QUrlQuery>

#include <functional>
#include <memory>

namespace SignInTest {

constexpr int kWait = 15000;

struct HttpResult
{
    int status = 0;
    QByteArray body;
    QUrl location;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
};

//! Sends a request and waits for the answer (bounded); no redirects are followed.
inline HttpResult send(QNetworkAccessManager &nam, const QByteArray &method, const QUrl &url,
                       const QByteArray &body = {},
                       const QList<QPair<QByteArray, QByteArray>> &headers = {})
{
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);
    if (method == "POST" && !request.hasRawHeader("Content-Type"))
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/x-www-form-urlencoded"));
    QNetworkReply *reply = nam.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(kWait, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    HttpResult result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.error = reply->error();
    const QByteArray location = reply->rawHeader("Location");
    if (!location.isEmpty())
        result.location = url.resolved(QUrl::fromEncoded(location));
    reply->deleteLater();
    return result;
}

inline QString htmlUnescape(QString s)
{
    s.replace(QStringLiteral("&quot;"), QStringLiteral("\""));
    s.replace(QStringLiteral("&lt;"), QStringLiteral("<"));
    s.replace(QStringLiteral("&gt;"), QStringLiteral(">"));
    s.replace(QStringLiteral("&#39;"), QStringLiteral("'"));
    s.replace(QStringLiteral("&amp;"), QStringLiteral("&"));
    return s;
}

//! The hidden fields of the first form in \a html.
inline QUrlQuery hiddenFields(const QByteArray &html)
{
    static const QRegularExpression input(
            QStringLiteral("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">"));
    QUrlQuery form;
    auto it = input.globalMatch(QString::fromUtf8(html));
    while (it.hasNext()) {
        const auto m = it.next();
        form.addQueryItem(m.captured(1), htmlUnescape(m.captured(2)));
    }
    return form;
}

inline QByteArray formBody(const QUrlQuery &form)
{
    QByteArray body;
    for (const auto &item : form.queryItems(QUrl::FullyDecoded)) {
        if (!body.isEmpty())
            body += '&';
        body += QUrl::toPercentEncoding(item.first) + '=' + QUrl::toPercentEncoding(item.second);
    }
    return body;
}

/*!
    Plays the user's browser: opens the authorization URL, fills in the sign-in
    form (or denies), follows the redirect to the app's loopback listener.
*/
struct FakeBrowser
{
    QString username = QStringLiteral("alice");
    QString password = QStringLiteral("wonderland");
    QString action = QStringLiteral("allow");
    QUrl authorizationUrl; //!< what the app asked to open
    QUrl callbackUrl; //!< where the server sent the browser back
    HttpResult formPage;
    HttpResult callbackPage; //!< the listener's answer
    bool done = false;
    //! GET the redirect (off for a claimed https redirect: its host is not loopback).
    bool followCallback = true;

    //! Runs the whole interaction now (nested loops: for use from a queued call).
    void run(const QUrl &url)
    {
        QNetworkAccessManager nam;
        authorizationUrl = url;
        formPage = send(nam, "GET", url);
        QUrlQuery form = hiddenFields(formPage.body);
        form.addQueryItem(QStringLiteral("username"), username);
        form.addQueryItem(QStringLiteral("password"), password);
        form.addQueryItem(QStringLiteral("action"), action);
        const HttpResult posted
                = send(nam, "POST", url.resolved(QUrl(QStringLiteral("/oauth/authorize"))),
                       formBody(form));
        callbackUrl = posted.location;
        if (callbackUrl.isValid() && followCallback)
            callbackPage = send(nam, "GET", callbackUrl);
        done = true;
    }

    //! An opener for SessionConfig::openBrowser that runs the browser right after.
    std::function<bool(const QUrl &)> opener()
    {
        return [this](const QUrl &url) {
            QTimer::singleShot(0, [this, url] { run(url); });
            return true;
        };
    }
};

inline QString queryValue(const QUrl &url, const QString &key)
{
    return QUrlQuery(url).queryItemValue(key, QUrl::FullyDecoded);
}

inline SecureTokens::SessionConfig discoveryConfig(const QUrl &issuer,
                                                   std::shared_ptr<SecureTokens::SecretStore> store)
{
    SecureTokens::SessionConfig config;
    config.issuer = issuer;
    config.clientId = QStringLiteral("demo");
    config.account = QStringLiteral("alice@signin");
    config.scopes = QStringList {QStringLiteral("openid"), QStringLiteral("profile"),
                                 QStringLiteral("email"), QStringLiteral("items")};
    config.secretStore = std::move(store);
    // The mock server offers PAR (RFC 9126); these tests read the request
    // from the browser's URL, so they push only when it is required. PAR
    // has its own tests (tst_signin_browser pushed*).
    config.usePushedAuthorizationRequests = false;
    return config;
}

} // namespace SignInTest
