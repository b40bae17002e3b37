// SPDX-License-Identifier: MIT
// libFuzzer harness: the DPoP proof builder (RFC 9449 §4.2). Its inputs come
// partly from outside: the nonce from a server's DPoP-Nonce header (checked
// by DpopServerState first, but the builder must not rely on it), the URL and
// method from the application. Whatever they hold, the proof must be a JWS
// of three base64url parts whose claims are valid JSON (RFC 8259) carrying
// exactly those values, and whose signature verifies with the key's jwk.
// Input: 8 bytes of iat, then method, URL, nonce and ath separated by '\n'.
#include "fuzzcheck.h"
#include "session/dpopkey_p.h"
#include "session/dpopproof_p.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QUrl>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

using namespace SecureTokens::Internal;

namespace {

bool isBase64Url(QByteArrayView part)
{
    for (const char c : part) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
              || c == '_'))
            return false;
    }
    return !part.isEmpty();
}

QByteArray decode(QByteArrayView part)
{
    const auto result = QByteArray::fromBase64Encoding(
            part.toByteArray(),
            QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    return result ? result.decoded : QByteArray();
}

// An independent check of the signature: OpenSSL's verifier with the key
// read back from its DER export, r || s turned into an ECDSA-Sig-Value.
bool verifies(const SoftwareDpopKey &key, QByteArrayView signingInput, QByteArrayView rs)
{
    if (rs.size() != 64)
        return false;
    const SecureTokens::SecretBytes der = key.exportPrivateKey();
    const auto *cursor = reinterpret_cast<const unsigned char *>(der.view().data());
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
            d2i_AutoPrivateKey(nullptr, &cursor, long(der.size())), &EVP_PKEY_free);
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
    const auto *raw = reinterpret_cast<const unsigned char *>(rs.data());
    BIGNUM *r = BN_bin2bn(raw, 32, nullptr);
    BIGNUM *s = BN_bin2bn(raw + 32, 32, nullptr);
    if (!pkey || !sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return false;
    }
    unsigned char *derSig = nullptr;
    const int derLength = i2d_ECDSA_SIG(sig.get(), &derSig);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    const bool ok = derLength > 0 && ctx
            && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) == 1
            && EVP_DigestVerify(ctx.get(), derSig, std::size_t(derLength),
                                reinterpret_cast<const unsigned char *>(signingInput.data()),
                                std::size_t(signingInput.size()))
                    == 1;
    OPENSSL_free(derSig);
    return ok;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::unique_ptr<SoftwareDpopKey> key = SoftwareDpopKey::generate();
    FUZZ_CHECK(key);
    if (size < 8)
        return 0;
    qint64 issuedAt = 0;
    std::memcpy(&issuedAt, data, sizeof issuedAt);
    const QList<QByteArray> fields = fuzzInput(data + 8, size - 8).toByteArray().split('\n');
    DpopProofRequest request;
    request.method = fields.value(0);
    request.uri = QUrl(QString::fromUtf8(fields.value(1)));
    request.nonce = fields.value(2);
    request.ath = fields.value(3);
    request.issuedAt = issuedAt;
    const QByteArray proof = buildDpopProof(*key, request);
    FUZZ_CHECK(!proof.isEmpty());

    const QList<QByteArray> parts = proof.split('.');
    FUZZ_CHECK(parts.size() == 3);
    for (const QByteArray &part : parts)
        FUZZ_CHECK(isBase64Url(part));
    FUZZ_CHECK(parts.at(2).size() == 86); // r || s, 64 bytes (RFC 7518 §3.4)

    QJsonParseError error {};
    const QJsonDocument claims = QJsonDocument::fromJson(decode(parts.at(1)), &error);
    FUZZ_CHECK(error.error == QJsonParseError::NoError && claims.isObject());
    const QJsonObject object = claims.object();
    // Bytes from 0x80 up are written as \u00XX: read back as Latin-1.
    FUZZ_CHECK(object.value(QLatin1String("htm")).toString()
               == QString::fromLatin1(request.method));
    FUZZ_CHECK(object.value(QLatin1String("htu")).toString().toLatin1() == dpopHtu(request.uri));
    FUZZ_CHECK(object.value(QLatin1String("iat")).toInteger(-1) == issuedAt
               || object.value(QLatin1String("iat")).toDouble() == double(issuedAt));
    FUZZ_CHECK(object.value(QLatin1String("jti")).toString().size() == 22);
    if (request.nonce.isEmpty())
        FUZZ_CHECK(!object.contains(QLatin1String("nonce")));
    else
        FUZZ_CHECK(object.value(QLatin1String("nonce")).toString()
                   == QString::fromLatin1(request.nonce));
    if (request.ath.isEmpty())
        FUZZ_CHECK(!object.contains(QLatin1String("ath")));
    else
        FUZZ_CHECK(object.value(QLatin1String("ath")).toString()
                   == QString::fromLatin1(request.ath));
    FUZZ_CHECK(object.size()
               == 4 + (request.nonce.isEmpty() ? 0 : 1) + (request.ath.isEmpty() ? 0 : 1));

    // The header is the key's, and the signature is over header.claims.
    FUZZ_CHECK(parts.at(0) == key->proofHeader());
    FUZZ_CHECK(verifies(*key, QByteArrayView(proof).first(proof.lastIndexOf('.')),
                        decode(parts.at(2))));
    return 0;
}
