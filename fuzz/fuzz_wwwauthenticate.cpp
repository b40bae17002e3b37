// SPDX-License-Identifier: MIT
// libFuzzer harness: parseWwwAuthenticate(), hasBearerChallenge(), parseResourceChallenge().
#include "fuzzcheck.h"
#include "network/wwwauthenticate_p.h"

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView header = fuzzInput(data, size);
    const QList<AuthChallenge> challenges = parseWwwAuthenticate(header);
    FUZZ_CHECK(challenges.size() <= maxAuthChallenges);
    FUZZ_CHECK(header.size() <= maxWwwAuthenticateBytes || challenges.isEmpty());
    bool bearer = false;
    QByteArray bearerError;
    for (const AuthChallenge &c : challenges) {
        FUZZ_CHECK(!c.scheme.isEmpty());
        FUZZ_CHECK(c.params.size() <= maxAuthParams);
        FUZZ_CHECK(c.params.isEmpty() || c.token68.isEmpty());
        for (const auto &p : c.params)
            FUZZ_CHECK(!p.first.isEmpty() && c.param(p.first) == p.second); // names are unique
        if (!bearer && c.isScheme("Bearer")) {
            bearer = true;
            bearerError = c.param("error");
        }
    }
    QByteArray error;
    FUZZ_CHECK(hasBearerChallenge(header, &error) == bearer);
    FUZZ_CHECK(error == bearerError);
    // The step-up / scope view (RFC 9470 §3, RFC 6750 §3.1) agrees with the list.
    const ResourceChallenge resource = parseResourceChallenge(header);
    FUZZ_CHECK(!bearer || resource.present);
    FUZZ_CHECK(resource.present || resource.error.isEmpty());
    FUZZ_CHECK(resource.maxAge >= -1 && resource.maxAge <= 9999999999LL);
    FUZZ_CHECK(!(resource.isStepUp() && resource.isInsufficientScope()));
    for (const QString &word : resource.acrValues + resource.scope)
        FUZZ_CHECK(!word.isEmpty() && !word.contains(QLatin1Char(' ')));
    return 0;
}
