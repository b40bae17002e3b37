// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

// Small wrappers over libcrypto: no hand-rolled cryptography in the mock server.
namespace SecureTokens::Mock::Crypto {

//! bytes from the OpenSSL CSPRNG (RAND_bytes); aborts if the generator fails.
QByteArray randomBytes(int count);
//! 256 random bits, base64url without padding: refresh tokens, codes, CSRF tokens.
QByteArray newOpaqueToken();
QByteArray sha256(const QByteArray &data);
QByteArray base64Url(const QByteArray &data);
//! Strict base64url decoding (no padding, no foreign characters); ok=false on error.
QByteArray fromBase64Url(const QByteArray &text, bool *ok);
//! Constant-time equality (CRYPTO_memcmp); the lengths are not secret.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace SecureTokens::Mock::Crypto
