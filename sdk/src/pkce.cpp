// SPDX-License-Identifier: MIT
#include "pkce_p.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

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
    unsigned char raw[96];
    if (RAND_bytes(raw, bytes) != 1) {
        OPENSSL_cleanse(raw, sizeof raw);
        return {};
    }
    QByteArray encoded = base64UrlEncode(
            QByteArrayView(reinterpret_cast<const char *>(raw), qsizetype(bytes)));
    OPENSSL_cleanse(raw, sizeof raw);
    return SecretBytes::adopt(encoded);
}

SecretBytes newCodeVerifier()
{
    return randomUrlSafeToken(32);
}

QByteArray codeChallengeS256(QByteArrayView verifier)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    unsigned int length = 0;
    if (EVP_Digest(verifier.data(), size_t(verifier.size()), digest, &length, EVP_sha256(), nullptr)
        != 1)
        return {};
    return base64UrlEncode(QByteArrayView(reinterpret_cast<const char *>(digest), length));
}

bool isValidCodeVerifier(QByteArrayView verifier)
{
    if (verifier.size() < 43 || verifier.size() > 128)
        return false;
    for (const char c : verifier) {
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (!unreserved)
            return false;
    }
    return true;
}

} // namespace SecureTokens
