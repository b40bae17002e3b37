// SPDX-License-Identifier: MIT
#pragma once

// DPoP proofs (RFC 9449 §4): a JWT signed with the account's DPoP key that
// binds one HTTP request (method and URI) to that key, at one time, with a
// unique jti; at a resource server also to the access token (ath).

#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QUrl>

namespace SecureTokens::Internal {

class DpopKey;

struct DpopProofRequest
{
    QByteArray method; //!< htm: the request's method, e.g. "POST"
    QUrl uri; //!< htu is made from it (dpopHtu())
    //! Non-empty at a resource server: ath = base64url(SHA-256(token)) (§4.2).
    QByteArrayView accessToken;
    QByteArray nonce; //!< the server's DPoP-Nonce for this origin, if it gave one (§8, §9)
    qint64 issuedAt = 0; //!< iat, seconds since 1970, already corrected for the server's clock
};

/*!
    The `htu` of a request to \a uri (RFC 9449 §4.2): scheme, host, port and
    path, without query and fragment; the scheme's default port left out and an
    empty path written as "/", the normalizations of RFC 3986 §6.2.3 that
    servers apply when they compare it (§4.3 step 9).
*/
SECURETOKENS_EXPORT QByteArray dpopHtu(const QUrl &uri);

/*!
    A compact-serialized DPoP proof (RFC 9449 §4.2): header typ "dpop+jwt",
    alg ES256, jwk (public); claims jti (128 bits from OpenSSL's CSPRNG), htm,
    htu, iat, and ath / nonce when given. Empty when the key cannot sign.
*/
SECURETOKENS_EXPORT QByteArray buildDpopProof(const DpopKey &key, const DpopProofRequest &request);

} // namespace SecureTokens::Internal
