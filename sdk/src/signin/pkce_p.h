// SPDX-License-Identifier: MIT
#pragma once

// PKCE (RFC 7636) and the other one-time values of an authorization request
// (state, nonce). Every random byte comes from OpenSSL's CSPRNG (RAND_bytes).

#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>

namespace SecureTokens {

//! base64url without padding (RFC 4648 §5, RFC 7515 Appendix C).
SECURETOKENS_EXPORT QByteArray base64UrlEncode(QByteArrayView data);

/*!
    \a bytes random bytes from RAND_bytes, base64url-encoded (no padding).
    Returns an empty SecretBytes if the generator fails (never a weak value).
*/
SECURETOKENS_EXPORT SecretBytes randomUrlSafeToken(int bytes);

/*!
    A PKCE code_verifier (RFC 7636 §4.1): 32 random bytes give 43 characters
    of [A-Za-z0-9-_], 256 bits of entropy (the minimum length, §7.1).
*/
SECURETOKENS_EXPORT SecretBytes newCodeVerifier();

//! BASE64URL(SHA256(ASCII(verifier))), the S256 code_challenge (RFC 7636 §4.2).
SECURETOKENS_EXPORT QByteArray codeChallengeS256(QByteArrayView verifier);

//! Whether \a verifier has the RFC 7636 §4.1 syntax: 43–128 unreserved characters.
SECURETOKENS_EXPORT bool isValidCodeVerifier(QByteArrayView verifier);

} // namespace SecureTokens
