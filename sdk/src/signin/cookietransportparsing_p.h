// SPDX-License-Identifier: MIT
#pragma once

// Pure, size-limited parsing for the cookie transport: Set-Cookie header
// values (RFC 6265 §5.2) and the envelope that keeps the refresh cookie and
// the CSRF token together as one stored secret. Fuzz targets.

#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>

namespace SecureTokens {

//! Longest Set-Cookie value looked at (RFC 6265 §6.1 asks for at least 4096 bytes per cookie).
inline constexpr qsizetype maxSetCookieBytes = qsizetype(8) * 1024;

//! One parsed Set-Cookie header value.
struct SetCookie
{
    bool ok = false;
    QByteArray name;
    QByteArray value;
    bool hasMaxAge = false;
    qint64 maxAge = 0; //!< seconds; <= 0 deletes the cookie (§5.2.2)
    bool expiresInPast = false; //!< an Expires attribute that is already over
    bool secure = false;
    bool httpOnly = false;
    QByteArray path;
    QByteArray domain;
    QByteArray sameSite;

    //! The server asks to delete the cookie (Max-Age <= 0, or an Expires in the past).
    bool deletes() const { return (hasMaxAge && maxAge <= 0) || (!hasMaxAge && expiresInPast); }
};

/*!
    Parses one Set-Cookie header value following RFC 6265 §5.2: the
    name-value pair up to the first ';' (a pair without '=' or with an empty
    name is ignored: ok == false), then attributes, case-insensitive, with
    unknown ones ignored. Values over maxSetCookieBytes are refused. Expires
    is compared with \a nowUtcSecs (seconds since the epoch).
*/
SECURETOKENS_EXPORT SetCookie parseSetCookie(QByteArrayView header, qint64 nowUtcSecs);

/*!
    The stored credential of the cookie transport: the refresh cookie's value
    and the current CSRF token, versioned ("stc1"), each base64url-encoded on
    its own line.
*/
SECURETOKENS_EXPORT SecretBytes makeCookieEnvelope(QByteArrayView cookieValue,
                                                   QByteArrayView csrfToken);
//! Reverses makeCookieEnvelope(); false (outputs untouched) for anything else.
SECURETOKENS_EXPORT bool parseCookieEnvelope(QByteArrayView envelope, QByteArray *cookieValue,
                                             QByteArray *csrfToken);

//! Whether \a value may be sent in a Cookie header (RFC 6265 §4.1.1 cookie-octet).
SECURETOKENS_EXPORT bool isCookieOctets(QByteArrayView value);

} // namespace SecureTokens
