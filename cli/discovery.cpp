// SPDX-License-Identifier: MIT
#include "discovery.h"

#include <securetokens/sessionconfig.h>

#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

using namespace SecureTokens;

namespace Cli {

namespace {

constexpr qint64 maxDocumentBytes = 256 * 1024;

ErrorInfo fetch(QNetworkAccessManager &nam, const QUrl &url, QJsonObject *document)
{
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(15000);
    QNetworkReply *reply = nam.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0)
        return ErrorInfo::make(Error::NetworkError,
                               QStringLiteral("Cannot reach %1.").arg(url.host()));
    if (status != 200) {
        ErrorInfo e
                = ErrorInfo::make(status >= 500 ? Error::ServerError : Error::InvalidConfiguration,
                                  QStringLiteral("Discovery answered HTTP %1.").arg(status));
        e.httpStatus = status;
        return e;
    }
    const QByteArray body = reply->read(maxDocumentBytes + 1);
    if (body.size() > maxDocumentBytes)
        return ErrorInfo::make(Error::ResponseTooLarge,
                               QStringLiteral("Discovery document too large."));
    const QJsonDocument json = QJsonDocument::fromJson(body);
    if (!json.isObject())
        return ErrorInfo::make(Error::MalformedResponse,
                               QStringLiteral("The discovery document is not a JSON object."));
    *document = json.object();
    return {};
}

} // namespace

ErrorInfo discover(const QUrl &issuer, DiscoveredEndpoints *out)
{
    if (isInsecureTransport(issuer))
        return ErrorInfo::make(Error::InsecureTransport,
                               QStringLiteral("The issuer must be https (or http on loopback)."));
    QNetworkAccessManager nam;
    QString base = issuer.toString(QUrl::StripTrailingSlash);
    QJsonObject document;
    ErrorInfo error = fetch(nam, QUrl(base + QStringLiteral("/.well-known/openid-configuration")),
                            &document);
    if (error.isError() && error.httpStatus == 404)
        error = fetch(nam, QUrl(base + QStringLiteral("/.well-known/oauth-authorization-server")),
                      &document);
    if (error.isError())
        return error;

    // OpenID Connect Discovery §4.3 / RFC 8414 §3.3: exact match, or the
    // document may have been served for someone else.
    if (document.value(QLatin1String("issuer")).toString() != issuer.toString())
        return ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The discovery document names a different issuer."));

    const auto endpoint = [&](QLatin1String key, QUrl *url) -> ErrorInfo {
        const QString value = document.value(key).toString();
        if (value.isEmpty())
            return {};
        *url = QUrl(value);
        if (!url->isValid() || url->isRelative() || isInsecureTransport(*url))
            return ErrorInfo::make(
                    Error::InvalidConfiguration,
                    QStringLiteral("The discovery document's %1 is not https.").arg(key));
        return {};
    };
    if ((error = endpoint(QLatin1String("token_endpoint"), &out->tokenEndpoint)).isError())
        return error;
    if ((error = endpoint(QLatin1String("revocation_endpoint"), &out->revocationEndpoint))
                .isError())
        return error;
    if (out->tokenEndpoint.isEmpty())
        return ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The discovery document has no token_endpoint."));
    return {};
}

} // namespace Cli
