// SPDX-License-Identifier: MIT
// JWKS parsing, JWS signature checks and ID token validation, with keys made
// here with OpenSSL (RS256 and ES256) and tokens signed by the test.

#include "signin/idtoken_p.h"
#include "signin/jwks_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

using namespace SecureTokens;

namespace {

QByteArray b64u(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray bn(EVP_PKEY *key, const char *name)
{
    BIGNUM *n = nullptr;
    EVP_PKEY_get_bn_param(key, name, &n);
    QByteArray out(BN_num_bytes(n), '\0');
    BN_bn2bin(n, reinterpret_cast<unsigned char *>(out.data()));
    BN_free(n);
    return out;
}

// A key pair made with OpenSSL, its public JWK, and a signer producing JWS.
struct TestKey
{
    std::shared_ptr<EVP_PKEY> key;
    bool ec = false;
    QString kid;

    static TestKey rsa(const QString &kid)
    {
        static EVP_PKEY *shared = EVP_RSA_gen(2048);
        EVP_PKEY_up_ref(shared);
        return TestKey {std::shared_ptr<EVP_PKEY>(shared, EVP_PKEY_free), false, kid};
    }
    static TestKey p256(const QString &kid)
    {
        return TestKey {std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), EVP_PKEY_free), true, kid};
    }

    QJsonObject jwk() const
    {
        if (!ec)
            return {{QStringLiteral("kty"), QStringLiteral("RSA")},
                    {QStringLiteral("kid"), kid},
                    {QStringLiteral("use"), QStringLiteral("sig")},
                    {QStringLiteral("n"),
                     QString::fromLatin1(b64u(bn(key.get(), OSSL_PKEY_PARAM_RSA_N)))},
                    {QStringLiteral("e"),
                     QString::fromLatin1(b64u(bn(key.get(), OSSL_PKEY_PARAM_RSA_E)))}};
        unsigned char point[65];
        size_t length = 0;
        EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                        &length);
        return {{QStringLiteral("kty"), QStringLiteral("EC")},
                {QStringLiteral("kid"), kid},
                {QStringLiteral("crv"), QStringLiteral("P-256")},
                {QStringLiteral("x"),
                 QString::fromLatin1(b64u(QByteArray(reinterpret_cast<char *>(point + 1), 32)))},
                {QStringLiteral("y"),
                 QString::fromLatin1(b64u(QByteArray(reinterpret_cast<char *>(point + 33), 32)))}};
    }

    QByteArray sign(const QJsonObject &claims, QJsonObject header = {}) const
    {
        if (!header.contains(QStringLiteral("alg")))
            header.insert(QStringLiteral("alg"),
                          ec ? QStringLiteral("ES256") : QStringLiteral("RS256"));
        if (!header.contains(QStringLiteral("kid")))
            header.insert(QStringLiteral("kid"), kid);
        const QByteArray input = b64u(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
                + b64u(QJsonDocument(claims).toJson(QJsonDocument::Compact));
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t length = 0;
        EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.get());
        EVP_DigestSign(ctx, nullptr, &length,
                       reinterpret_cast<const unsigned char *>(input.constData()),
                       size_t(input.size()));
        QByteArray sig(qsizetype(length), '\0');
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(sig.data()), &length,
                       reinterpret_cast<const unsigned char *>(input.constData()),
                       size_t(input.size()));
        sig.resize(qsizetype(length));
        EVP_MD_CTX_free(ctx);
        if (ec) {
            const auto *p = reinterpret_cast<const unsigned char *>(sig.constData());
            ECDSA_SIG *der = d2i_ECDSA_SIG(nullptr, &p, long(sig.size()));
            QByteArray raw(64, '\0');
            BN_bn2binpad(ECDSA_SIG_get0_r(der), reinterpret_cast<unsigned char *>(raw.data()), 32);
            BN_bn2binpad(ECDSA_SIG_get0_s(der), reinterpret_cast<unsigned char *>(raw.data()) + 32,
                         32);
            ECDSA_SIG_free(der);
            sig = raw;
        }
        return input + '.' + b64u(sig);
    }
};

