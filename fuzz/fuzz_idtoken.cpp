// SPDX-License-Identifier: MIT
// libFuzzer harness: validateIdToken() (OpenID Connect Core 1.0 §3.1.3.7,
// RFC 8725) and the JWK Set it trusts.
//
// Byte 0 picks the mode and the expectations, the rest is mode-specific:
//   mode 0  a whole token, checked against a fixed set of the harness's keys;
//   mode 1  "<header JSON>\0<payload JSON>": the harness signs it (byte 1
//           picks the key: trusted EC, trusted RSA or an untrusted EC key,
//           and whether to spoil the signature), so the claim checks are
//           reached with valid signatures;
//   mode 2  "<JWK Set>\0<token>": a fuzzed key set, then a token against it.
// The keys are generated once per process with OpenSSL; nothing is stored.
#include "fuzzcheck.h"
#include "signin/idtoken_p.h"
#include "session/jwtclaims_p.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>

using namespace SecureTokens;


namespace {

using PKey = std::shared_ptr<EVP_PKEY>;

QByteArray b64(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray bnParam(EVP_PKEY *key, const char *name, int width)
{
    BIGNUM *bn = nullptr;
    FUZZ_CHECK(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
    QByteArray out(width > 0 ? width : BN_num_bytes(bn), '\0');
    FUZZ_CHECK(BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), int(out.size()))
               == int(out.size()));
    BN_free(bn);
    return out;
}

// A JWS signature (RFC 7515 §5.1) over \a input; ES256 as R||S (RFC 7518 §3.4).
QByteArray sign(EVP_PKEY *key, bool ec, const QByteArray &input)
{
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    size_t length = 0;
    FUZZ_CHECK(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1);
    const auto *in = reinterpret_cast<const unsigned char *>(input.constData());
    FUZZ_CHECK(EVP_DigestSign(ctx.get(), nullptr, &length, in, size_t(input.size())) == 1);
    QByteArray der(qsizetype(length), '\0');
    auto *out = reinterpret_cast<unsigned char *>(der.data());
    FUZZ_CHECK(EVP_DigestSign(ctx.get(), out, &length, in, size_t(input.size())) == 1);
    der.truncate(qsizetype(length));
    if (!ec)
        return der;
    const auto *p = reinterpret_cast<const unsigned char *>(der.constData());
    ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
    FUZZ_CHECK(sig != nullptr);
    QByteArray raw(64, '\0');
    auto *r = reinterpret_cast<unsigned char *>(raw.data());
    FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(sig), r, 32) == 32);
    FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(sig), r + 32, 32) == 32);
    ECDSA_SIG_free(sig);
    return raw;
}

struct Fixture
{
    PKey ec, rsa, untrusted;
    QList<Jwk> keys;

    Fixture()
    {
        ec.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
        untrusted.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
        rsa.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048)), EVP_PKEY_free);
        FUZZ_CHECK(ec && untrusted && rsa);
        // The public halves go through parseJwks() like a provider's set would.
        const QJsonObject ecJwk {
                {QStringLiteral("kty"), QStringLiteral("EC")},
                {QStringLiteral("crv"), QStringLiteral("P-256")},
                {QStringLiteral("kid"), QStringLiteral("ec1")},
                {QStringLiteral("x"),
                 QString::fromLatin1(b64(bnParam(ec.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)))},
                {QStringLiteral("y"),
                 QString::fromLatin1(b64(bnParam(ec.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)))},
        };
        const QJsonObject rsaJwk {
                {QStringLiteral("kty"), QStringLiteral("RSA")},
                {QStringLiteral("kid"), QStringLiteral("rsa1")},
                {QStringLiteral("alg"), QStringLiteral("RS256")},
                {QStringLiteral("use"), QStringLiteral("sig")},
                {QStringLiteral("n"),
                 QString::fromLatin1(b64(bnParam(rsa.get(), OSSL_PKEY_PARAM_RSA_N, 0)))},
                {QStringLiteral("e"),
                 QString::fromLatin1(b64(bnParam(rsa.get(), OSSL_PKEY_PARAM_RSA_E, 0)))},
        };
        const QJsonObject set {{QStringLiteral("keys"), QJsonArray {ecJwk, rsaJwk}}};
        FUZZ_CHECK(!parseJwks(QJsonDocument(set).toJson(), &keys).isError());
        FUZZ_CHECK(keys.size() == 2);
    }
};

