// SPDX-License-Identifier: MIT
#include "dpopproof_p.h"

#include "dpopkey_p.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

#include <algorithm>
#include <array>
#include <charconv>

namespace SecureTokens::Internal {

namespace {

// 128 bits per jti (RFC 9449 §4.2 and §11.1: unique, unguessable). Drawn 64
// at a time: one RAND_bytes call cost as much as the rest of the claims. A jti
// is no secret (it goes out in clear in the proof), only unique: keeping the
// next ones in memory gives nothing away. One pool per thread, as Sessions may
// live on several; drawn again in a forked child, which would otherwise send
// its parent's next jti values (a server's replay cache refuses the second).
bool appendRandomJti(QByteArray *out)
{
    constexpr std::size_t jtiBytes = 16;
    thread_local std::array<unsigned char, 64 * jtiBytes> pool {};
    thread_local std::size_t used = pool.size();
#ifdef Q_OS_UNIX
    thread_local pid_t drawnIn = 0;
    if (drawnIn != getpid()) {
        drawnIn = getpid();
        used = pool.size();
    }
#endif
    if (used == pool.size()) {
        if (RAND_bytes(pool.data(), int(pool.size())) != 1)
            return false;
        used = 0;
    }
    appendBase64Url(out,
                    QByteArrayView(reinterpret_cast<const char *>(pool.data() + used),
                                   qsizetype(jtiBytes)));
    used += jtiBytes;
    return true;
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
    const auto plain = [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return c != '"' && c != '\\' && byte >= 0x20 && byte < 0x80;
    };
    // The common case, every value the SDK makes: nothing to escape.
    if (std::all_of(value.begin(), value.end(), plain)) {
        out->append(value);
        out->append('"');
        return;
    }
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

// One-shot EVP_Digest: OpenSSL cleanses its digest context (which holds the
// token's last partial block) when it frees it, which QCryptographicHash does
// not promise.
QByteArray dpopAccessTokenHash(QByteArrayView accessToken)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest {};
    unsigned int length = 0;
    if (EVP_Digest(accessToken.data(), std::size_t(accessToken.size()), digest.data(), &length,
                   EVP_sha256(), nullptr)
        != 1)
        return {};
    return base64Url(
            QByteArrayView(reinterpret_cast<const char *>(digest.data()), qsizetype(length)));
}

QByteArray buildDpopProof(const DpopKey &key, const DpopProofRequest &request)
{
    // The claims are encoded into the proof and then not needed: one buffer
    // per thread, its capacity kept from one proof to the next (they hold
    // nothing secret: everything in them goes out in the proof).
    thread_local QByteArray claims;
    claims.resize(0);
    claims.reserve(320);
    claims.append(R"({"jti":")"); // base64url: nothing to escape
    if (!appendRandomJti(&claims))
        return {};
    claims.append(R"(","htm":)");
    appendJsonString(&claims, request.method);
    claims.append(R"(,"htu":)");
    appendJsonString(&claims, request.htu.isEmpty() ? dpopHtu(request.uri) : request.htu);
    std::array<char, 24> iat {};
    const auto written = std::to_chars(iat.data(), iat.data() + iat.size(), request.issuedAt);
    claims.append(R"(,"iat":)")
            .append(QByteArrayView(iat.data(), qsizetype(written.ptr - iat.data())));
    if (!request.ath.isEmpty()) {
        claims.append(R"(,"ath":)");
        appendJsonString(&claims, request.ath);
    }
    if (!request.nonce.isEmpty()) {
        claims.append(R"(,"nonce":)");
        appendJsonString(&claims, request.nonce);
    }
    claims.append('}');

    // header.claims.signature in one buffer (RFC 7515 §7.1), sized up front:
    // the signature is 64 bytes, 86 in base64url (RFC 7518 §3.4).
    const QByteArray header = key.proofHeader();
    QByteArray proof;
    proof.reserve(header.size() + 1 + (claims.size() * 4 + 2) / 3 + 1 + 86);
    proof.append(header).append('.');
    appendBase64Url(&proof, claims);
    const QByteArray signature = key.sign(proof);
    if (signature.isEmpty())
        return {};
    proof.append('.');
    appendBase64Url(&proof, signature);
    return proof;
}

} // namespace SecureTokens::Internal
