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
    /*!
        Non-empty at a resource server: the access token's hash,
        dpopAccessTokenHash(token) (§4.2). Made once per token by its owner,
        not once per proof: a SHA-256 over a JWT access token cost about a
        fifth of what a proof adds to a request (bench/dpopbench.cpp).
    */
    QByteArray ath;
    QByteArray nonce; //!< the server's DPoP-Nonce for this origin, if it gave one (§8, §9)
    qint64 issuedAt = 0; //!< iat, seconds since 1970, already corrected for the server's clock
    //! dpopHtu(uri) when the caller keeps it per URL; made from uri when empty.
    QByteArray htu;
};

/*!
    The `htu` of a request to \a uri (RFC 9449 §4.2): scheme, host, port and
    path, without query and fragment; the scheme's default port left out and an
    empty path written as "/", the normalizations of RFC 3986 §6.2.3 that
    servers apply when they compare it (§4.3 step 9).
*/
SECURETOKENS_EXPORT QByteArray dpopHtu(const QUrl &uri);

/*!
    The `ath` of a proof carrying \a accessToken (RFC 9449 §4.2):
    base64url(SHA-256(the token's ASCII bytes)). Not secret (the token cannot
    be had from it); empty only when OpenSSL fails.
*/
SECURETOKENS_EXPORT QByteArray dpopAccessTokenHash(QByteArrayView accessToken);

/*!
    A compact-serialized DPoP proof (RFC 9449 §4.2): header typ "dpop+jwt",
    alg ES256, jwk (public); claims jti (128 bits from OpenSSL's CSPRNG), htm,
    htu, iat, and ath / nonce when given. Empty when the key cannot sign.
*/
SECURETOKENS_EXPORT QByteArray buildDpopProof(const DpopKey &key, const DpopProofRequest &request);

} // namespace SecureTokens::Internal
