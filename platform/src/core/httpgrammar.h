// SPDX-License-Identifier: MIT
#pragma once

// The pieces of HTTP's grammar (RFC 9110) that the SDK parses by hand: tokens,
// quoted strings, media types, HTTP-dates and Retry-After. One owner for each
// rule; the token-response parser, the WWW-Authenticate parser and the loopback
// redirect listener all use these. Pure functions over untrusted input.
//
// Hand-written on purpose: each rule is a few lines, and a dependency for them
// would be more code to trust than this file.

#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>

namespace SecureTokens {

//! RFC 9110 §5.6.2 tchar: a character allowed in a token.
SECURETOKENS_EXPORT bool isHttpTokenChar(char c);
//! RFC 9110 §5.6.2 token = 1*tchar.
SECURETOKENS_EXPORT bool isHttpToken(QByteArrayView s);
//! RFC 9110 §11.2: a character of token68 (the "=" padding excluded).
SECURETOKENS_EXPORT bool isToken68Char(char c);
//! \a s without leading and trailing optional whitespace (RFC 9110 §5.6.3 OWS: SP / HTAB).
SECURETOKENS_EXPORT QByteArrayView trimOws(QByteArrayView s);

/*!
    Reads a quoted-string (RFC 9110 §5.6.4) that starts at \a s[\a pos] (the
    opening DQUOTE) and appends its unescaped content to \a value. Returns the
    position after the closing DQUOTE, or -1 for an unterminated string or a
    character that is neither qdtext nor a valid quoted-pair (controls, CR and
    LF included).
*/
SECURETOKENS_EXPORT qsizetype readQuotedString(QByteArrayView s, qsizetype pos, QByteArray *value);

/*!
    True for Content-Type values naming JSON: application/json or
    application/<x>+json (RFC 9110 §8.3.1, RFC 6839 §3.1), parameters ignored.
*/
SECURETOKENS_EXPORT bool isJsonContentType(QByteArrayView contentType);

/*!
    Parses an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, or the obsolete RFC 850
    and asctime forms. A two-digit RFC 850 year is resolved against \a nowYear.
    Returns false for anything else; \a epoch receives seconds since 1970 (UTC).
*/
SECURETOKENS_EXPORT bool parseHttpDate(QByteArrayView value, int nowYear, qint64 *epoch);

/*!
    Parses a Retry-After value (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date
    taken relative to \a now. Returns the delay in seconds clamped to [0, 86400],
    or -1 when \a value is absent or invalid.
*/
SECURETOKENS_EXPORT int parseRetryAfter(QByteArrayView value, const QDateTime &now);

} // namespace SecureTokens
