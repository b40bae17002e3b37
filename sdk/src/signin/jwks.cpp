// SPDX-License-Identifier: MIT
#include "jwks_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <array>

namespace SecureTokens {

namespace {

struct Deleter
{
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
    void operator()(EVP_PKEY_CTX *p) const { EVP_PKEY_CTX_free(p); }
    void operator()(OSSL_PARAM_BLD *p) const { OSSL_PARAM_BLD_free(p); }
    void operator()(OSSL_PARAM *p) const { OSSL_PARAM_free(p); }
    void operator()(BIGNUM *p) const { BN_free(p); }
    void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); }
    void operator()(ECDSA_SIG *p) const { ECDSA_SIG_free(p); }
};
template<typename T> using Owned = std::unique_ptr<T, Deleter>;

// Strict base64url member (RFC 7518 §6: unpadded base64url of big-endian bytes).
bool base64UrlMember(const QJsonObject &jwk, QLatin1String name, QByteArray *out)
{
    const QJsonValue value = jwk.value(name);
    if (!value.isString())
        return false;
    const auto result = QByteArray::fromBase64Encoding(
            value.toString().toLatin1(),
            QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!result || result.decoded.isEmpty() || value.toString().contains(QLatin1Char('=')))
        return false;
    *out = result.decoded;
    return true;
}

EVP_PKEY *fromData(const char *type, OSSL_PARAM_BLD *builder)
{
    Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder));
    Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY *key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1
        || EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        return nullptr;
    return key;
}

EVP_PKEY *rsaKey(const QByteArray &n, const QByteArray &e)
{
    Owned<BIGNUM> bnN(BN_bin2bn(reinterpret_cast<const unsigned char *>(n.constData()),
                                int(n.size()), nullptr));
    Owned<BIGNUM> bnE(BN_bin2bn(reinterpret_cast<const unsigned char *>(e.constData()),
                                int(e.size()), nullptr));
    Owned<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
    if (!bnN || !bnE || !builder || BN_num_bits(bnN.get()) < 2048 || BN_num_bits(bnN.get()) > 8192
        || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bnN.get()) != 1
        || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bnE.get()) != 1)
        return nullptr;
    return fromData("RSA", builder.get());
}

EVP_PKEY *p256Key(const QByteArray &x, const QByteArray &y)
{
    if (x.size() != 32 || y.size() != 32)
        return nullptr;
    // SEC 1 §2.3.3 uncompressed point: 0x04 || X || Y.
    const QByteArray point = QByteArray(1, '\x04') + x + y;
    Owned<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
    if (!builder
        || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                           0)
                != 1
        || OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                            point.constData(), size_t(point.size()))
                != 1)
        return nullptr;
    Owned<EVP_PKEY> key(fromData("EC", builder.get()));
    if (!key)
        return nullptr;
    // Refuse points that are not on the curve (invalid-curve attacks).
    Owned<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1)
        return nullptr;
    return key.release();
}

} // namespace

ErrorInfo parseJwks(QByteArrayView body, QList<Jwk> *out)
{
    if (body.size() > maxJwksBytes)
        return ErrorInfo::make(Error::ResponseTooLarge,
                               QStringLiteral("The provider's key set is too large."));
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(body.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !json.isObject()
        || !json.object().value(QLatin1String("keys")).isArray())
        return ErrorInfo::make(Error::MalformedResponse,
                               QStringLiteral("The provider's key set is not a JWK Set."));
    QList<Jwk> keys;
    for (const auto &value : json.object().value(QLatin1String("keys")).toArray()) {
        if (keys.size() >= maxJwksKeys)
            break;
        const QJsonObject jwk = value.toObject();
        const QString use = jwk.value(QLatin1String("use")).toString();
        if (!use.isEmpty() && use != QLatin1String("sig"))
            continue;
        if (jwk.contains(QLatin1String("d")))
            continue; // a private key has no business in a public key set
        Jwk key;
        key.kid = jwk.value(QLatin1String("kid")).toString();
        key.kty = jwk.value(QLatin1String("kty")).toString();
        key.alg = jwk.value(QLatin1String("alg")).toString();
        EVP_PKEY *pkey = nullptr;
        QByteArray a;
        QByteArray b;
        if (key.kty == QLatin1String("RSA")) {
            if (base64UrlMember(jwk, QLatin1String("n"), &a)
                && base64UrlMember(jwk, QLatin1String("e"), &b))
                pkey = rsaKey(a, b);
        } else if (key.kty == QLatin1String("EC")) {
            if (jwk.value(QLatin1String("crv")).toString() == QLatin1String("P-256")
                && base64UrlMember(jwk, QLatin1String("x"), &a)
                && base64UrlMember(jwk, QLatin1String("y"), &b))
                pkey = p256Key(a, b);
        }
        if (!pkey)
            continue;
        key.key = std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
        keys.append(key);
    }
    *out = std::move(keys);
    return {};
}

bool verifyJwsSignature(QByteArrayView alg, EVP_PKEY *key, QByteArrayView signingInput,
                        QByteArrayView signature)
{
    if (!key)
        return false;
    QByteArray der;
    if (alg == "RS256") {
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
            return false;
        der = signature.toByteArray();
    } else if (alg == "ES256") {
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || signature.size() != 64)
            return false;
        std::array<char, 32> group {};
        size_t groupLength = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                           group.size(), &groupLength)
                    != 1
            || qstrcmp(group.data(), "prime256v1") != 0)
            return false;
        // RFC 7518 §3.4: R and S as 32-byte big-endian integers; OpenSSL wants DER.
        const auto *raw = reinterpret_cast<const unsigned char *>(signature.data());
        Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
        BIGNUM *r = BN_bin2bn(raw, 32, nullptr);
        BIGNUM *s = BN_bin2bn(raw + 32, 32, nullptr);
        if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
            BN_free(r);
            BN_free(s);
            return false;
        }
        unsigned char *encoded = nullptr;
        const int length = i2d_ECDSA_SIG(sig.get(), &encoded);
        if (length <= 0)
            return false;
        der = QByteArray(reinterpret_cast<const char *>(encoded), length);
        OPENSSL_free(encoded);
    } else {
        return false; // "none", HS256 (a public key is no HMAC secret) and the rest
    }
    Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1
            && EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(der.constData()),
                                size_t(der.size()),
                                reinterpret_cast<const unsigned char *>(signingInput.data()),
                                size_t(signingInput.size()))
            == 1;
}

} // namespace SecureTokens
