// SPDX-License-Identifier: MIT
#pragma once

// The browser's request to the loopback redirect listener (RFC 8252 §7.3),
// parsed by a pure function over untrusted input with hard limits (a fuzz target).

#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

namespace SecureTokens {

//! Largest request head (request line + headers) the listener reads, in bytes.
inline constexpr qsizetype maxRedirectRequestBytes = qsizetype(8) * 1024;

//! A parsed browser request to the listener.
struct RedirectRequest
{
    bool ok = false; //!< a well-formed GET (false: answer 400)
    QByteArray method;
    QByteArray path; //!< the target's path, percent-encoded as received
    QByteArray host; //!< the Host header value
    //! Query parameters, percent-decoded, in order; names are unique when ok.
    QList<QPair<QByteArray, QByteArray>> params;
    QByteArray error; //!< why it is not ok (for the error page and logs; never a value)
};

/*!
    Parses an HTTP/1.1 request head (RFC 9112 §3: request line, header fields,
    empty line) of at most maxRedirectRequestBytes. Pure; a fuzz target.
    Refuses: another method than GET, an absolute-form or asterisk target, a
    version other than HTTP/1.0 / HTTP/1.1, header lines without a colon,
    obsolete line folding, several Host headers, a missing Host (HTTP/1.1),
    and repeated query parameters (RFC 6749 §3.1).
*/
SECURETOKENS_EXPORT RedirectRequest parseRedirectRequest(QByteArrayView head);

//! Splits an application/x-www-form-urlencoded query; false on a repeated name.
SECURETOKENS_EXPORT bool parseUrlQuery(QByteArrayView query,
                                       QList<QPair<QByteArray, QByteArray>> *out);

} // namespace SecureTokens