// Everything a valid result promises (OIDC Core §3.1.3.7).
void checkValid(const IdTokenResult &result, QByteArrayView token,
                const IdTokenExpectations &expected)
{
    FUZZ_CHECK(!result.error.isError() && !result.unknownKey);
    FUZZ_CHECK(token.size() <= maxJwtBytes);
    const QJsonObject header = decodeJwtHeaderUnverified(token);
    const QString alg = header.value(QLatin1String("alg")).toString();
    FUZZ_CHECK(alg == QLatin1String("RS256") || alg == QLatin1String("ES256"));
    FUZZ_CHECK(!header.contains(QLatin1String("crit")));
    const QJsonObject &claims = result.claims;
    FUZZ_CHECK(claims == decodeJwtClaimsUnverified(token));
    FUZZ_CHECK(claims.value(QLatin1String("iss")).isString()
               && claims.value(QLatin1String("iss")).toString() == expected.issuer);
    const QJsonValue aud = claims.value(QLatin1String("aud"));
    FUZZ_CHECK(aud.toString() == expected.clientId
               || aud.toArray().contains(QJsonValue(expected.clientId)));
    const QJsonValue azp = claims.value(QLatin1String("azp"));
    FUZZ_CHECK(azp.isUndefined() || azp.toString() == expected.clientId);
    if (aud.isArray() && aud.toArray().size() > 1)
        FUZZ_CHECK(azp.isString());
    const double exp = claims.value(QLatin1String("exp")).toDouble(-1);
    const double iat = claims.value(QLatin1String("iat")).toDouble(-1);
    // NumericDates are compared in whole seconds.
    FUZZ_CHECK(exp >= 0 && iat >= 0 && qint64(iat) <= qint64(exp));
    FUZZ_CHECK(double(expected.now) < exp + double(expected.skew));
    FUZZ_CHECK(iat <= double(expected.now + expected.skew) + 1);
    if (!expected.nonce.isEmpty())
        FUZZ_CHECK(claims.value(QLatin1String("nonce")).toString().toUtf8() == expected.nonce);
    FUZZ_CHECK(!claims.value(QLatin1String("sub")).toString().isEmpty());
}

void checkRejected(const IdTokenResult &result)
{
    FUZZ_CHECK(result.error.code == Error::IdTokenRejected);
    FUZZ_CHECK(!result.error.message.isEmpty() && result.claims.isEmpty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const Fixture fixture;
    if (size < 2)
        return 0;
    IdTokenExpectations expected;
    expected.issuer = QStringLiteral("https://issuer.example");
    expected.clientId = QStringLiteral("client");
    expected.nonce = (data[0] & 0x10) ? QByteArray("n-0S6") : QByteArray();
    expected.now = 1700000000;
    expected.skew = (data[0] & 0x20) ? 0 : 120;
    const auto *chars = reinterpret_cast<const char *>(data);

    switch (data[0] % 3) {
    case 0: {
        const QByteArrayView token(chars + 1, qsizetype(size - 1));
        const IdTokenResult result = validateIdToken(token, fixture.keys, expected);
        if (result.error.isError())
            checkRejected(result);
        else
            checkValid(result, token, expected);
        break;
    }
    case 1: {
        const QByteArrayView rest(chars + 2, qsizetype(size - 2));
        const qsizetype nul = rest.indexOf('\0');
        if (nul < 0)
            return 0;
        const int which = data[1] % 4; // RSA signing is slow: one in four
        const bool spoil = data[1] & 0x80;
        const bool ec = which != 1;
        EVP_PKEY *key = which == 1 ? fixture.rsa.get()
                                   : (which == 3 ? fixture.untrusted.get() : fixture.ec.get());
        const QByteArray input = b64(rest.first(nul).toByteArray()) + '.'
                + b64(rest.sliced(nul + 1).toByteArray());
        QByteArray signature = sign(key, ec, input);
        if (spoil)
            signature[signature.size() - 1] = char(signature.back() ^ 0x01);
        const QByteArray token = input + '.' + b64(signature);
        const IdTokenResult result = validateIdToken(token, fixture.keys, expected);
        if (result.error.isError()) {
            checkRejected(result);
            break;
        }
        checkValid(result, token, expected);
        // Only the trusted keys, unaltered signatures, and the algorithm of the
        // key that signed (no algorithm confusion, RFC 8725 §2.1).
        FUZZ_CHECK(which != 3 && !spoil);
        const QString alg = decodeJwtHeaderUnverified(token).value(QLatin1String("alg")).toString();
        FUZZ_CHECK(alg == (ec ? QLatin1String("ES256") : QLatin1String("RS256")));
        break;
    }
    default: {
        const QByteArrayView rest(chars + 1, qsizetype(size - 1));
        const qsizetype nul = rest.indexOf('\0');
        if (nul < 0)
            return 0;
        QList<Jwk> keys;
        if (parseJwks(rest.first(nul), &keys).isError())
            return 0;
        const QByteArrayView token = rest.sliced(nul + 1);
        const IdTokenResult result = validateIdToken(token, keys, expected);
        if (result.error.isError())
            checkRejected(result);
        else
            checkValid(result, token, expected);
        break;
    }
    }
    return 0;
}
