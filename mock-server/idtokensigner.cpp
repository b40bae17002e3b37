// SPDX-License-Identifier: MIT
#include "idtokensigner_p.h"

#include "crypto_p.h"

#include <QJsonDocument>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace SecureTokens::Mock {

struct IdTokenSigner::Key
{
    EVP_PKEY *pkey = nullptr;
    ~Key() { EVP_PKEY_free(pkey); }
};

IdTokenSigner::IdTokenSigner(std::unique_ptr<Key> key, bool ec, QString keyId)
    : m_key(std::move(key)), m_ec(ec), m_keyId(std::move(keyId))
{ }

IdTokenSigner::~IdTokenSigner() = default;

std::unique_ptr<IdTokenSigner> IdTokenSigner::rs256(const QByteArray &pem, const QString &keyId)
{
    auto key = std::make_unique<Key>();
    BIO *bio = BIO_new_mem_buf(pem.constData(), int(pem.size()));
    key->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key->pkey)
        return nullptr;
    return std::unique_ptr<IdTokenSigner>(new IdTokenSigner(std::move(key), false, keyId));
}

std::unique_ptr<IdTokenSigner> IdTokenSigner::es256()
{
    auto key = std::make_unique<Key>();
    key->pkey = EVP_EC_gen("P-256");
    if (!key->pkey)
        return nullptr;
    const QString kid = QStringLiteral("es256-")
            + QString::fromLatin1(Crypto::base64Url(Crypto::randomBytes(9)));
    return std::unique_ptr<IdTokenSigner>(new IdTokenSigner(std::move(key), true, kid));
}

QString IdTokenSigner::algorithmName() const
{
    return m_ec ? QStringLiteral("ES256") : QStringLiteral("RS256");
}

QByteArray IdTokenSigner::sign(const QJsonObject &claims, const QString &kidOverride) const
{
    const QJsonObject header {
            {QStringLiteral("alg"), algorithmName()},
            {QStringLiteral("typ"), QStringLiteral("JWT")},
            {QStringLiteral("kid"), kidOverride.isEmpty() ? m_keyId : kidOverride}};
    const QByteArray input = Crypto::base64Url(QJsonDocument(header).toJson(QJsonDocument::Compact))
            + '.' + Crypto::base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    QByteArray signature;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t length = 0;
    const auto *data = reinterpret_cast<const unsigned char *>(input.constData());
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, m_key->pkey) == 1
        && EVP_DigestSign(ctx, nullptr, &length, data, size_t(input.size())) == 1) {
        signature.resize(qsizetype(length));
        if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &length, data,
                           size_t(input.size()))
            == 1)
            signature.resize(qsizetype(length));
        else
            signature.clear();
    }
    EVP_MD_CTX_free(ctx);
    if (m_ec && !signature.isEmpty()) {
        // DER ECDSA-Sig-Value → fixed-width R||S (RFC 7518 §3.4).
        const auto *p = reinterpret_cast<const unsigned char *>(signature.constData());
        ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, long(signature.size()));
        QByteArray raw(64, '\0');
        if (sig) {
            BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char *>(raw.data()), 32);
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char *>(raw.data()) + 32,
                         32);
            ECDSA_SIG_free(sig);
        }
        signature = raw;
    }
    return input + '.' + Crypto::base64Url(signature);
}

bool IdTokenSigner::verify(const QByteArray &token, QJsonObject *claims) const
{
    const QList<QByteArray> parts = token.split('.');
    if (parts.size() != 3)
        return false;
    bool ok = false;
    const QJsonDocument header = QJsonDocument::fromJson(Crypto::fromBase64Url(parts[0], &ok));
    if (!ok || !header.isObject()
        || header.object().value(QStringLiteral("alg")).toString() != algorithmName())
        return false;
    const QJsonDocument payload = QJsonDocument::fromJson(Crypto::fromBase64Url(parts[1], &ok));
    if (!ok || !payload.isObject())
        return false;
    QByteArray signature = Crypto::fromBase64Url(parts[2], &ok);
    if (!ok || signature.isEmpty())
        return false;
    if (m_ec) {
        // R||S (RFC 7518 §3.4) → DER ECDSA-Sig-Value for OpenSSL.
        if (signature.size() != 64)
            return false;
        ECDSA_SIG *sig = ECDSA_SIG_new();
        const auto *raw = reinterpret_cast<const unsigned char *>(signature.constData());
        ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
        unsigned char *der = nullptr;
        const int length = i2d_ECDSA_SIG(sig, &der);
        signature = length > 0 ? QByteArray(reinterpret_cast<const char *>(der), length)
                               : QByteArray();
        OPENSSL_free(der);
        ECDSA_SIG_free(sig);
        if (signature.isEmpty())
            return false;
    }
    const QByteArray input = parts[0] + '.' + parts[1];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool valid = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, m_key->pkey) == 1
            && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(signature.constData()),
                                size_t(signature.size()),
                                reinterpret_cast<const unsigned char *>(input.constData()),
                                size_t(input.size()))
                    == 1;
    EVP_MD_CTX_free(ctx);
    if (valid && claims)
        *claims = payload.object();
    return valid;
}

QJsonObject IdTokenSigner::extraJwk() const
{
    if (!m_ec)
        return {};
    unsigned char point[65];
    size_t length = 0;
    if (EVP_PKEY_get_octet_string_param(m_key->pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                        &length)
                != 1
        || length != 65)
        return {};
    const QByteArray x(reinterpret_cast<const char *>(point + 1), 32);
    const QByteArray y(reinterpret_cast<const char *>(point + 33), 32);
    return QJsonObject {{QStringLiteral("kty"), QStringLiteral("EC")},
                        {QStringLiteral("use"), QStringLiteral("sig")},
                        {QStringLiteral("alg"), QStringLiteral("ES256")},
                        {QStringLiteral("crv"), QStringLiteral("P-256")},
                        {QStringLiteral("kid"), m_keyId},
                        {QStringLiteral("x"), QString::fromLatin1(Crypto::base64Url(x))},
                        {QStringLiteral("y"), QString::fromLatin1(Crypto::base64Url(y))}};
}

} // namespace SecureTokens::Mock
