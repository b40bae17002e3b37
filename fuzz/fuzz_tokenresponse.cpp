// SPDX-License-Identifier: MIT
// libFuzzer harness: parseTokenResponse(), errorFromOAuthCode(), parseRetryAfter().
// Input: byte 0 picks the HTTP status, byte 1 the Content-Type and the limits,
// the rest is the body (and, on its own, a Retry-After value).
#include "fuzzcheck.h"
#include "core/httpgrammar.h"
#include "session/tokenresponse_p.h"

#include <QDateTime>

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;


namespace {

bool isPrintableAscii(QByteArrayView bytes)
{
    for (char c : bytes) {
        if (c < 0x20 || c > 0x7e)
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    static const int statuses[] = {200, 201, 204, 302, 400, 401, 403, 429, 500, 502, 503};
    static const char *const contentTypes[] = {
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/problem+json",
            "text/html",
            "",
            "application/x-www-form-urlencoded",
            "application/jsonx",
    };
    const int status = statuses[data[0] % std::size(statuses)];
    const QByteArrayView contentType(contentTypes[data[1] % std::size(contentTypes)]);
    TokenResponseLimits limits;
    if (data[1] & 0x80) { // small limits, so that limit paths are reached with short inputs
        limits.maxBodyBytes = 2048;
        limits.maxTokenBytes = 64;
    }
    const auto *chars = reinterpret_cast<const char *>(data);
    QByteArray body(chars + 2, qsizetype(size - 2));

    TokenResponse out;
    const ErrorInfo e = parseTokenResponse(status, contentType, body, &out, limits);

    // The body is wiped in every case.
    for (char c : std::as_const(body))
        FUZZ_CHECK(c == 0);
    if (e.isError()) {
        FUZZ_CHECK(!e.message.isEmpty());
        FUZZ_CHECK(e.httpStatus == status);
        FUZZ_CHECK(out.accessToken.isEmpty());
        FUZZ_CHECK(e.oauthErrorDescription.size() <= 1024);
    } else {
        FUZZ_CHECK(status >= 200 && status < 300);
        FUZZ_CHECK(!out.accessToken.isEmpty());
        FUZZ_CHECK(qsizetype(out.accessToken.size()) <= limits.maxTokenBytes);
        FUZZ_CHECK(isPrintableAscii(out.accessToken.view()));
        FUZZ_CHECK(isPrintableAscii(out.refreshToken.view()));
        FUZZ_CHECK(isPrintableAscii(out.idToken.view()));
        FUZZ_CHECK(
                out.expiresIn == -1
                || (out.expiresIn >= limits.minExpiresIn && out.expiresIn <= limits.maxExpiresIn));
    }

    const QString code = QString::fromUtf8(chars + 2, qsizetype(size - 2));
    const Error mapped = errorFromOAuthCode(code, status);
    FUZZ_CHECK(mapped != Error::NoError);
    if (status == 429 || status >= 500)
        FUZZ_CHECK(isTransient(mapped));

    static const QDateTime now = QDateTime::fromSecsSinceEpoch(1700000000).toUTC();
    const int delay = parseRetryAfter(QByteArrayView(chars + 2, qsizetype(size - 2)), now);
    FUZZ_CHECK(delay >= -1 && delay <= 86400);
    return 0;
}
