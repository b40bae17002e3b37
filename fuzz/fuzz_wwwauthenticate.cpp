// SPDX-License-Identifier: MIT
// libFuzzer harness: parseWwwAuthenticate(), hasBearerChallenge().
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
    return 0;
}
