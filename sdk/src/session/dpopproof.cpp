// SPDX-License-Identifier: MIT
#include "dpopproof_p.h"

#include "dpopkey_p.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace SecureTokens::Internal {

namespace {

// SHA-256 of the access token for ath. One-shot EVP_Digest: OpenSSL cleanses
// its digest context (which holds the token's last partial block) when it
// frees it, which QCryptographicHash does not promise.
QByteArray accessTokenHash(QByteArrayView token)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest {};
    unsigned int length = 0;
    if (EVP_Digest(token.data(), std::size_t(token.size()), digest.data(), &length, EVP_sha256(),
                   nullptr)
        != 1)
        return {};
    return base64Url(
            QByteArrayView(reinterpret_cast<const char *>(digest.data()), qsizetype(length)));
}

QByteArray randomJti()
{
    std::array<unsigned char, 16> bytes {};
    if (RAND_bytes(bytes.data(), int(bytes.size())) != 1)
        return {};
    return base64Url(
            QByteArrayView(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size())));
}

// A claim's value as a JSON string (RFC 8259 §7). The claims are written by
// hand, not through QJsonObject and QJsonDocument: those cost about a third of
// the ES256 signature per proof, on every API request (bench/dpopbench.cpp),
// for five fixed members. Bytes from 0x80 up are written as \u00XX, the
// Latin-1 reading a QString::fromLatin1() would have given them: a server's
// nonce is ASCII (RFC 9449 §8, NQCHAR), anything else still makes valid JSON.
void appendJsonString(QByteArray *out, QByteArrayView value)
{
    // A nibble as a lower-case hex digit.
    const auto hexDigit = [](unsigned nibble) {
        return char(nibble < 10 ? '0' + nibble : 'a' + (nibble - 10));
    };
    out->append('"');
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out->append('\\');
            out->append(c);
        } else if (byte < 0x20 || byte >= 0x80) {
            out->append("\\u00", 4);
            out->append(hexDigit(byte >> 4U));
            out->append(hexDigit(byte & 0xFU));
        } else {
            out->append(c);
        }
    }
    out->append('"');
}

} // namespace

QByteArray dpopHtu(const QUrl &uri)
{
    QUrl htu = uri.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    const QString scheme = htu.scheme().toLower();
    htu.setScheme(scheme);
    if ((scheme == QLatin1String("https") && htu.port() == 443)
        || (scheme == QLatin1String("http") && htu.port() == 80))
        htu.setPort(-1);
    if (htu.path().isEmpty())
        htu.setPath(QStringLiteral("/"));
    return htu.toEncoded();
}

QByteArray buildDpopProof(const DpopKey &key, const DpopProofRequest &request)
{
    const QByteArray jti = randomJti();
    if (jti.isEmpty())
        return {};
    QByteArray claims;
    claims.reserve(320);
    claims.append(R"({"jti":)");
    appendJsonString(&claims, jti);
    claims.append(R"(,"htm":)");
    appendJsonString(&claims, request.method);
    claims.append(R"(,"htu":)");
    appendJsonString(&claims, dpopHtu(request.uri));
    claims.append(R"(,"iat":)").append(QByteArray::number(request.issuedAt));
    if (!request.accessToken.isEmpty()) {
        const QByteArray ath = accessTokenHash(request.accessToken);
        if (ath.isEmpty())
            return {};
        claims.append(R"(,"ath":)");
        appendJsonString(&claims, ath);
    }
    if (!request.nonce.isEmpty()) {
        claims.append(R"(,"nonce":)");
        appendJsonString(&claims, request.nonce);
    }
    claims.append('}');

    const QByteArray signingInput = key.proofHeader() + '.' + base64Url(claims);
    const QByteArray signature = key.sign(signingInput);
    if (signature.isEmpty())
        return {};
    return signingInput + '.' + base64Url(signature);
}

} // namespace SecureTokens::Internal
