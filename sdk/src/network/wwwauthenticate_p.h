// SPDX-License-Identifier: MIT
#pragma once

// Parsing of WWW-Authenticate header values (RFC 9110 §11.6.1, §11.2) as
// sent by resource servers with a 401 (RFC 6750 §3). Pure functions over
// untrusted input with hard limits; a fuzz target (fuzz/).
//
// Hand-written on purpose: the grammar is small, and a dependency for it
// would be more code to trust than this file.

#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

namespace SecureTokens {

//! Limits of parseWwwAuthenticate().
inline constexpr qsizetype maxWwwAuthenticateBytes = qsizetype(8) * 1024;
inline constexpr qsizetype maxAuthChallenges = 32;
inline constexpr qsizetype maxAuthParams = 32; //!< per challenge

//! One challenge: an auth-scheme with either auth-params or a token68.
struct SECURETOKENS_EXPORT AuthChallenge
{
    QByteArray scheme; //!< as sent; compare case-insensitively (RFC 9110 §11.1)
    QList<QPair<QByteArray, QByteArray>> params; //!< names as sent, values unquoted
    QByteArray token68; //!< set instead of params for e.g. "Negotiate abc=="

    //! The value of the parameter \a name (case-insensitive, RFC 9110 §11.2); empty if absent.
    QByteArray param(QByteArrayView name) const;
    //! True when the scheme is \a name, case-insensitively.
    bool isScheme(QByteArrayView name) const;
};

/*!
    Parses one or more comma-separated challenges (RFC 9110 §11.6.1): auth-params
    whose values are tokens or quoted-strings with backslash escapes, or a
    token68. Several header fields joined by Qt with ", " or "\n" parse as one
    list. Returns an empty list on malformed input or when the value exceeds
    maxWwwAuthenticateBytes, maxAuthChallenges challenges or maxAuthParams
    parameters in one challenge. A parameter named twice in one challenge is
    malformed (RFC 9110 §11.2, RFC 6750 §3).
*/
SECURETOKENS_EXPORT QList<AuthChallenge> parseWwwAuthenticate(QByteArrayView header);

/*!
    True when \a header holds a Bearer challenge (RFC 6750 §3; scheme
    case-insensitive). \a error, when not null, receives that challenge's
    "error" parameter (e.g. "invalid_token"), or an empty array.
*/
SECURETOKENS_EXPORT bool hasBearerChallenge(QByteArrayView header, QByteArray *error = nullptr);

} // namespace SecureTokens
