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
#include <QStringList>

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

//! What a resource server's challenge asks of the client (RFC 6750 §3, RFC 9470 §3).
struct SECURETOKENS_EXPORT ResourceChallenge
{
    bool present = false; //!< a Bearer or DPoP challenge was found
    QByteArray error; //!< its "error" (invalid_token, insufficient_scope, ...); empty: none
    QByteArray errorDescription; //!< its "error_description" (RFC 6750 §3), for people
    //! RFC 6750 §3 "scope": the scope the request needs, space-delimited in the header.
    QStringList scope;
    //! RFC 9470 §3 "acr_values": the acceptable authentication levels, in order of preference.
    QStringList acrValues;
    //! RFC 9470 §3 "max_age": seconds since the user's last authentication; -1: absent or malformed.
    qint64 maxAge = -1;

    //! error is insufficient_user_authentication (RFC 9470 §3): the user must sign in again.
    bool isStepUp() const { return error == "insufficient_user_authentication"; }
    //! error is insufficient_scope (RFC 6750 §3.1): the token lacks scope.
    bool isInsufficientScope() const { return error == "insufficient_scope"; }
};

/*!
    The Bearer challenge in \a header, else the DPoP one (RFC 9449 §7.1: the
    schemes an SDK token is sent with); of several, the first that has an
    "error". max_age is a non-negative decimal integer of at most 10 digits
    (else -1: a malformed value is not guessed at); scope and acr_values are
    split at spaces. Pure; the limits of parseWwwAuthenticate() apply.
*/
SECURETOKENS_EXPORT ResourceChallenge parseResourceChallenge(QByteArrayView header);

} // namespace SecureTokens
