// SPDX-License-Identifier: MIT
// DPoP proof verification (RFC 9449 §4.3) with OpenSSL EVP: ES256 only.
#include "dpop_p.h"

#include "crypto_p.h"

#include <QJsonDocument>
#include <QRegularExpression>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

namespace SecureTokens::Mock {

namespace {

struct PkeyDeleter
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

//! A P-256 public key from a JWK's x and y (32 bytes each), checked to be on the curve.
Pkey publicKey(const QByteArray &x, const QByteArray &y)
{
    QByteArray point(1, '\x04');
    point += x + y;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.constData(),
                                     size_t(point.size()));
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY *key = nullptr;
    const bool made = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1
            && EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    Pkey out(made ? key : nullptr);
    if (!out)
        return out;
    EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(nullptr, out.get(), nullptr);
    const bool onCurve = check && EVP_PKEY_public_check(check) == 1;
    EVP_PKEY_CTX_free(check);
    return onCurve ? std::move(out) : Pkey();
}

//! ES256 (RFC 7518 §3.4): the signature is R||S, OpenSSL wants DER.
bool verifyEs256(EVP_PKEY *key, const QByteArray &input, const QByteArray &signature)
{
    if (signature.size() != 64)
        return false;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    const auto *raw = reinterpret_cast<const unsigned char *>(signature.constData());
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
    unsigned char *der = nullptr;
    const int derLength = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (derLength <= 0)
        return false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool valid = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1
            && EVP_DigestVerify(ctx, der, size_t(derLength),
                                reinterpret_cast<const unsigned char *>(input.constData()),
                                size_t(input.size()))
                    == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return valid;
}

//! RFC 9449 §4.3 asks for RFC 3986 §6.2.2-6.2.3 normalisation before comparing htu.
QString normalisedUri(const QUrl &uri)
{
    QUrl url = uri.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo
                            | QUrl::NormalizePathSegments);
    const QString scheme = url.scheme().toLower();
    const int defaultPort = scheme == QLatin1String("https") ? 443 : 80;
    const QString path = url.path().isEmpty() ? QStringLiteral("/") : url.path();
    return scheme + QStringLiteral("://") + url.host().toLower() + QLatin1Char(':')
            + QString::number(url.port(defaultPort)) + path;
}

QJsonObject jsonPart(const QByteArray &part, bool *ok)
{
    const QByteArray json = Crypto::fromBase64Url(part, ok);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    *ok = *ok && error.error == QJsonParseError::NoError && doc.isObject();
    return doc.object();
}

} // namespace

QByteArray DpopVerifier::thumbprint(const QJsonObject &jwk)
{
    // RFC 7638 §3.2-3.3: the required members only, in lexicographic order, no whitespace.
    const QByteArray canonical = "{\"crv\":\""
            + jwk.value(QStringLiteral("crv")).toString().toUtf8() + "\",\"kty\":\""
            + jwk.value(QStringLiteral("kty")).toString().toUtf8() + "\",\"x\":\""
            + jwk.value(QStringLiteral("x")).toString().toUtf8() + "\",\"y\":\""
            + jwk.value(QStringLiteral("y")).toString().toUtf8() + "\"}";
    return Crypto::base64Url(Crypto::sha256(canonical));
}

QByteArray DpopVerifier::nonce(const QString &context)
{
    QByteArray &value = m_nonces[context];
    if (value.isEmpty())
        value = Crypto::newOpaqueToken(); // §8: "Nonce values MUST be unpredictable"
    return value;
}

void DpopVerifier::rotateNonces()
{
    for (QByteArray &value : m_nonces)
        value = Crypto::newOpaqueToken();
}

