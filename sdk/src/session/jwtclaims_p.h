// SPDX-License-Identifier: MIT
#pragma once

// Unverified decoding of compact JWS tokens (RFC 7515 §7.1, RFC 7519 §7.2),
// for display only. Nothing here checks a signature: a decoded claim is never
// a basis for a security decision (token lifetime, for one, comes only from
// the token response's expires_in). Pure functions over untrusted input with a
// size limit; fuzz targets (fuzz/).

#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>

namespace SecureTokens {

//! Longest token the JWT helpers look at, in bytes.
inline constexpr qsizetype maxJwtBytes = qsizetype(16) * 1024;

//! The parts of a compact JWS, base64url-decoded.
struct JwtParts
{
    QByteArray header; //!< decoded JOSE header (JSON text, not checked here)
    QByteArray payload; //!< decoded payload
    QByteArray signature; //!< decoded signature; empty for an unsecured JWS ("alg":"none")
    QByteArray signingInput; //!< ASCII(BASE64URL(header) "." BASE64URL(payload)), RFC 7515 §5.2
    bool ok = false;
};

/*!
    Splits \a token into its three dot-separated parts and base64url-decodes
    them (RFC 7515 §2, §7.1). Strict: exactly three parts, non-empty header
    and payload, the base64url alphabet only (no padding, no '+' or '/'), and
    canonical encodings (unused trailing bits zero). Anything else, or a
    token longer than maxJwtBytes, returns ok == false with every field empty.
*/
SECURETOKENS_EXPORT JwtParts splitJwt(QByteArrayView token);

/*!
    Decodes the payload of a compact JWS \b without verifying it. Returns an
    empty object for opaque tokens and anything malformed (the header must be
    a JSON object too). For display (e.g. "sub") only — never trusted.
*/
SECURETOKENS_EXPORT QJsonObject decodeJwtClaimsUnverified(QByteArrayView token);

//! Like decodeJwtClaimsUnverified(), for the JOSE header (e.g. "alg", "kid").
SECURETOKENS_EXPORT QJsonObject decodeJwtHeaderUnverified(QByteArrayView token);

} // namespace SecureTokens
