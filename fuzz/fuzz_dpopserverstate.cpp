// SPDX-License-Identifier: MIT
// libFuzzer harness: DpopServerState — the DPoP-Nonce header (RFC 9449 §8.1)
// and the Date header (RFC 9110 §5.6.7) a DPoP client takes from every answer
// of a server it sends proofs to. Both come from the network; the nonce is put
// back into every later proof, so what is kept must be exactly a valid nonce.
// Input: the first byte selects nonce or date; the rest is the header value.
#include "fuzzcheck.h"
#include "session/dpopserverstate_p.h"

#include <cstddef>
#include <cstdint>

using namespace SecureTokens::Internal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    const QByteArrayView value = fuzzInput(data + 1, size - 1);
    const QString origin = QStringLiteral("https://as.example");
    DpopServerState state;
    if (data[0] & 1) {
        const qint64 now = 1'800'000'000;
        const bool taken = state.noteServerDate(origin, value, now);
        const qint64 offset = state.clockOffset(origin);
        FUZZ_CHECK(taken || offset == 0);
        FUZZ_CHECK(offset <= DpopServerState::maxClockCorrectionSeconds
                   && offset >= -DpopServerState::maxClockCorrectionSeconds);
        FUZZ_CHECK(state.issuedAt(origin, now) == now + offset);
        FUZZ_CHECK(state.clockOffset(QStringLiteral("https://other.example")) == 0);
    } else {
        const bool taken = state.noteNonce(origin, value);
        const QByteArray kept = state.nonce(origin);
        FUZZ_CHECK(taken == !kept.isEmpty());
        if (taken) {
            // What goes into a proof is a valid nonce, taken from the input.
            FUZZ_CHECK(DpopServerState::isValidNonce(kept));
            FUZZ_CHECK(value.contains(kept));
        }
        // A second, invalid value never replaces a valid one.
        state.noteNonce(origin, QByteArrayView("bad \"nonce\""));
        FUZZ_CHECK(state.nonce(origin) == kept);
        FUZZ_CHECK(state.nonce(QStringLiteral("https://other.example")).isEmpty());
    }
    return 0;
}