QList<Jwk> keysOf(const QList<TestKey> &keys)
{
    QJsonArray array;
    for (const TestKey &k : keys)
        array.append(k.jwk());
    QList<Jwk> out;
    const ErrorInfo error = parseJwks(
            QJsonDocument(QJsonObject {{QStringLiteral("keys"), array}}).toJson(), &out);
    Q_ASSERT(!error.isError());
    return out;
}

const qint64 kNow = 1700000000;

QJsonObject goodClaims()
{
    return {{QStringLiteral("iss"), QStringLiteral("https://id.example")},
            {QStringLiteral("sub"), QStringLiteral("alice")},
            {QStringLiteral("aud"), QStringLiteral("demo")},
            {QStringLiteral("iat"), kNow - 10},
            {QStringLiteral("exp"), kNow + 300},
            {QStringLiteral("nonce"), QStringLiteral("n-0S6_WzA2Mj")},
            {QStringLiteral("name"), QStringLiteral("Alice")}};
}

IdTokenExpectations expectations()
{
    IdTokenExpectations e;
    e.issuer = QStringLiteral("https://id.example");
    e.clientId = QStringLiteral("demo");
    e.nonce = "n-0S6_WzA2Mj";
    e.now = kNow;
    e.skew = 120;
    return e;
}

} // namespace

class tst_SignInIdToken : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void idTokenValid_data();
    void idTokenValid();
    void idTokenRejected_data();
    void idTokenRejected();
    void authenticationClaims_data();
    void authenticationClaims();
    void jwksFiltering();
};

void tst_SignInIdToken::idTokenValid_data()
{
    QTest::addColumn<bool>("ec");
    QTest::addRow("RS256") << false;
    QTest::addRow("ES256") << true;
}

void tst_SignInIdToken::idTokenValid()
{
    QFETCH(bool, ec);
    const TestKey key
            = ec ? TestKey::p256(QStringLiteral("k1")) : TestKey::rsa(QStringLiteral("k1"));
    const TestKey other = TestKey::p256(QStringLiteral("k2"));
    const QList<Jwk> keys = keysOf({other, key});
    const IdTokenResult r = validateIdToken(key.sign(goodClaims()), keys, expectations());
    QVERIFY2(!r.error.isError(), qPrintable(r.error.message));
    QCOMPARE(r.claims.value(QStringLiteral("name")).toString(), QStringLiteral("Alice"));
    // Several audiences with azp = us; a skewed clock within the allowance.
    QJsonObject claims = goodClaims();
    claims.insert(QStringLiteral("aud"),
                  QJsonArray {QStringLiteral("api"), QStringLiteral("demo")});
    claims.insert(QStringLiteral("azp"), QStringLiteral("demo"));
    claims.insert(QStringLiteral("iat"), kNow + 100);
    IdTokenExpectations trustingApi = expectations();
    trustingApi.trustedAudiences = {QStringLiteral("api")};
    QVERIFY(!validateIdToken(key.sign(claims), keys, trustingApi).error.isError());
    // The same token without "api" among the trusted audiences: rejected
    // (OIDC Core §3.1.3.7 item 3; the default trusts no other audience).
    const IdTokenResult untrusted = validateIdToken(key.sign(claims), keys, expectations());
    QCOMPARE(untrusted.error.code, Error::IdTokenRejected);
    QVERIFY2(untrusted.error.message.contains(QStringLiteral("audience")),
             qPrintable(untrusted.error.message));
    // No kid, one key of the type: used.
    QJsonObject noKid {
            {QStringLiteral("alg"), ec ? QStringLiteral("ES256") : QStringLiteral("RS256")},
            {QStringLiteral("kid"), QJsonValue::Null}};
    QByteArray token = key.sign(goodClaims(), noKid);
    QVERIFY(!validateIdToken(token, keysOf({key}), expectations()).error.isError());
}

