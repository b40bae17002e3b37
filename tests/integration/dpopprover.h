// SPDX-License-Identifier: MIT
#pragma once

// A test-side DPoP client (RFC 9449 §4.2): a P-256 key made with OpenSSL and
// ES256 proofs signed with it, with knobs to get every field wrong on purpose.
// Independent of the mock server's own verifier (it shares no code with it).

#include <QByteArray>
#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <QUuid>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

namespace MockTest {

class DpopProver
{
public:
    //! What goes into one proof; empty or -1 fields get the right value.
    struct Options
    {
        QByteArray htm;
        QUrl htu;
        QByteArray accessToken; //!< adds ath
        QString nonce;
        qint64 iat = -1; //!< -1: now
        QString jti; //!< empty: a fresh UUID
        QString typ = QStringLiteral("dpop+jwt");
        QString alg = QStringLiteral("ES256");
        bool withPrivateKey = false; //!< puts d in the jwk
        bool unsigned_ = false; //!< "header.payload." (for alg none)
        bool corruptSignature = false;
        bool omitHtu = false;
        QString athOverride;
    };

    DpopProver() : m_key(EVP_EC_gen("P-256")) { }
    ~DpopProver() { EVP_PKEY_free(m_key); }
    DpopProver(const DpopProver &) = delete;
    DpopProver &operator=(const DpopProver &) = delete;

    static QByteArray b64(const QByteArray &data)
    {
        return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    }

    QJsonObject jwk(bool withPrivate = false) const
    {
        unsigned char point[65];
        size_t length = 0;
        EVP_PKEY_get_octet_string_param(m_key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                        &length);
        QJsonObject out {
                {QStringLiteral("kty"), QStringLiteral("EC")},
                {QStringLiteral("crv"), QStringLiteral("P-256")},
                {QStringLiteral("x"),
                 QString::fromLatin1(b64(QByteArray(reinterpret_cast<char *>(point + 1), 32)))},
                {QStringLiteral("y"),
                 QString::fromLatin1(b64(QByteArray(reinterpret_cast<char *>(point + 33), 32)))}};
        if (withPrivate) {
            BIGNUM *d = nullptr;
            EVP_PKEY_get_bn_param(m_key, OSSL_PKEY_PARAM_PRIV_KEY, &d);
            QByteArray raw(32, '\0');
            BN_bn2binpad(d, reinterpret_cast<unsigned char *>(raw.data()), 32);
            BN_clear_free(d);
            out.insert(QStringLiteral("d"), QString::fromLatin1(b64(raw)));
        }
        return out;
    }

    //! RFC 7638: what the server puts in cnf.jkt.
    QByteArray thumbprint() const
    {
        const QJsonObject k = jwk();
        const QByteArray canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\""
                + k.value(QStringLiteral("x")).toString().toLatin1() + "\",\"y\":\""
                + k.value(QStringLiteral("y")).toString().toLatin1() + "\"}";
        return b64(QCryptographicHash::hash(canonical, QCryptographicHash::Sha256));
    }

    static QByteArray ath(const QByteArray &accessToken)
    {
        return b64(QCryptographicHash::hash(accessToken, QCryptographicHash::Sha256));
    }

    QByteArray proof(const Options &o) const
    {
        const QJsonObject header {{QStringLiteral("typ"), o.typ},
                                  {QStringLiteral("alg"), o.alg},
                                  {QStringLiteral("jwk"), jwk(o.withPrivateKey)}};
        QJsonObject claims {
                {QStringLiteral("jti"),
                 o.jti.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : o.jti},
                {QStringLiteral("htm"), QString::fromLatin1(o.htm)},
                {QStringLiteral("iat"), o.iat < 0 ? QDateTime::currentSecsSinceEpoch() : o.iat}};
        if (!o.omitHtu)
            claims.insert(QStringLiteral("htu"), o.htu.toString());
        if (!o.accessToken.isEmpty())
            claims.insert(QStringLiteral("ath"), QString::fromLatin1(ath(o.accessToken)));
        if (!o.athOverride.isEmpty())
            claims.insert(QStringLiteral("ath"), o.athOverride);
        if (!o.nonce.isEmpty())
            claims.insert(QStringLiteral("nonce"), o.nonce);
        const QByteArray input = b64(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
                + b64(QJsonDocument(claims).toJson(QJsonDocument::Compact));
        if (o.unsigned_)
            return input + '.';
        QByteArray signature = sign(input);
        if (o.corruptSignature)
            signature[10] = char(signature[10] ^ 0x01);
        return input + '.' + b64(signature);
    }

    QByteArray proof(const QByteArray &method, const QUrl &url, const QByteArray &accessToken = {},
                     const QString &nonce = {}) const
    {
        Options o;
        o.htm = method;
        o.htu = url;
        o.accessToken = accessToken;
        o.nonce = nonce;
        return proof(o);
    }

private:
    //! ES256 (RFC 7518 §3.4): R||S, 32 bytes each, from OpenSSL's DER.
    QByteArray sign(const QByteArray &input) const
    {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t length = 0;
        const auto *data = reinterpret_cast<const unsigned char *>(input.constData());
        QByteArray der;
        if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, m_key) == 1
            && EVP_DigestSign(ctx, nullptr, &length, data, size_t(input.size())) == 1) {
            der.resize(qsizetype(length));
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(der.data()), &length, data,
                           size_t(input.size()));
            der.resize(qsizetype(length));
        }
        EVP_MD_CTX_free(ctx);
        const auto *p = reinterpret_cast<const unsigned char *>(der.constData());
        ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
        QByteArray raw(64, '\0');
        if (sig) {
            BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char *>(raw.data()), 32);
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char *>(raw.data()) + 32,
                         32);
            ECDSA_SIG_free(sig);
        }
        return raw;
    }

    EVP_PKEY *m_key;
};

} // namespace MockTest
