// SPDX-License-Identifier: MIT
// libFuzzer harness: parseCookieEnvelope(), makeCookieEnvelope(),
// isCookieOctets() — the stored credential of the cookie transport, read
// back from secure storage (which another process may have written).
#include "fuzzcheck.h"
#include "signin/cookietransportparsing_p.h"

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;


extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const auto *chars = reinterpret_cast<const char *>(data);
    const QByteArrayView input(chars, qsizetype(size));

    // 1. The input as a stored envelope.
    QByteArray cookie("untouched"), csrf("untouched");
    if (parseCookieEnvelope(input, &cookie, &csrf)) {
        FUZZ_CHECK(input.size() <= 3 * maxSetCookieBytes);
        FUZZ_CHECK(input.startsWith("stc1\n"));
        FUZZ_CHECK(!cookie.isEmpty() && isCookieOctets(cookie));
        // What was read back can be stored again and reads back the same.
        const SecretBytes again = makeCookieEnvelope(cookie, csrf);
        QByteArray cookie2, csrf2;
        FUZZ_CHECK(parseCookieEnvelope(again.view(), &cookie2, &csrf2));
        FUZZ_CHECK(cookie2 == cookie && csrf2 == csrf);
    } else {
        FUZZ_CHECK(cookie == "untouched" && csrf == "untouched");
    }

    // 2. The input as the two values to store: byte 0 says where to split.
    if (size < 1)
        return 0;
    const qsizetype split = qMin<qsizetype>(data[0], qsizetype(size) - 1);
    const QByteArrayView value = input.sliced(1, split);
    const QByteArrayView token = input.sliced(1 + split);
    const SecretBytes envelope = makeCookieEnvelope(value, token);
    QByteArray readValue, readToken;
    const bool expected = !value.isEmpty() && isCookieOctets(value)
            && envelope.view().size() <= 3 * maxSetCookieBytes;
    FUZZ_CHECK(parseCookieEnvelope(envelope.view(), &readValue, &readToken) == expected);
    if (expected)
        FUZZ_CHECK(readValue == value && readToken == token);
    return 0;
}
