// SPDX-License-Identifier: MIT
// libFuzzer harness: parseJwks() and verifyJwsSignature() with the keys it
// accepts (RFC 7517, RFC 7518 §3.3/§3.4).
#include "fuzzcheck.h"
#include "signin/jwks_p.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;


extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView body = fuzzInput(data, size);
    QList<Jwk> keys {Jwk {QStringLiteral("untouched"), {}, {}, {}}};
    const ErrorInfo e = parseJwks(body, &keys);
    if (e.isError()) {
        FUZZ_CHECK(!e.message.isEmpty());
        FUZZ_CHECK(e.code == Error::MalformedResponse || e.code == Error::ResponseTooLarge);
        FUZZ_CHECK(keys.size() == 1 && keys.front().kid == QLatin1String("untouched"));
        return 0;
    }
    FUZZ_CHECK(body.size() <= maxJwksBytes);
    FUZZ_CHECK(keys.size() <= maxJwksKeys);
    static const QByteArray input("e30.e30");
    const QByteArray signature(64, '\x01');
    for (const Jwk &key : std::as_const(keys)) {
        FUZZ_CHECK(key.key != nullptr);
        EVP_PKEY *pkey = key.key.get();
        if (key.kty == QLatin1String("RSA")) {
            FUZZ_CHECK(EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA);
            FUZZ_CHECK(EVP_PKEY_get_bits(pkey) >= 2048 && EVP_PKEY_get_bits(pkey) <= 8192);
        } else {
            FUZZ_CHECK(key.kty == QLatin1String("EC"));
            FUZZ_CHECK(EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC);
            char group[32] = {};
            size_t length = 0;
            FUZZ_CHECK(EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                      sizeof group, &length)
                       == 1);
            FUZZ_CHECK(qstrcmp(group, "prime256v1") == 0);
        }
        // Never an algorithm the key was not made for, never "none" or HMAC
        // (RFC 8725 §3.1), whatever the signature.
        const bool rsa = key.kty == QLatin1String("RSA");
        FUZZ_CHECK(!verifyJwsSignature(rsa ? "ES256" : "RS256", pkey, input, signature));
        FUZZ_CHECK(!verifyJwsSignature("none", pkey, input, QByteArrayView()));
        FUZZ_CHECK(!verifyJwsSignature("HS256", pkey, input, signature));
        // Exercise the real path with fuzzed bytes (must not crash or leak).
        verifyJwsSignature(rsa ? "RS256" : "ES256", pkey, input,
                           body.first(qMin<qsizetype>(body.size(), rsa ? 256 : 64)));
    }
    return 0;
}