void tst_SignInIdToken::idTokenRejected_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("unknownKey");
    const TestKey rsa = TestKey::rsa(QStringLiteral("k1"));
    const TestKey ec = TestKey::p256(QStringLiteral("e1"));
    auto with = [](QJsonObject c, const QString &k, const QJsonValue &v) {
        if (v.isNull())
            c.remove(k);
        else
            c.insert(k, v);
        return c;
    };
    const QJsonObject good = goodClaims();
    QByteArray tampered = rsa.sign(good);
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    QTest::addRow("tampered signature") << tampered << false;
    QByteArray swapped = rsa.sign(good);
    const QList<QByteArray> parts = swapped.split('.');
    swapped = parts[0] + '.'
            + b64u(QJsonDocument(with(good, QStringLiteral("sub"), QStringLiteral("mallory")))
                           .toJson(QJsonDocument::Compact))
            + '.' + parts[2];
    QTest::addRow("tampered claims") << swapped << false;
    QTest::addRow("alg none") << QByteArray(b64u("{\"alg\":\"none\"}") + '.'
                                            + b64u(QJsonDocument(good).toJson()) + '.')
                              << false;
    QTest::addRow("alg HS256") << rsa.sign(good, {{QStringLiteral("alg"), QStringLiteral("HS256")}})
                               << false;
    QTest::addRow("ES256 header, RSA key")
            << rsa.sign(good, {{QStringLiteral("alg"), QStringLiteral("ES256")}}) << true;
    QTest::addRow("RS256 header, EC key id")
            << rsa.sign(good, {{QStringLiteral("kid"), QStringLiteral("e1")}}) << true;
    QTest::addRow("unknown kid") << rsa.sign(good,
                                             {{QStringLiteral("kid"), QStringLiteral("nope")}})
                                 << true;
    QTest::addRow("wrong iss") << rsa.sign(
            with(good, QStringLiteral("iss"), QStringLiteral("https://evil")))
                               << false;
    QTest::addRow("wrong aud") << rsa.sign(
            with(good, QStringLiteral("aud"), QStringLiteral("other")))
                               << false;
    QTest::addRow("aud array without us")
            << rsa.sign(with(good, QStringLiteral("aud"), QJsonArray {QStringLiteral("x")}))
            << false;
    QTest::addRow("several aud, no azp") << rsa.sign(with(
            good, QStringLiteral("aud"), QJsonArray {QStringLiteral("demo"), QStringLiteral("x")}))
                                         << false;
    // OIDC Core §3.1.3.7 item 3: an audience that is neither us nor trusted is
    // rejected, even when azp names us (security review, finding 8).
    QTest::addRow("extra untrusted aud, azp us")
            << rsa.sign(with(with(good, QStringLiteral("aud"),
                                  QJsonArray {QStringLiteral("demo"), QStringLiteral("evil")}),
                             QStringLiteral("azp"), QStringLiteral("demo")))
            << false;
    QTest::addRow("extra aud beside a trusted one, azp us")
            << rsa.sign(with(with(good, QStringLiteral("aud"),
                                  QJsonArray {QStringLiteral("demo"), QStringLiteral("api"),
                                              QStringLiteral("evil")}),
                             QStringLiteral("azp"), QStringLiteral("demo")))
            << false;
    QTest::addRow("azp other") << rsa.sign(with(good, QStringLiteral("azp"), QStringLiteral("x")))
                               << false;
    QTest::addRow("expired") << rsa.sign(with(good, QStringLiteral("exp"), kNow - 121)) << false;
    QTest::addRow("exp missing") << rsa.sign(with(good, QStringLiteral("exp"), QJsonValue::Null))
                                 << false;
    QTest::addRow("exp string") << rsa.sign(
            with(good, QStringLiteral("exp"), QStringLiteral("never")))
                                << false;
    QTest::addRow("iat future") << rsa.sign(with(good, QStringLiteral("iat"), kNow + 121)) << false;
    QTest::addRow("wrong nonce") << rsa.sign(
            with(good, QStringLiteral("nonce"), QStringLiteral("n-0S6_WzA2Mk")))
                                 << false;
    QTest::addRow("no nonce") << rsa.sign(with(good, QStringLiteral("nonce"), QJsonValue::Null))
                              << false;
    QTest::addRow("no sub") << rsa.sign(with(good, QStringLiteral("sub"), QJsonValue::Null))
                            << false;
    QTest::addRow("crit header") << rsa.sign(
            good, {{QStringLiteral("crit"), QJsonArray {QStringLiteral("x")}}})
                                 << false;
    QByteArray shortSig = ec.sign(good);
    shortSig.chop(4);
    QTest::addRow("ES256 short signature") << shortSig << false;
    QTest::addRow("garbage") << QByteArray("not.a.jwt") << false;
    QTest::addRow("empty") << QByteArray() << false;
}

