// SPDX-License-Identifier: MIT
#pragma once

// The pushed authorization response (RFC 9126 §2.2), parsed by a pure
// function over untrusted input with a size limit.

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QByteArrayView>
#include <QString>

namespace SecureTokens {

//! Largest pushed authorization response accepted, in bytes.
inline constexpr qint64 maxPushedAuthorizationBytes = qint64(16) * 1024;

//! An RFC 9126 §2.2 answer: where the pushed request now lives.
struct PushedAuthorization
{
    QString requestUri; //!< e.g. urn:ietf:params:oauth:request_uri:...
    qint64 expiresIn = 0; //!< seconds
};

/*!
    Parses the 201 body of a pushed authorization request (JSON, at most
    maxPushedAuthorizationBytes): request_uri a non-empty string of at most
    2048 printable ASCII characters, expires_in a positive integer. Pure.
    Returns MalformedResponse on failure.
*/
SECURETOKENS_EXPORT ErrorInfo parsePushedAuthorization(QByteArrayView body,
                                                       PushedAuthorization *out);

} // namespace SecureTokens
