// SPDX-License-Identifier: MIT
// libFuzzer harness: parsePushedAuthorization() — the RFC 9126 §2.2 pushed
// authorization response.
#include "fuzzcheck.h"
#include "signin/pushedauthorization_p.h"

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView body = fuzzInput(data, size);
    PushedAuthorization out;
    out.requestUri = QStringLiteral("untouched");
    out.expiresIn = -7;
    const ErrorInfo e = parsePushedAuthorization(body, &out);
    if (e.isError()) {
        FUZZ_CHECK(!e.message.isEmpty());
        FUZZ_CHECK(e.code == Error::MalformedResponse || e.code == Error::ResponseTooLarge);
        FUZZ_CHECK(out.requestUri == QLatin1String("untouched") && out.expiresIn == -7);
        return 0;
    }
    FUZZ_CHECK(body.size() <= maxPushedAuthorizationBytes);
    // What goes into the browser's URL: printable ASCII, no spaces, bounded.
    FUZZ_CHECK(!out.requestUri.isEmpty() && out.requestUri.size() <= 2048);
    for (const QChar c : std::as_const(out.requestUri))
        FUZZ_CHECK(c.unicode() > 0x20 && c.unicode() < 0x7f);
    FUZZ_CHECK(out.expiresIn >= 1 && out.expiresIn <= 86400 * 365);
    return 0;
}
