// SPDX-License-Identifier: MIT
#include "dpopkey_p.h"

#include <QCryptographicHash>
#include <QJsonDocument>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <string_view>

namespace SecureTokens::Internal {

namespace {

struct Deleter
{
    void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); }
    void operator()(ECDSA_SIG *p) const { ECDSA_SIG_free(p); }
    void operator()(BIGNUM *p) const { BN_free(p); }
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
};
template<typename T> using Owned = std::unique_ptr<T, Deleter>;

constexpr int coordinateBytes = 32; // P-256 (RFC 7518 §6.2.1.2, §3.4)

QByteArray coordinate(const EVP_PKEY *key, const char *name)
{
    BIGNUM *raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1)
        return {};
    Owned<BIGNUM> value(raw);
    QByteArray out(coordinateBytes, Qt::Uninitialized);
    if (BN_bn2binpad(value.get(), reinterpret_cast<unsigned char *>(out.data()), coordinateBytes)
        != coordinateBytes)
        return {};
    return out;
}

bool isP256(const EVP_PKEY *key)
{
    std::array<char, 64> group {};
    return EVP_PKEY_is_a(key, "EC")
            && EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                              group.size(), nullptr)
            == 1
            && std::strcmp(group.data(), SN_X9_62_prime256v1) == 0;
}

} // namespace

QByteArray base64Url(QByteArrayView bytes)
{
    QByteArray out;
    appendBase64Url(&out, bytes);
    return out;
}

// RFC 4648 §5 written out here rather than QByteArray::toBase64(): each DPoP
// proof encodes three values into one buffer (jti, claims, signature), and
// the intermediate QByteArrays cost more than the encoding (bench/dpopbench.cpp).
// Twelve bits at a time, through a table of the 4 096 character pairs. The
// data is public (a proof's parts), so no constant-time concern.
namespace {

constexpr std::string_view base64UrlAlphabet
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Base64UrlPairs
{
    std::array<char, std::size_t(2) * 4096> chars {};
};

constexpr Base64UrlPairs makeBase64UrlPairs()
{
    Base64UrlPairs pairs;
    for (std::size_t i = 0; i < 4096; ++i) {
        pairs.chars.at(2 * i) = base64UrlAlphabet.at(i >> 6U);
        pairs.chars.at(2 * i + 1) = base64UrlAlphabet.at(i & 63U);
    }
    return pairs;
}

constexpr Base64UrlPairs base64UrlPairs = makeBase64UrlPairs();

//! The two characters of the 12-bit value \a bits.
const char *pairOf(unsigned bits)
{
    return base64UrlPairs.chars.data() + std::size_t(2) * bits;
}

} // namespace

void appendBase64Url(QByteArray *out, QByteArrayView bytes)
{
    const qsizetype length = bytes.size();
    const qsizetype start = out->size();
    out->resize(start + (length / 3) * 4 + (length % 3 == 0 ? 0 : length % 3 + 1));
    char *cursor = out->data() + start;
    const auto *in = reinterpret_cast<const unsigned char *>(bytes.data());
    qsizetype i = 0;
    for (; i + 3 <= length; i += 3) {
        const unsigned group = (unsigned(in[i]) << 16U) | (unsigned(in[i + 1]) << 8U) | in[i + 2];
        std::memcpy(cursor, pairOf(group >> 12U), 2);
        std::memcpy(cursor + 2, pairOf(group & 0xFFFU), 2);
        cursor += 4;
    }
    if (length - i == 1) {
        std::memcpy(cursor, pairOf(unsigned(in[i]) << 4U), 2);
    } else if (length - i == 2) {
        const unsigned group = (unsigned(in[i]) << 16U) | (unsigned(in[i + 1]) << 8U);
        std::memcpy(cursor, pairOf(group >> 12U), 2);
        *(cursor + 2) = base64UrlAlphabet[(group >> 6U) & 63U];
    }
}

QByteArray DpopKey::proofHeader() const
{
    std::call_once(m_proofHeaderOnce, [this] {
        const QJsonObject header {
                {QStringLiteral("typ"), QStringLiteral("dpop+jwt")},
                {QStringLiteral("alg"), QStringLiteral("ES256")},
                {QStringLiteral("jwk"), publicJwk()},
        };
        m_proofHeader = base64Url(QJsonDocument(header).toJson(QJsonDocument::Compact));
    });
    return m_proofHeader;
}

