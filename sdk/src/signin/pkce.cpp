// SPDX-License-Identifier: MIT
#include "pkce_p.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>

namespace SecureTokens {

QByteArray base64UrlEncode(QByteArrayView data)
{
    return QByteArray(data.data(), data.size())
            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

SecretBytes randomUrlSafeToken(int bytes)
{
    if (bytes <= 0 || bytes > 96)
        return {};
    std::array<unsigned char, 96> raw {};
    if (RAND_bytes(raw.data(), bytes) != 1) {
        OPENSSL_cleanse(raw.data(), raw.size());
        return {};
    }
    QByteArray encoded = base64UrlEncode(
            QByteArrayView(reinterpret_cast<const char *>(raw.data()), qsizetype(bytes)));
    OPENSSL_cleanse(raw.data(), raw.size());
    return SecretBytes::adopt(encoded);
}

SecretBytes newCodeVerifier()
{
    return randomUrlSafeToken(32);
}

QByteArray codeChallengeS256(QByteArrayView verifier)
{
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest {};
    unsigned int length = 0;
    if (EVP_Digest(verifier.data(), size_t(verifier.size()), digest.data(), &length, EVP_sha256(),
                   nullptr)
        != 1)
        return {};
    return base64UrlEncode(QByteArrayView(reinterpret_cast<const char *>(digest.data()), length));
}

bool isValidCodeVerifier(QByteArrayView verifier)
{
    if (verifier.size() < 43 || verifier.size() > 128)
        return false;
    // RFC 7636 §4.1: unreserved characters only.
    return std::all_of(verifier.begin(), verifier.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    });
}

} // namespace SecureTokens
