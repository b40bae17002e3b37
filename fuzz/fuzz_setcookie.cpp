// SPDX-License-Identifier: MIT
// libFuzzer harness: parseSetCookie() (RFC 6265 §5.2) — Set-Cookie values from
// the token endpoint of the cookie transport.
#include "fuzzcheck.h"
#include "signin/cookietransportparsing_p.h"

#include <cstddef>
#include <cstdint>
#include <limits>

using namespace SecureTokens;


namespace {

bool isDefault(const SetCookie &c)
{
    return !c.ok && c.name.isEmpty() && c.value.isEmpty() && !c.hasMaxAge && c.maxAge == 0
            && !c.expiresInPast && !c.secure && !c.httpOnly && c.path.isEmpty()
            && c.domain.isEmpty() && c.sameSite.isEmpty();
}

bool hasNoSeparator(QByteArrayView v)
{
    return !v.contains(';') && !v.contains('\r') && !v.contains('\n') && !v.contains('\0');
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView header = fuzzInput(data, size);
    constexpr qint64 now = 1700000000;
    const SetCookie c = parseSetCookie(header, now);
    if (!c.ok) {
        FUZZ_CHECK(isDefault(c));
        return 0;
    }
    FUZZ_CHECK(header.size() <= maxSetCookieBytes);
    FUZZ_CHECK(!c.name.isEmpty());
    FUZZ_CHECK(c.name == c.name.trimmed());
    FUZZ_CHECK(!c.name.contains('='));
    FUZZ_CHECK(hasNoSeparator(c.name) && hasNoSeparator(c.value));
    FUZZ_CHECK(hasNoSeparator(c.path) && hasNoSeparator(c.domain) && hasNoSeparator(c.sameSite));
    FUZZ_CHECK(header.startsWith(c.name) || header.trimmed().startsWith(c.name));
    if (!c.hasMaxAge)
        FUZZ_CHECK(c.maxAge == 0);
    // Max-Age wins over Expires (§5.3 step 3).
    if (c.hasMaxAge)
        FUZZ_CHECK(c.deletes() == (c.maxAge <= 0));

    // Expires is monotonic in the clock: over now, still over later; not over
    // yet at the epoch's start unless it is before it.
    const SetCookie later = parseSetCookie(header, std::numeric_limits<qint64>::max());
    FUZZ_CHECK(later.ok && later.name == c.name && later.value == c.value);
    if (c.expiresInPast)
        FUZZ_CHECK(later.expiresInPast);
    const SetCookie earlier = parseSetCookie(header, std::numeric_limits<qint64>::min());
    if (earlier.expiresInPast)
        FUZZ_CHECK(c.expiresInPast);
    return 0;
}
