// SPDX-License-Identifier: MIT
// libFuzzer harness: splitJwt(), decodeJwtClaimsUnverified(), decodeJwtHeaderUnverified().
#include "fuzzcheck.h"
#include "session/jwtclaims_p.h"

#include <QJsonObject>

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;


namespace {

QByteArray b64(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView token = fuzzInput(data, size);
    const JwtParts parts = splitJwt(token);
    if (parts.ok) {
        // Strict and canonical: re-encoding gives back exactly the input.
        FUZZ_CHECK(token.size() <= maxJwtBytes);
        FUZZ_CHECK(b64(parts.header) + '.' + b64(parts.payload) + '.' + b64(parts.signature)
                   == token);
        FUZZ_CHECK(token.startsWith(parts.signingInput));
        FUZZ_CHECK(!parts.header.isEmpty() && !parts.payload.isEmpty());
    } else {
        FUZZ_CHECK(parts.header.isEmpty() && parts.payload.isEmpty() && parts.signature.isEmpty()
                   && parts.signingInput.isEmpty());
    }
    const QJsonObject claims = decodeJwtClaimsUnverified(token);
    const QJsonObject header = decodeJwtHeaderUnverified(token);
    if (!parts.ok)
        FUZZ_CHECK(claims.isEmpty() && header.isEmpty());
    return 0;
}
