// SPDX-License-Identifier: MIT
#include "jwtsigner_p.h"

#include "crypto_p.h"
#include "logging_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QList>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace SecureTokens::Mock {

struct JwtSigner::Key
{
    EVP_PKEY *pkey = nullptr; // RS256
    QByteArray secret; // HS256
    ~Key()
    {
        EVP_PKEY_free(pkey);
        OPENSSL_cleanse(secret.data(), size_t(secret.size()));
    }
};

namespace {

QByteArray bigNumParam(EVP_PKEY *pkey, const char *name)
{
    BIGNUM *bn = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        return {};
    QByteArray out(BN_num_bytes(bn), Qt::Uninitialized);
    BN_bn2bin(bn, reinterpret_cast<unsigned char *>(out.data()));
    BN_free(bn);
    return out;
}

QByteArray jsonPart(const QJsonObject &object)
{
    return Crypto::base64Url(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace

JwtSigner::JwtSigner(Algorithm algorithm, std::unique_ptr<Key> key)
    : m_algorithm(algorithm), m_key(std::move(key))
{
    // RFC 7638-style thumbprint is overkill here; a hash of the public material is stable.
    const QByteArray material = m_algorithm == Algorithm::RS256
            ? bigNumParam(m_key->pkey, OSSL_PKEY_PARAM_RSA_N)
            : Crypto::sha256(m_key->secret);
    m_keyId = QString::fromLatin1(Crypto::base64Url(Crypto::sha256(material).left(12)));
}

JwtSigner::~JwtSigner() = default;

std::unique_ptr<JwtSigner> JwtSigner::generate(Algorithm algorithm)
{
    auto key = std::make_unique<Key>();
    if (algorithm == Algorithm::RS256) {
        key->pkey = EVP_RSA_gen(2048);
        if (!key->pkey)
            return nullptr;
    } else {
        key->secret = Crypto::randomBytes(32);
    }
    return std::unique_ptr<JwtSigner>(new JwtSigner(algorithm, std::move(key)));
}

std::unique_ptr<JwtSigner> JwtSigner::fromExportedKey(Algorithm algorithm, const QByteArray &data)
{
    auto key = std::make_unique<Key>();
    if (algorithm == Algorithm::RS256) {
        BIO *bio = BIO_new_mem_buf(data.constData(), int(data.size()));
        key->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
        if (!key->pkey || EVP_PKEY_get_base_id(key->pkey) != EVP_PKEY_RSA)
            return nullptr;
    } else {
        key->secret = QByteArray::fromBase64(data);
        if (key->secret.size() < 32)
            return nullptr;
    }
    return std::unique_ptr<JwtSigner>(new JwtSigner(algorithm, std::move(key)));
}

QString JwtSigner::algorithmName() const
{
    return m_algorithm == Algorithm::RS256 ? QStringLiteral("RS256") : QStringLiteral("HS256");
}

QByteArray JwtSigner::exportKey() const
{
    if (m_algorithm == Algorithm::HS256)
        return m_key->secret.toBase64();
    BIO *bio = BIO_new(BIO_s_mem());
    QByteArray out;
    if (PEM_write_bio_PrivateKey(bio, m_key->pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
        char *data = nullptr;
        const long len = BIO_get_mem_data(bio, &data);
        out = QByteArray(data, int(len));
    }
    BIO_free(bio);
    return out;
}

QByteArray JwtSigner::signature(const QByteArray &input) const
{
    if (m_algorithm == Algorithm::HS256) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (!HMAC(EVP_sha256(), m_key->secret.constData(), int(m_key->secret.size()),
                  reinterpret_cast<const unsigned char *>(input.constData()), size_t(input.size()),
                  mac, &len))
            return {};
        return QByteArray(reinterpret_cast<const char *>(mac), int(len));
    }
    QByteArray out;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t len = 0;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, m_key->pkey) == 1
        && EVP_DigestSign(ctx, nullptr, &len,
                          reinterpret_cast<const unsigned char *>(input.constData()),
                          size_t(input.size()))
                == 1) {
        out.resize(qsizetype(len));
        if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(out.data()), &len,
                           reinterpret_cast<const unsigned char *>(input.constData()),
                           size_t(input.size()))
            == 1)
            out.resize(qsizetype(len));
        else
            out.clear();
    }
    EVP_MD_CTX_free(ctx);
    return out;
}

QByteArray JwtSigner::sign(const QJsonObject &claims) const
{
    const QJsonObject header {{QStringLiteral("alg"), algorithmName()},
                              {QStringLiteral("typ"), QStringLiteral("JWT")},
                              {QStringLiteral("kid"), m_keyId}};
    const QByteArray input = jsonPart(header) + '.' + jsonPart(claims);
    return input + '.' + Crypto::base64Url(signature(input));
}

JwtSigner::Verdict JwtSigner::verify(const QByteArray &token, QJsonObject *claims) const
{
    const QList<QByteArray> parts = token.split('.');
    if (parts.size() != 3 || parts[0].isEmpty() || parts[1].isEmpty())
        return Verdict::Malformed;
    bool ok = false;
    const QJsonDocument header = QJsonDocument::fromJson(Crypto::fromBase64Url(parts[0], &ok));
    if (!ok || !header.isObject())
        return Verdict::Malformed;
    const QJsonDocument payload = QJsonDocument::fromJson(Crypto::fromBase64Url(parts[1], &ok));
    if (!ok || !payload.isObject())
        return Verdict::Malformed;
    // The algorithm is fixed by the server, never taken from the token (RFC 8725 §2.1, §3.1).
    if (header.object().value(QStringLiteral("alg")).toString() != algorithmName())
        return Verdict::WrongAlgorithm;
    const QByteArray sig = Crypto::fromBase64Url(parts[2], &ok);
    if (!ok || sig.isEmpty())
        return Verdict::BadSignature;
    const QByteArray input = parts[0] + '.' + parts[1];
    bool valid = false;
    if (m_algorithm == Algorithm::HS256) {
        valid = Crypto::constantTimeEquals(signature(input), sig);
    } else {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        valid = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, m_key->pkey) == 1
                && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(sig.constData()),
                                    size_t(sig.size()),
                                    reinterpret_cast<const unsigned char *>(input.constData()),
                                    size_t(input.size()))
                        == 1;
        EVP_MD_CTX_free(ctx);
    }
    if (!valid)
        return Verdict::BadSignature;
    if (claims)
        *claims = payload.object();
    return Verdict::Valid;
}

QJsonObject JwtSigner::jwks() const
{
    QJsonArray keys;
    if (m_algorithm == Algorithm::RS256) {
        keys.append(QJsonObject {
                {QStringLiteral("kty"), QStringLiteral("RSA")},
                {QStringLiteral("use"), QStringLiteral("sig")},
                {QStringLiteral("alg"), QStringLiteral("RS256")},
                {QStringLiteral("kid"), m_keyId},
                {QStringLiteral("n"),
                 QString::fromLatin1(
                         Crypto::base64Url(bigNumParam(m_key->pkey, OSSL_PKEY_PARAM_RSA_N)))},
                {QStringLiteral("e"),
                 QString::fromLatin1(
                         Crypto::base64Url(bigNumParam(m_key->pkey, OSSL_PKEY_PARAM_RSA_E)))},
        });
    }
    return QJsonObject {{QStringLiteral("keys"), keys}};
}

} // namespace SecureTokens::Mock
