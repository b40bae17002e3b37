// SPDX-License-Identifier: MIT
#include "pushedauthorization_p.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace SecureTokens {

namespace {

ErrorInfo malformed(const QString &why)
{
    return ErrorInfo::make(Error::MalformedResponse,
                           QStringLiteral("The pushed authorization response is malformed: ")
                                   + why);
}

} // namespace

ErrorInfo parsePushedAuthorization(QByteArrayView body, PushedAuthorization *out)
{
    if (body.size() > maxPushedAuthorizationBytes)
        return ErrorInfo::make(Error::ResponseTooLarge,
                               QStringLiteral("The pushed authorization response is too large."));
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(body.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !json.isObject())
        return malformed(QStringLiteral("not a JSON object."));
    const QJsonObject doc = json.object();
    const QJsonValue uri = doc.value(QLatin1String("request_uri"));
    if (!uri.isString() || uri.toString().isEmpty() || uri.toString().size() > 2048)
        return malformed(QStringLiteral("request_uri is missing or not a string."));
    for (const QChar c : uri.toString()) {
        if (c.unicode() <= 0x20 || c.unicode() >= 0x7f)
            return malformed(QStringLiteral("request_uri holds a character it may not."));
    }
    // §2.2: expires_in is a positive integer (seconds).
    const QJsonValue expires = doc.value(QLatin1String("expires_in"));
    const double seconds = expires.toDouble(-1);
    if (!expires.isDouble() || seconds < 1 || seconds > 86400.0 * 365
        || seconds != double(qint64(seconds)))
        return malformed(QStringLiteral("expires_in is missing or not a positive integer."));
    out->requestUri = uri.toString();
    out->expiresIn = qint64(seconds);
    return {};
}

} // namespace SecureTokens
