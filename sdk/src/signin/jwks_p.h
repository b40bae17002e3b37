// SPDX-License-Identifier: MIT
#pragma once

// JSON Web Key Sets (RFC 7517) and JWS signature verification (RFC 7515,
// RFC 7518 §3.3 RS256, §3.4 ES256) with OpenSSL EVP. Pure functions over
// untrusted input with size limits (fuzz targets); jwkscache_p.h fetches and
// keeps a provider's set.

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <memory>

using EVP_PKEY = struct evp_pkey_st;

namespace SecureTokens {

//! Largest JWK Set accepted, in bytes, and most keys kept from one.
inline constexpr qint64 maxJwksBytes = qint64(64) * 1024;
inline constexpr int maxJwksKeys = 32;

//! A public signature key from a JWK Set.
struct Jwk
{
    QString kid; //!< may be empty
    QString kty; //!< "RSA" or "EC"
    QString alg; //!< may be empty (then any alg of the key type)
    std::shared_ptr<EVP_PKEY> key;
};

/*!
    Parses a JWK Set. Keeps the usable signature keys: RSA (n, e; at least
    2048 bits) and EC P-256 (crv, x, y; a point on the curve); skips keys with
    "use" other than "sig", other key types and curves, and private keys (a
    "d" member: the provider published a secret, refused). Fails on anything
    that is not a JSON object with a "keys" array.
*/
SECURETOKENS_EXPORT ErrorInfo parseJwks(QByteArrayView body, QList<Jwk> *out);

/*!
    Verifies a JWS signature over \a signingInput: RS256 (RSASSA-PKCS1-v1_5
    with SHA-256) with an RSA key, or ES256 (ECDSA P-256 with SHA-256; the
    signature is the 64-byte R||S of RFC 7518 §3.4, converted to DER for
    OpenSSL) with an EC key. Any other algorithm, or a key of the wrong type,
    fails.
*/
SECURETOKENS_EXPORT bool verifyJwsSignature(QByteArrayView alg, EVP_PKEY *key,
                                            QByteArrayView signingInput, QByteArrayView signature);

} // namespace SecureTokens
