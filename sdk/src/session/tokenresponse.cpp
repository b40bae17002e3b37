// SPDX-License-Identifier: MIT
#include "tokenresponse_p.h"

#include "core/httpgrammar.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QUrl>

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace SecureTokens {

namespace {

constexpr qsizetype maxErrorDescriptionChars = 1024;
constexpr qsizetype maxErrorCodeChars = 128;
constexpr qsizetype maxErrorUriChars = 2048;

// Wipes a QString we own alone. A string that still shares its buffer (with
// the JSON container, say) is only released: wiping would detach and wipe a copy.
void wipeString(QString &s) noexcept
{
    if (!s.isEmpty() && s.isDetached())
        OPENSSL_cleanse(s.data(), std::size_t(s.size()) * sizeof(QChar));
    s.clear();
}

// Runs last in parseTokenResponse(), after every JSON object built from the
// body is gone.
class BodyWiper
{
public:
    explicit BodyWiper(QByteArray &body) : m_body(body) { }
    ~BodyWiper()
    {
        if (m_body.isDetached())
            secureWipe(m_body); // keeps the size; every byte is now 0
        else
            m_body.clear(); // shared: drop our reference, the other owner wipes
    }
    Q_DISABLE_COPY_MOVE(BodyWiper)

private:
    QByteArray &m_body;
};

bool isVschar(char16_t c)
{
    return c >= 0x20 && c <= 0x7e; // RFC 6749 Appendix A: VSCHAR = %x20-7E
}

// RFC 6749 §5.2: error = 1*NQSCHAR, NQSCHAR = %x20-21 / %x23-5B / %x5D-7E.
bool isValidErrorCode(const QString &code)
{
    if (code.isEmpty() || code.size() > maxErrorCodeChars)
        return false;
    for (QChar ch : code) {
        const char16_t c = ch.unicode();
        if (!isVschar(c) || c == u'"' || c == u'\\')
            return false;
    }
    return true;
}

// error_description is meant for developers (RFC 6749 §5.2) but ends up in
// logs and dialogs: drop control and format characters (no terminal escapes,
// no bidi overrides) and bound the length.
QString sanitizeDescription(const QString &raw)
{
    QString clean;
    clean.reserve(qMin(raw.size(), maxErrorDescriptionChars));
    for (QChar ch : raw) {
        if (clean.size() >= maxErrorDescriptionChars)
            break;
        const QChar::Category cat = ch.category();
        if (cat == QChar::Other_Control || cat == QChar::Other_Format)
            continue;
        clean.append(ch);
    }
    if (!clean.isEmpty() && clean.back().isHighSurrogate())
        clean.chop(1);
    return clean;
}

QUrl validErrorUri(const QString &raw)
{
    if (raw.isEmpty() || raw.size() > maxErrorUriChars)
        return {};
    QUrl url(raw, QUrl::StrictMode);
    if (!url.isValid() || url.isRelative() || url.host().isEmpty())
        return {};
    const QString scheme = url.scheme();
    if (scheme != QLatin1String("https") && scheme != QLatin1String("http"))
        return {};
    return url;
}

Error errorFromStatus(int httpStatus)
{
    if (httpStatus == 503)
        return Error::TemporarilyUnavailable;
    if (httpStatus >= 500 && httpStatus < 600)
        return Error::ServerError;
    if (httpStatus == 429)
        return Error::RateLimited;
    // A 401 or 403 without an RFC 6749 error code we know is no verdict on
    // the grant: §5.2 has invalid_client / invalid_grant for that, in JSON. It
    // is a gateway or proxy in front of the server refusing with its own page
    // (issue 19 item 7). Only the server's JSON verdict may end a session and
    // delete the stored token; this one is transient: retried later.
    if (httpStatus == 401 || httpStatus == 403)
        return Error::MalformedResponse;
    if (httpStatus >= 400 && httpStatus < 500)
        return Error::InvalidRequest;
    return Error::MalformedResponse;
}

ErrorInfo malformed(int httpStatus, const QString &message)
{
    ErrorInfo e = ErrorInfo::make(Error::MalformedResponse, message);
    e.httpStatus = httpStatus;
    return e;
}

QString fieldMessage(QLatin1String field, const char *problem)
{
    return QStringLiteral("Token response: \"%1\" %2").arg(field, QLatin1String(problem));
}

ErrorInfo statusError(int httpStatus, const char *why)
{
    ErrorInfo e = ErrorInfo::make(errorFromStatus(httpStatus),
                                  QStringLiteral("Token endpoint answered HTTP %1 %2")
                                          .arg(httpStatus)
                                          .arg(QLatin1String(why)));
    e.httpStatus = httpStatus;
    return e;
}

// RFC 6749 §5.2 error body. The message names the status only; the server's
// own words go to the oauthError* fields.
ErrorInfo errorFromBody(int httpStatus, const QJsonObject &object)
{
    const QJsonValue error = object.value(QLatin1String("error"));
    const QString code = error.isString() ? error.toString() : QString();
    if (!isValidErrorCode(code)) {
        // A 2xx carrying a broken "error" is neither a success nor a usable error.
        if (httpStatus >= 200 && httpStatus < 300)
            return malformed(httpStatus,
                             fieldMessage(QLatin1String("error"),
                                          "is not a valid "
                                          "error code"));
        return statusError(httpStatus, "without a valid RFC 6749 \"error\" code");
    }

    ErrorInfo e;
    e.httpStatus = httpStatus;
    e.oauthError = code;
    e.code = errorFromOAuthCode(code, httpStatus);
    e.message = QStringLiteral("Token endpoint answered HTTP %1 with an RFC 6749 error")
                        .arg(httpStatus);
    const QJsonValue description = object.value(QLatin1String("error_description"));
    if (description.isString())
        e.oauthErrorDescription = sanitizeDescription(description.toString());
    const QJsonValue uri = object.value(QLatin1String("error_uri"));
    if (uri.isString())
        e.oauthErrorUri = validErrorUri(uri.toString());
    return e;
}

// Reads a token field: a non-empty string of VSCHAR (RFC 6749 Appendix A.12
// to A.17) no longer than maxBytes. Optional fields that are absent, null or
// "" leave *out empty ("keep the old refresh token").
ErrorInfo readTokenField(int httpStatus, const QJsonObject &object, QLatin1String name,
                         bool required, qsizetype maxBytes, SecretBytes *out)
{
    const QJsonValue value = object.value(name);
    if (value.isUndefined() || value.isNull()) {
        if (required)
            return malformed(httpStatus, fieldMessage(name, "is missing"));
        return {};
    }
    if (!value.isString())
        return malformed(httpStatus, fieldMessage(name, "is not a string"));

    QString text = value.toString();
    if (text.isEmpty()) {
        if (required)
            return malformed(httpStatus, fieldMessage(name, "is empty"));
        return {};
    }
    if (text.size() > maxBytes) {
        wipeString(text);
        return malformed(httpStatus, fieldMessage(name, "is longer than the configured limit"));
    }
    for (QChar ch : std::as_const(text)) {
        if (!isVschar(ch.unicode())) {
            wipeString(text);
            return malformed(httpStatus,
                             fieldMessage(name,
                                          "contains characters outside %x20-7E "
                                          "(RFC 6749 Appendix A)"));
        }
    }
    QByteArray bytes = text.toLatin1();
    wipeString(text);
    *out = SecretBytes::adopt(bytes);
    return {};
}

// expires_in (RFC 6749 §5.1) is a JSON number; some providers send it as a
// string of digits, which is accepted too. Fractions are rejected.
ErrorInfo readExpiresIn(int httpStatus, const QJsonObject &object,
                        const TokenResponseLimits &limits, qint64 *out)
{
    const QLatin1String name("expires_in");
    const QJsonValue value = object.value(name);
    if (value.isUndefined() || value.isNull()) {
        *out = -1;
        return {};
    }
    double seconds = 0;
    if (value.isDouble()) {
        seconds = value.toDouble();
        if (!std::isfinite(seconds) || std::trunc(seconds) != seconds)
            return malformed(httpStatus, fieldMessage(name, "is not an integer"));
    } else if (value.isString()) {
        const QString text = value.toString();
        if (text.isEmpty() || text.size() > 18)
            return malformed(httpStatus, fieldMessage(name, "is not an integer"));
        qint64 n = 0;
        for (QChar ch : text) {
            if (ch < u'0' || ch > u'9')
                return malformed(httpStatus, fieldMessage(name, "is not an integer"));
            n = n * 10 + (ch.unicode() - u'0');
        }
        seconds = double(n);
    } else {
        return malformed(httpStatus, fieldMessage(name, "is not a number"));
    }
    if (seconds < double(limits.minExpiresIn) || seconds > double(limits.maxExpiresIn))
        return malformed(httpStatus, fieldMessage(name, "is out of range"));
    *out = qint64(seconds);
    return {};
}

ErrorInfo readScope(int httpStatus, const QJsonObject &object, qsizetype maxChars, QString *out)
{
    const QLatin1String name("scope");
    const QJsonValue value = object.value(name);
    if (value.isUndefined() || value.isNull())
        return {};
    if (!value.isString())
        return malformed(httpStatus, fieldMessage(name, "is not a string"));
    const QString scope = value.toString();
    if (scope.size() > maxChars)
        return malformed(httpStatus, fieldMessage(name, "is longer than the configured limit"));
    for (QChar ch : scope) {
        if (!isVschar(ch.unicode())) // RFC 6749 §3.3: scope tokens are NQCHAR, space-separated
            return malformed(httpStatus, fieldMessage(name, "contains invalid characters"));
    }
    *out = scope;
    return {};
}

ErrorInfo parseSuccess(int httpStatus, const QJsonObject &object, const TokenResponseLimits &limits,
                       TokenResponse *out)
{
    TokenResponse parsed;
    ErrorInfo e = readTokenField(httpStatus, object, QLatin1String("access_token"), true,
                                 limits.maxTokenBytes, &parsed.accessToken);
    if (e.isError())
        return e;

    // RFC 6749 §7.1 / RFC 6750: Bearer tokens; DPoP-bound ones (RFC 9449 §5)
    // only when a proof went with the request, so a server cannot bind a
    // token to a key we never offered. The type name is case-insensitive
    // (RFC 6749 §5.1).
    const QJsonValue type = object.value(QLatin1String("token_type"));
    if (type.isUndefined() || type.isNull())
        return malformed(httpStatus, fieldMessage(QLatin1String("token_type"), "is missing"));
    if (!type.isString())
        return malformed(httpStatus, fieldMessage(QLatin1String("token_type"), "is not a string"));
    if (limits.acceptDpop
        && type.toString().compare(QLatin1String("DPoP"), Qt::CaseInsensitive) == 0) {
        parsed.dpopBound = true;
    } else if (type.toString().compare(QLatin1String("Bearer"), Qt::CaseInsensitive) != 0) {
        ErrorInfo unsupported = ErrorInfo::make(
                Error::UnsupportedTokenType,
                limits.acceptDpop
                        ? QStringLiteral("Token response: \"token_type\" is neither Bearer nor "
                                         "DPoP (RFC 6750, RFC 9449 §5)")
                        : QStringLiteral("Token response: \"token_type\" is not Bearer (RFC "
                                         "6750; DPoP only when a proof was sent)"));
        unsupported.httpStatus = httpStatus;
        return unsupported;
    }

    e = readExpiresIn(httpStatus, object, limits, &parsed.expiresIn);
    if (e.isError())
        return e;
    e = readTokenField(httpStatus, object, QLatin1String("refresh_token"), false,
                       limits.maxTokenBytes, &parsed.refreshToken);
    if (e.isError())
        return e;
    e = readTokenField(httpStatus, object, QLatin1String("id_token"), false, limits.maxTokenBytes,
                       &parsed.idToken);
    if (e.isError())
        return e;
    e = readScope(httpStatus, object, limits.maxTokenBytes, &parsed.scope);
    if (e.isError())
        return e;

    if (out)
        *out = std::move(parsed);
    return {};
}

ErrorInfo parseImpl(int httpStatus, QByteArrayView contentType, const QByteArray &body,
                    TokenResponse *out, const TokenResponseLimits &limits)
{
    const bool success = httpStatus >= 200 && httpStatus < 300;

    // Checked before anything looks at the body. An oversized error page (a
    // proxy's HTML, say) still reports its status, which matters more.
    if (body.size() > limits.maxBodyBytes) {
        if (!success)
            return statusError(httpStatus, "with a body too large to parse");
        ErrorInfo e = ErrorInfo::make(
                Error::ResponseTooLarge,
                QStringLiteral("Token response body exceeds %1 bytes").arg(limits.maxBodyBytes));
        e.httpStatus = httpStatus;
        return e;
    }

    if (!isJsonContentType(contentType)) {
        if (!success)
            return statusError(httpStatus, "with a non-JSON body");
        ErrorInfo e = ErrorInfo::make(
                Error::UnexpectedContentType,
                QStringLiteral("Token response is not application/json (RFC 6749 §5.1)"));
        e.httpStatus = httpStatus;
        return e;
    }

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        if (!success)
            return statusError(httpStatus, "with a body that is not a JSON object");
        return malformed(httpStatus, QStringLiteral("Token response is not a JSON object"));
    }
    const QJsonObject object = document.object();

    // RFC 6749 §5.2; a 2xx carrying "error" is an error too, never a success.
    if (!success || object.contains(QLatin1String("error")))
        return errorFromBody(httpStatus, object);
    return parseSuccess(httpStatus, object, limits, out);
}

} // namespace

