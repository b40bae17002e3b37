// SPDX-License-Identifier: MIT
// libFuzzer harness: parseDeviceAuthorization() — the RFC 8628 §3.2 device
// authorization response.
#include "fuzzcheck.h"
#include "signin/deviceauthorization_p.h"

#include <QHostAddress>

#include <cstddef>
#include <cstdint>

using namespace SecureTokens;


namespace {

// Written here rather than calling isInsecureTransport(), the function under
// test: "localhost" or a loopback address (RFC 8252 §8.3).
bool isLoopbackHost(const QString &host)
{
    QHostAddress address;
    return host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0
            || (address.setAddress(host) && address.isLoopback());
}

// What the user is sent to: absolute https, plain http on loopback only.
bool isAcceptableUri(const QUrl &url)
{
    return url.isValid() && !url.isRelative() && !url.host().isEmpty()
            && (url.scheme() == QLatin1String("https")
                || (url.scheme() == QLatin1String("http") && isLoopbackHost(url.host())));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView body = fuzzInput(data, size);
    DeviceAuthorization out;
    out.userCode = QStringLiteral("untouched");
    out.expiresIn = -7;
    const ErrorInfo e = parseDeviceAuthorization(body, &out);
    if (e.isError()) {
        FUZZ_CHECK(!e.message.isEmpty());
        FUZZ_CHECK(e.code == Error::MalformedResponse || e.code == Error::ResponseTooLarge);
        FUZZ_CHECK(out.userCode == QLatin1String("untouched") && out.expiresIn == -7
                   && out.deviceCode.isEmpty() && out.verificationUri.isEmpty());
        return 0;
    }
    FUZZ_CHECK(body.size() <= 64 * 1024);
    // device_code: 1..4096 UTF-16 units, kept as UTF-8.
    FUZZ_CHECK(!out.deviceCode.isEmpty() && out.deviceCode.view().size() <= 3 * 4096);
    FUZZ_CHECK(!out.userCode.isEmpty() && out.userCode.size() <= 64);
    FUZZ_CHECK(out.expiresIn >= 1 && out.expiresIn <= 86400);
    FUZZ_CHECK(out.interval >= 1 && out.interval <= 3600);
    FUZZ_CHECK(isAcceptableUri(out.verificationUri));
    FUZZ_CHECK(out.verificationUriComplete.isEmpty()
               || isAcceptableUri(out.verificationUriComplete));
    return 0;
}
