// SPDX-License-Identifier: MIT
#include "deviceauthorization_p.h"

#include <securetokens/sessionconfig.h>

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace SecureTokens {

ErrorInfo parseDeviceAuthorization(QByteArrayView body, DeviceAuthorization *out)
{
    auto malformed = [](const QString &why) {
        return ErrorInfo::make(Error::MalformedResponse,
                               QStringLiteral("Device authorization response rejected: ") + why);
    };
    if (body.size() > maxDeviceAuthorizationBytes)
        return ErrorInfo::make(Error::ResponseTooLarge,
                               QStringLiteral("The device authorization response is too large."));
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(body.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !json.isObject())
        return malformed(QStringLiteral("not a JSON object."));
    const QJsonObject doc = json.object();
    const QJsonValue deviceCode = doc.value(QLatin1String("device_code"));
    const QJsonValue userCode = doc.value(QLatin1String("user_code"));
    QJsonValue uri = doc.value(QLatin1String("verification_uri"));
    if (uri.isUndefined())
        uri = doc.value(QLatin1String("verification_url"));
    const QJsonValue expiresIn = doc.value(QLatin1String("expires_in"));
    if (!deviceCode.isString() || deviceCode.toString().isEmpty()
        || deviceCode.toString().size() > 4096)
        return malformed(QStringLiteral("device_code missing."));
    if (!userCode.isString() || userCode.toString().isEmpty() || userCode.toString().size() > 64)
        return malformed(QStringLiteral("user_code missing."));
    if (!expiresIn.isDouble() || expiresIn.toDouble() < 1 || expiresIn.toDouble() > 86400)
        return malformed(QStringLiteral("expires_in missing or out of range."));
    auto checkedUrl = [](const QJsonValue &value, QUrl *url) {
        const QUrl parsed(value.toString(), QUrl::StrictMode);
        if (!value.isString() || !parsed.isValid() || parsed.isRelative() || parsed.host().isEmpty()
            || (parsed.scheme() != QLatin1String("https")
                && (parsed.scheme() != QLatin1String("http") || isInsecureTransport(parsed))))
            return false;
        *url = parsed;
        return true;
    };
    DeviceAuthorization result;
    if (!checkedUrl(uri, &result.verificationUri))
        return malformed(QStringLiteral("verification_uri missing or not https."));
    const QJsonValue complete = doc.value(QLatin1String("verification_uri_complete"));
    if (!complete.isUndefined() && !checkedUrl(complete, &result.verificationUriComplete))
        return malformed(QStringLiteral("verification_uri_complete is not https."));
    const QJsonValue interval = doc.value(QLatin1String("interval"));
    if (!interval.isUndefined()) {
        if (!interval.isDouble() || interval.toDouble() < 0 || interval.toDouble() > 3600)
            return malformed(QStringLiteral("interval out of range."));
        result.interval = std::max<qint64>(1, qint64(interval.toDouble()));
    }
    QByteArray code = deviceCode.toString().toUtf8();
    result.deviceCode = SecretBytes::adopt(code);
    result.userCode = userCode.toString();
    result.expiresIn = qint64(expiresIn.toDouble());
    *out = std::move(result);
    return {};
}

} // namespace SecureTokens