ErrorInfo parseTokenResponse(int httpStatus, QByteArrayView contentType, QByteArray &body,
                             TokenResponse *out, const TokenResponseLimits &limits)
{
    const BodyWiper wiper(body); // destroyed last, after every JSON copy
    return parseImpl(httpStatus, contentType, body, out, limits);
}

Error errorFromOAuthCode(QStringView oauthError, int httpStatus)
{
    struct Mapping
    {
        const char *code;
        Error error;
    };
    // RFC 6749 §5.2, plus access_denied from §4.1.2.1 (authorization endpoint).
    // RFC 8707 §2: invalid_target.
    static constexpr std::array<Mapping, 10> mappings = {{
            {"invalid_request", Error::InvalidRequest},
            {"invalid_client", Error::InvalidClient},
            {"invalid_grant", Error::InvalidGrant},
            {"unauthorized_client", Error::UnauthorizedClient},
            {"unsupported_grant_type", Error::UnsupportedGrantType},
            {"invalid_scope", Error::InvalidScope},
            {"access_denied", Error::AccessDenied},
            {"server_error", Error::ServerError},
            {"temporarily_unavailable", Error::TemporarilyUnavailable},
            {"invalid_target", Error::InvalidTarget},
    }};
    Error mapped = Error::NoError;
    for (const Mapping &m : mappings) {
        if (oauthError == QLatin1String(m.code)) { // codes are case-sensitive ASCII
            mapped = m.error;
            break;
        }
    }
    if (mapped == Error::NoError)
        return errorFromStatus(httpStatus);
    // A 5xx or 429 is the server failing, not a verdict on the grant.
    const bool transientStatus = httpStatus == 429 || (httpStatus >= 500 && httpStatus < 600);
    if (transientStatus && !isTransient(mapped))
        return errorFromStatus(httpStatus);
    return mapped;
}

} // namespace SecureTokens