void tst_SignInIdToken::idTokenRejected()
{
    QFETCH(QByteArray, token);
    QFETCH(bool, unknownKey);
    const QList<Jwk> keys
            = keysOf({TestKey::rsa(QStringLiteral("k1")), TestKey::p256(QStringLiteral("e1"))});
    // "api" is trusted here, so the rows with an extra audience show that one
    // untrusted entry is enough to reject the token.
    IdTokenExpectations expected = expectations();
    expected.trustedAudiences = {QStringLiteral("api")};
    const IdTokenResult r = validateIdToken(token, keys, expected);
    QCOMPARE(r.error.code, Error::IdTokenRejected);
    QCOMPARE(r.unknownKey, unknownKey);
    QVERIFY(r.claims.isEmpty());
}

void tst_SignInIdToken::authenticationClaims_data()
{
    QTest::addColumn<qint64>("maxAge"); // -1: not requested
    QTest::addColumn<QStringList>("requiredAcr");
    QTest::addColumn<QJsonValue>("authTime"); // Undefined: absent
    QTest::addColumn<QJsonValue>("acr");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("why"); // a word of the rejection message

    const QJsonValue none(QJsonValue::Undefined);
    const QStringList any;
    const QStringList mfa {QStringLiteral("urn:mfa"), QStringLiteral("urn:hwk")};
    // OpenID Connect Core §3.1.3.7 item 13 (and §2: auth_time is REQUIRED
    // when max_age was requested).
    QTest::addRow("no max_age, no auth_time") << qint64(-1) << any << none << none << true << "";
    QTest::addRow("max_age, recent")
            << qint64(300) << any << QJsonValue(kNow - 299) << none << true << "";
    QTest::addRow("max_age, within skew")
            << qint64(300) << any << QJsonValue(kNow - 300 - 119) << none << true << "";
    QTest::addRow("max_age, too old")
            << qint64(300) << any << QJsonValue(kNow - 300 - 121) << none << false << "auth_time";
    QTest::addRow("max_age 0, just now")
            << qint64(0) << any << QJsonValue(kNow) << none << true << "";
    QTest::addRow("max_age 0, earlier sign-in")
            << qint64(0) << any << QJsonValue(kNow - 3600) << none << false << "auth_time";
    QTest::addRow("max_age, auth_time missing")
            << qint64(300) << any << none << none << false << "auth_time";
    QTest::addRow("max_age, auth_time a string")
            << qint64(300) << any << QJsonValue(QStringLiteral("1700000000")) << none << false
            << "auth_time";
    QTest::addRow("max_age, auth_time in the future")
            << qint64(300) << any << QJsonValue(kNow + 600) << none << false << "auth_time";
    // RFC 9470 §4 / OIDC Core §3.1.3.7 item 12: the level a resource server asked for.
    QTest::addRow("acr one of them")
            << qint64(-1) << mfa << none << QJsonValue(QStringLiteral("urn:hwk")) << true << "";
    QTest::addRow("acr another") << qint64(-1) << mfa << none
                                 << QJsonValue(QStringLiteral("urn:pwd")) << false << "acr";
    QTest::addRow("acr missing") << qint64(-1) << mfa << none << none << false << "acr";
    QTest::addRow("acr not required")
            << qint64(-1) << any << none << QJsonValue(QStringLiteral("urn:pwd")) << true << "";
    QTest::addRow("both") << qint64(60) << mfa << QJsonValue(kNow - 5)
                          << QJsonValue(QStringLiteral("urn:mfa")) << true << "";
}