QByteArray DpopKey::thumbprint() const
{
    // RFC 7638 §3.2-3.3: the required members of an EC key (crv, kty, x, y), in
    // lexicographic order, no whitespace, hashed with SHA-256. Written out by
    // hand because QJsonDocument does not promise member order.
    const QJsonObject jwk = publicJwk();
    const auto member = [&jwk](const char *name) {
        return jwk.value(QLatin1String(name)).toString().toUtf8();
    };
    const QByteArray canonical = R"({"crv":")" + member("crv") + R"(","kty":")" + member("kty")
            + R"(","x":")" + member("x") + R"(","y":")" + member("y") + R"("})";
    return base64Url(QCryptographicHash::hash(canonical, QCryptographicHash::Sha256));
}

SoftwareDpopKey::SoftwareDpopKey(EVP_PKEY *key) : m_key(key)
{
    m_jwk = QJsonObject {
            {QStringLiteral("kty"), QStringLiteral("EC")},
            {QStringLiteral("crv"), QStringLiteral("P-256")},
            {QStringLiteral("x"),
             QString::fromLatin1(base64Url(coordinate(m_key, OSSL_PKEY_PARAM_EC_PUB_X)))},
            {QStringLiteral("y"),
             QString::fromLatin1(base64Url(coordinate(m_key, OSSL_PKEY_PARAM_EC_PUB_Y)))},
    };
}

SoftwareDpopKey::~SoftwareDpopKey()
{
    EVP_PKEY_free(m_key);
}

std::unique_ptr<SoftwareDpopKey> SoftwareDpopKey::generate()
{
    EVP_PKEY *key = EVP_EC_gen(SN_X9_62_prime256v1);
    if (!key)
        return nullptr;
    return std::unique_ptr<SoftwareDpopKey>(new SoftwareDpopKey(key));
}

std::unique_ptr<SoftwareDpopKey> SoftwareDpopKey::fromPrivateKey(const SecretBytes &der,
                                                                 QString *why)
{
    const auto *begin = reinterpret_cast<const unsigned char *>(der.view().data());
    const unsigned char *cursor = begin;
    Owned<EVP_PKEY> key(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &cursor, long(der.size())));
    if (!key || cursor != begin + der.size()) {
        *why = QStringLiteral("the stored DPoP key is not a DER EC private key");
        return nullptr;
    }
    if (!isP256(key.get())) {
        *why = QStringLiteral("the stored DPoP key is not on P-256 (ES256, RFC 7518 §3.4)");
        return nullptr;
    }
    auto out = std::unique_ptr<SoftwareDpopKey>(new SoftwareDpopKey(key.release()));
    if (out->m_jwk.value(QLatin1String("x")).toString().isEmpty()) {
        *why = QStringLiteral("the stored DPoP key has no public point");
        return nullptr;
    }
    return out;
}

SecretBytes SoftwareDpopKey::exportPrivateKey() const
{
    // SEC 1 ECPrivateKey (RFC 5915) in DER, in a buffer OpenSSL allocates: copied
    // into SecretBytes, then cleared before OpenSSL frees it.
    unsigned char *der = nullptr;
    const int length = i2d_PrivateKey(m_key, &der);
    if (length <= 0)
        return {};
    SecretBytes out(QByteArrayView(reinterpret_cast<const char *>(der), length));
    OPENSSL_clear_free(der, std::size_t(length));
    return out;
}

QJsonObject SoftwareDpopKey::publicJwk() const
{
    return m_jwk;
}

QByteArray SoftwareDpopKey::sign(QByteArrayView signingInput) const
{
    Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    std::size_t derLength = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_key) != 1
        || EVP_DigestSign(ctx.get(), nullptr, &derLength,
                          reinterpret_cast<const unsigned char *>(signingInput.data()),
                          std::size_t(signingInput.size()))
                != 1)
        return {};
    QByteArray der(qsizetype(derLength), Qt::Uninitialized);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(der.data()), &derLength,
                       reinterpret_cast<const unsigned char *>(signingInput.data()),
                       std::size_t(signingInput.size()))
        != 1)
        return {};
    // OpenSSL gives an ASN.1 ECDSA-Sig-Value; JWS wants R || S (RFC 7518 §3.4).
    const auto *cursor = reinterpret_cast<const unsigned char *>(der.constData());
    Owned<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &cursor, long(derLength)));
    if (!sig)
        return {};
    QByteArray out(qsizetype(2) * coordinateBytes, Qt::Uninitialized);
    auto *raw = reinterpret_cast<unsigned char *>(out.data());
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, coordinateBytes) != coordinateBytes
        || BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + coordinateBytes, coordinateBytes)
                != coordinateBytes)
        return {};
    return out;
}

} // namespace SecureTokens::Internal
