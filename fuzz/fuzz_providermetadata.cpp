// SPDX-License-Identifier: MIT
// libFuzzer harness: parseProviderMetadata() — the discovery document
// (OpenID Connect Discovery 1.0 §4, RFC 8414 §3). Byte 0 picks the issuer
// the document is expected to name; the rest is the body.
#include "fuzzcheck.h"
#include "signin/providermetadata_p.h"

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

// Absent, or absolute https, or plain http on loopback only (RFC 8252 §8.3).
bool isAcceptableEndpoint(const QUrl &url)
{
    if (url.isEmpty())
        return true;
    const QString scheme = url.scheme().toLower();
    return url.isValid() && !url.isRelative() && !url.host().isEmpty() && !url.hasFragment()
            && (scheme == QLatin1String("https")
                || (scheme == QLatin1String("http") && isLoopbackHost(url.host())));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    static const QString issuers[] = {
            QStringLiteral("https://issuer.example"),
            QStringLiteral("https://issuer.example/tenant/"),
            QStringLiteral("http://127.0.0.1:8080"),
            QString(),
    };
    const QString &issuer = issuers[data[0] % std::size(issuers)];
    const QByteArrayView body(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));

    ProviderMetadata out;
    out.issuer = QStringLiteral("untouched");
    const ErrorInfo e = parseProviderMetadata(body, issuer, &out);
    if (e.isError()) {
        FUZZ_CHECK(!e.message.isEmpty());
        // The documented errors, plus ResponseTooLarge for the size cap.
        FUZZ_CHECK(e.code == Error::MalformedResponse || e.code == Error::InvalidConfiguration
                   || e.code == Error::InsecureTransport || e.code == Error::ResponseTooLarge);
        FUZZ_CHECK(out.issuer == QLatin1String("untouched") && out.tokenEndpoint.isEmpty());
        return 0;
    }
    FUZZ_CHECK(body.size() <= maxMetadataBytes);
    // Mix-up defence: the issuer is exactly the one asked for (§4.3).
    FUZZ_CHECK(out.issuer == issuer);
    FUZZ_CHECK(!out.tokenEndpoint.isEmpty());
    FUZZ_CHECK(isAcceptableEndpoint(out.tokenEndpoint));
    FUZZ_CHECK(isAcceptableEndpoint(out.authorizationEndpoint));
    FUZZ_CHECK(isAcceptableEndpoint(out.revocationEndpoint));
    FUZZ_CHECK(isAcceptableEndpoint(out.deviceAuthorizationEndpoint));
    FUZZ_CHECK(isAcceptableEndpoint(out.jwksUri));
    FUZZ_CHECK(out.codeChallengeMethods.size() <= 64);
    FUZZ_CHECK(out.idTokenSigningAlgs.size() <= 64);
    return 0;
}
