// SPDX-License-Identifier: MIT
#include "jwtclaims_p.h"

#include <securetokens/secretbytes.h>

#include <QJsonDocument>
#include <QJsonParseError>

namespace SecureTokens {

namespace {

int base64UrlValue(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

// Strict base64url without padding (RFC 7515 §2, RFC 4648 §5). Written out
// rather than QByteArray::fromBase64Encoding() so that no copy of the encoded
// token is made and non-canonical encodings (non-zero unused bits, which
// would let two strings decode to the same bytes) are rejected.
bool decodeBase64Url(QByteArrayView in, QByteArray *out)
{
    if (in.size() % 4 == 1)
        return false;
    QByteArray decoded;
    decoded.reserve(in.size() / 4 * 3 + 2);
    quint32 buffer = 0;
    int bits = 0;
    for (char c : in) {
        const int value = base64UrlValue(c);
        if (value < 0) {
            secureWipe(decoded);
            return false;
        }
        buffer = (buffer << 6) | quint32(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            decoded.append(char((buffer >> bits) & 0xff));
            buffer &= (1U << bits) - 1;
        }
    }
    if (buffer != 0) { // leftover bits must be zero (RFC 4648 §3.5, canonical encoding)
        secureWipe(decoded);
        return false;
    }
    *out = std::move(decoded);
    return true;
}

void wipe(JwtParts &parts)
{
    secureWipe(parts.header);
    secureWipe(parts.payload);
    secureWipe(parts.signature);
    secureWipe(parts.signingInput);
    parts = JwtParts();
}

// Both parts must be JSON objects (RFC 7515 §4, RFC 7519 §7.2 step 10), which
// keeps out opaque tokens that happen to look like three base64url parts.
bool parseObject(const QByteArray &json, QJsonObject *object)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return false;
    *object = document.object();
    return true;
}

enum class Part { Header, Payload };

QJsonObject decodePart(QByteArrayView token, Part which)
{
    JwtParts parts = splitJwt(token);
    QJsonObject header;
    QJsonObject payload;
    const bool ok = parts.ok && parseObject(parts.header, &header)
            && parseObject(parts.payload, &payload);
    wipe(parts);
    if (!ok)
        return {};
    return which == Part::Header ? header : payload;
}

} // namespace

JwtParts splitJwt(QByteArrayView token)
{
    JwtParts parts;
    if (token.isEmpty() || token.size() > maxJwtBytes)
        return parts;
    const qsizetype firstDot = token.indexOf('.');
    if (firstDot <= 0)
        return parts;
    const qsizetype secondDot = token.indexOf('.', firstDot + 1);
    if (secondDot < 0 || secondDot == firstDot + 1)
        return parts;
    if (token.indexOf('.', secondDot + 1) >= 0) // a JWE has five parts; not for us
        return parts;

    if (!decodeBase64Url(token.first(firstDot), &parts.header)
        || !decodeBase64Url(token.sliced(firstDot + 1, secondDot - firstDot - 1), &parts.payload)
        || !decodeBase64Url(token.sliced(secondDot + 1), &parts.signature)) {
        wipe(parts);
        return parts;
    }
    parts.signingInput = token.first(secondDot).toByteArray();
    parts.ok = true;
    return parts;
}

QJsonObject decodeJwtClaimsUnverified(QByteArrayView token)
{
    return decodePart(token, Part::Payload);
}

QJsonObject decodeJwtHeaderUnverified(QByteArrayView token)
{
    return decodePart(token, Part::Header);
}

} // namespace SecureTokens
