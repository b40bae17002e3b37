// SPDX-License-Identifier: MIT
// libFuzzer harness: parseProcNetTcpLine() — one line of /proc/net/tcp or
// /proc/net/tcp6, which the loopback redirect listener reads to tell which
// user a connecting process belongs to. The kernel writes the table, but a
// parser that trusts its input's shape is one bug away from reading past it.
#include "fuzzcheck.h"
#include "signin/procnettcp_p.h"

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView line = fuzzInput(data, size);
    const auto entry = parseProcNetTcpLine(line);
    if (!entry)
        return 0;
    FUZZ_CHECK(line.size() <= maxProcNetTcpLineBytes);
    // Both endpoints of one line are of one family.
    FUZZ_CHECK(entry->localAddress.protocol() == entry->remoteAddress.protocol());
    FUZZ_CHECK(entry->localAddress.protocol() == QAbstractSocket::IPv4Protocol
               || entry->localAddress.protocol() == QAbstractSocket::IPv6Protocol);
    // Deterministic: the same line gives the same entry.
    const auto again = parseProcNetTcpLine(line);
    FUZZ_CHECK(again && again->localAddress == entry->localAddress
               && again->localPort == entry->localPort && again->uid == entry->uid
               && again->inode == entry->inode && again->state == entry->state);
    // Trailing fields are ignored, so appending one changes nothing (within the limit).
    if (line.size() + 2 <= maxProcNetTcpLineBytes && !line.endsWith('\n')) {
        const QByteArray longer = line.toByteArray() + " 7";
        const auto extended = parseProcNetTcpLine(longer);
        FUZZ_CHECK(extended && extended->uid == entry->uid && extended->inode == entry->inode);
    }
    return 0;
}