void tst_SignInIdToken::authenticationClaims()
{
    QFETCH(qint64, maxAge);
    QFETCH(QStringList, requiredAcr);
    QFETCH(QJsonValue, authTime);
    QFETCH(QJsonValue, acr);
    QFETCH(bool, valid);
    QFETCH(QString, why);
    const TestKey key = TestKey::rsa(QStringLiteral("k1"));
    QJsonObject claims = goodClaims();
    if (!authTime.isUndefined())
        claims.insert(QStringLiteral("auth_time"), authTime);
    if (!acr.isUndefined())
        claims.insert(QStringLiteral("acr"), acr);
    IdTokenExpectations expected = expectations();
    expected.maxAge = maxAge;
    expected.requiredAcr = requiredAcr;
    const IdTokenResult r = validateIdToken(key.sign(claims), keysOf({key}), expected);
    QCOMPARE(!r.error.isError(), valid);
    if (!valid) {
        QCOMPARE(r.error.code, Error::IdTokenRejected);
        QVERIFY2(r.error.message.contains(why), qPrintable(r.error.message));
    }
}

void tst_SignInIdToken::jwksFiltering()
{
    const TestKey rsa = TestKey::rsa(QStringLiteral("r"));
    QJsonObject enc = rsa.jwk();
    enc.insert(QStringLiteral("use"), QStringLiteral("enc"));
    QJsonObject priv = rsa.jwk();
    priv.insert(QStringLiteral("d"), QStringLiteral("AQAB"));
    QJsonObject offCurve = TestKey::p256(QStringLiteral("bad")).jwk();
    offCurve.insert(QStringLiteral("y"), QString::fromLatin1(b64u(QByteArray(32, '\x01'))));
    QJsonObject smallRsa {{QStringLiteral("kty"), QStringLiteral("RSA")},
                          {QStringLiteral("n"), QStringLiteral("AQAB")},
                          {QStringLiteral("e"), QStringLiteral("AQAB")}};
    QJsonObject oct {{QStringLiteral("kty"), QStringLiteral("oct")},
                     {QStringLiteral("k"), QStringLiteral("c2VjcmV0")}};
    QJsonObject padded = rsa.jwk();
    padded.insert(QStringLiteral("e"), QStringLiteral("AQAB="));
    QList<Jwk> out;
    const QJsonArray keys {rsa.jwk(), enc, priv, offCurve, smallRsa, oct, padded, 42};
    QVERIFY(!parseJwks(QJsonDocument(QJsonObject {{QStringLiteral("keys"), keys}}).toJson(), &out)
                     .isError());
    QCOMPARE(out.size(), 1);
    QCOMPARE(out.first().kid, QStringLiteral("r"));
    QCOMPARE(parseJwks("{}", &out).code, Error::MalformedResponse);
    QCOMPARE(parseJwks("{\"keys\":{}}", &out).code, Error::MalformedResponse);
    QCOMPARE(parseJwks(QByteArray(maxJwksBytes + 1, ' '), &out).code, Error::ResponseTooLarge);
}

QTEST_GUILESS_MAIN(tst_SignInIdToken)
#include "tst_signin_idtoken.moc"
