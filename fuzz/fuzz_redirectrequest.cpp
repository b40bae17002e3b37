// SPDX-License-Identifier: MIT
// libFuzzer harness: parseRedirectRequest(), parseUrlQuery() — the browser's
// request to the loopback redirect listener (RFC 8252 §7.3), i.e. untrusted
// bytes from any local process that finds the port.
#include "fuzzcheck.h"
#include "signin/redirectrequest_p.h"

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;


namespace {

using Params = QList<QPair<QByteArray, QByteArray>>;

bool namesUnique(const Params &params)
{
    for (qsizetype i = 0; i < params.size(); ++i) {
        for (qsizetype j = i + 1; j < params.size(); ++j) {
            if (params[i].first == params[j].first)
                return false;
        }
    }
    return true;
}

bool isVisibleAscii(QByteArrayView bytes)
{
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView head = fuzzInput(data, size);
    const RedirectRequest r = parseRedirectRequest(head);
    if (r.ok) {
        FUZZ_CHECK(head.size() <= maxRedirectRequestBytes);
        FUZZ_CHECK(head.indexOf("\r\n\r\n") >= 0);
        FUZZ_CHECK(r.error.isEmpty());
        FUZZ_CHECK(r.method == "GET");
        // Origin-form path: visible ASCII, no query, no fragment.
        FUZZ_CHECK(r.path.startsWith('/'));
        FUZZ_CHECK(isVisibleAscii(r.path));
        FUZZ_CHECK(!r.path.contains('?') && !r.path.contains('#'));
        // RFC 6749 §3.1: parameters must not repeat; the list is bounded.
        FUZZ_CHECK(r.params.size() <= 64);
        FUZZ_CHECK(namesUnique(r.params));
        // The Host value is one trimmed header line.
        FUZZ_CHECK(!r.host.contains('\r') && !r.host.contains('\n'));
        FUZZ_CHECK(r.host == r.host.trimmed());
        // The parameters are exactly those of the request-target's query.
        const qsizetype lineEnd = head.indexOf("\r\n");
        const QByteArrayView requestLine = head.first(lineEnd);
        const QByteArrayView target = requestLine.sliced(4, requestLine.lastIndexOf(' ') - 4);
        FUZZ_CHECK(target.startsWith(r.path));
        if (target.size() > r.path.size()) {
            Params again;
            FUZZ_CHECK(parseUrlQuery(target.sliced(r.path.size() + 1), &again));
            FUZZ_CHECK(again == r.params);
        } else {
            FUZZ_CHECK(r.params.isEmpty());
        }
    } else {
        // A refusal carries a fixed reason, never the input (it reaches logs and the page).
        FUZZ_CHECK(!r.error.isEmpty() && r.error.size() < 64);
        FUZZ_CHECK(isVisibleAscii(QByteArray(r.error).replace(' ', '_')));
        FUZZ_CHECK(r.method.isEmpty() && r.path.isEmpty() && r.host.isEmpty()
                   && r.params.isEmpty());
    }

    // The query splitter on its own: unique names, bounded, output untouched on refusal.
    Params out {{QByteArray("sentinel"), QByteArray("1")}};
    if (parseUrlQuery(head, &out)) {
        FUZZ_CHECK(out.size() <= 64);
        FUZZ_CHECK(namesUnique(out));
    } else {
        FUZZ_CHECK(out.size() == 1 && out.front().first == "sentinel");
    }
    return 0;
}