DpopVerifier::Verdict DpopVerifier::check(const QList<QByteArray> &headerValues,
                                          const Expectation &expected, Proof *proof, QString *why)
{
    const auto invalid = [why](const QString &reason) {
        *why = reason;
        return Verdict::Invalid;
    };
    // §4.3 1-2: one header, one JWT (token68, RFC 9449 §4.1).
    static const QRegularExpression token68(QStringLiteral("^[A-Za-z0-9._~+/-]+=*$"));
    if (headerValues.size() != 1)
        return invalid(QStringLiteral("exactly one DPoP header is required"));
    const QByteArray value = headerValues.first().trimmed();
    const QList<QByteArray> parts = value.split('.');
    if (!token68.match(QString::fromLatin1(value)).hasMatch() || parts.size() != 3)
        return invalid(QStringLiteral("the DPoP header is not a single compact JWT"));
    bool ok = false;
    const QJsonObject header = jsonPart(parts[0], &ok);
    if (!ok)
        return invalid(QStringLiteral("malformed JOSE header"));
    const QJsonObject claims = jsonPart(parts[1], &ok);
    if (!ok)
        return invalid(QStringLiteral("malformed claims"));
    // §4.3 4: explicit typing (RFC 8725 §3.11).
    if (header.value(QStringLiteral("typ"))
                .toString()
                .compare(QLatin1String("dpop+jwt"), Qt::CaseInsensitive)
        != 0)
        return invalid(QStringLiteral("typ must be dpop+jwt"));
    // §4.3 5: an asymmetric algorithm this server supports: ES256 (never none, never a MAC).
    if (header.value(QStringLiteral("alg")).toString() != QLatin1String("ES256"))
        return invalid(QStringLiteral("only ES256 proofs are accepted"));
    // §4.3 7: a public key, EC P-256.
    const QJsonObject jwk = header.value(QStringLiteral("jwk")).toObject();
    if (jwk.contains(QStringLiteral("d")))
        return invalid(QStringLiteral("the jwk contains a private key"));
    bool xOk = false;
    bool yOk = false;
    const QByteArray x
            = Crypto::fromBase64Url(jwk.value(QStringLiteral("x")).toString().toLatin1(), &xOk);
    const QByteArray y
            = Crypto::fromBase64Url(jwk.value(QStringLiteral("y")).toString().toLatin1(), &yOk);
    if (jwk.value(QStringLiteral("kty")).toString() != QLatin1String("EC")
        || jwk.value(QStringLiteral("crv")).toString() != QLatin1String("P-256") || !xOk || !yOk
        || x.size() != 32 || y.size() != 32)
        return invalid(QStringLiteral("jwk must be an EC P-256 public key"));
    const Pkey key = publicKey(x, y);
    if (!key)
        return invalid(QStringLiteral("jwk is not a point on P-256"));
    // §4.3 6: the signature.
    const QByteArray signature = Crypto::fromBase64Url(parts[2], &ok);
    if (!ok || !verifyEs256(key.get(), parts[0] + '.' + parts[1], signature))
        return invalid(QStringLiteral("invalid signature"));
    // §4.3 3: the required claims.
    const QString jti = claims.value(QStringLiteral("jti")).toString();
    const QJsonValue iat = claims.value(QStringLiteral("iat"));
    if (jti.isEmpty() || !claims.value(QStringLiteral("htm")).isString()
        || !claims.value(QStringLiteral("htu")).isString() || !iat.isDouble())
        return invalid(QStringLiteral("jti, htm, htu and iat are required"));
    // §11.1: an unreasonably large jti is refused rather than remembered.
    if (jti.size() > 256)
        return invalid(QStringLiteral("jti too long"));
    // §4.3 8-9.
    if (claims.value(QStringLiteral("htm")).toString() != QString::fromLatin1(expected.method))
        return invalid(QStringLiteral("htm does not match the request method"));
    const QUrl htu(claims.value(QStringLiteral("htu")).toString(), QUrl::StrictMode);
    if (!htu.isValid() || htu.isRelative() || normalisedUri(htu) != normalisedUri(expected.uri))
        return invalid(QStringLiteral("htu does not match the request URI"));
    // §4.3 12, §7: the proof is for this access token.
    if (!expected.accessToken.isEmpty()) {
        const QByteArray ath = claims.value(QStringLiteral("ath")).toString().toLatin1();
        if (ath.isEmpty())
            return invalid(QStringLiteral("ath is required with an access token"));
        if (!Crypto::constantTimeEquals(ath,
                                        Crypto::base64Url(Crypto::sha256(expected.accessToken))))
            return invalid(QStringLiteral("ath does not match the access token"));
    }
    // §4.3 10, §8, §9: the server's current nonce.
    if (expected.requireNonce) {
        const QByteArray claimed = claims.value(QStringLiteral("nonce")).toString().toLatin1();
        if (claimed.isEmpty()) {
            *why = QStringLiteral("a DPoP nonce is required");
            return Verdict::UseNonce;
        }
        if (!Crypto::constantTimeEquals(claimed, nonce(expected.nonceContext))) {
            *why = QStringLiteral("the DPoP nonce is not the current one");
            return Verdict::UseNonce;
        }
    }
    // §4.3 11, §11.1: iat within the window, on the server's clock.
    const qint64 nowSeconds = expected.nowMs / 1000;
    const qint64 skew = iat.toInteger() - nowSeconds;
    if (skew > expected.iatWindowSeconds || -skew > expected.iatWindowSeconds)
        return invalid(QStringLiteral("iat is %1 s in the %2 (server time %3, accepted within "
                                      "%4 s)")
                               .arg(qAbs(skew))
                               .arg(skew > 0 ? QStringLiteral("future") : QStringLiteral("past"))
                               .arg(nowSeconds)
                               .arg(expected.iatWindowSeconds));
    // §11.1: each proof once, per target URI, while its iat would still be accepted.
    for (auto it = m_seenJti.begin(); it != m_seenJti.end();) {
        if (it.value() <= expected.nowMs)
            it = m_seenJti.erase(it);
        else
            ++it;
    }
    const QByteArray seenKey
            = Crypto::sha256(normalisedUri(expected.uri).toUtf8() + ' ' + jti.toUtf8());
    if (m_seenJti.contains(seenKey))
        return invalid(QStringLiteral("the proof was already used (jti replayed)"));
    m_seenJti.insert(seenKey, (iat.toInteger() + expected.iatWindowSeconds) * 1000 + 1000);
    proof->jkt = thumbprint(jwk);
    return Verdict::Valid;
}

} // namespace SecureTokens::Mock
