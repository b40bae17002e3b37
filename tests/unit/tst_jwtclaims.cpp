// SPDX-License-Identifier: MIT
// Unverified JWT decoding for display (RFC 7515 §7.1, RFC 7519 §7.2).
// Every JWT here is built at run time; no literal JWT is committed.
#include "session/jwtclaims_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace SecureTokens;

namespace {

QByteArray b64(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray toJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject header()
{
    return {{QStringLiteral("alg"), QStringLiteral("RS256")},
            {QStringLiteral("typ"), QStringLiteral("JWT")},
            {QStringLiteral("kid"), QStringLiteral("k1")}};
}

QJsonObject claims()
{
    return {{QStringLiteral("sub"), QStringLiteral("alice")},
            {QStringLiteral("iss"), QStringLiteral("https://auth.example.com")},
            {QStringLiteral("exp"), 2000000000},
            {QStringLiteral("scope"), QStringLiteral("openid profile")}};
}

// 19 bytes: its base64url form has unused bits, which nonCanonical() needs.
const QByteArray signatureBytes = QByteArrayLiteral("junk-signature!\x01\x02\xff\x7f");

QByteArray jwt(const QByteArray &headerJson, const QByteArray &payloadJson,
               const QByteArray &signature = signatureBytes)
{
    return b64(headerJson) + '.' + b64(payloadJson) + '.' + b64(signature);
}

QByteArray validJwt()
{
    return jwt(toJson(header()), toJson(claims()));
}

// Sets a non-zero unused bit in the last character of a base64url string whose
// length is not a multiple of 4 (a non-canonical encoding of the same bytes).
QByteArray nonCanonical(QByteArray encoded)
{
    Q_ASSERT(encoded.size() % 4 != 0);
    static const QByteArray alphabet
            = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const qsizetype value = alphabet.indexOf(encoded.back());
    encoded.back() = alphabet.at(value | 1);
    return encoded;
}

// A token of exactly \a size bytes: claims padded until the signature part
// can make up the rest with a valid base64url length.
QByteArray jwtOfSize(qsizetype size)
{
    for (int pad = 0; pad < 8; ++pad) {
        QJsonObject padded = claims();
        padded.insert(QStringLiteral("pad"), QString(size * 3 / 4 - 200 + pad, QLatin1Char('p')));
        const QByteArray prefix = b64(toJson(header())) + '.' + b64(toJson(padded)) + '.';
        const qsizetype rest = size - prefix.size();
        if (rest >= 0 && rest % 4 != 1)
            return prefix + QByteArray(rest, 'A');
    }
    return {};
}

} // namespace

class tst_JwtClaims : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decode_data();
    void decode();
    void split();
    void splitRejects_data();
    void splitRejects();
    void sizeLimit();
};

void tst_JwtClaims::decode_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("valid");

    const QByteArray h = toJson(header());
    const QByteArray p = toJson(claims());
    const QByteArray hb = b64(h);
    const QByteArray pb = b64(p);
    const QByteArray sb = b64(signatureBytes);

    QTest::addRow("valid") << validJwt() << true;
    QTest::addRow("unsecured, empty signature") << QByteArray(hb + '.' + pb + '.') << true;
    QTest::addRow("empty header object") << jwt("{}", p) << true;
    QTest::addRow("JSON with whitespace")
            << jwt(" { \"alg\" : \"none\" } ", " " + p + "\n") << true;

    QTest::addRow("opaque") << QByteArray("2YotnFZFEjr1zCsicMWpAA") << false;
    QTest::addRow("empty") << QByteArray() << false;
    QTest::addRow("two parts") << QByteArray(hb + '.' + pb) << false;
    QTest::addRow("four parts") << QByteArray(hb + '.' + pb + '.' + sb + '.' + sb) << false;
    QTest::addRow("five parts (JWE)")
            << QByteArray(hb + '.' + pb + '.' + sb + '.' + sb + '.' + sb) << false;
    QTest::addRow("empty header part") << QByteArray('.' + pb + '.' + sb) << false;
    QTest::addRow("empty payload part") << QByteArray(hb + ".." + sb) << false;
    QTest::addRow("only dots") << QByteArray("..") << false;
    QTest::addRow("padding") << QByteArray("e30=." + pb + '.' + sb) << false; // "{}" padded
    QTest::addRow("padding in signature") << QByteArray(hb + '.' + pb + '.' + sb + "==") << false;
    QTest::addRow("standard alphabet") // 0xfb 0xff is "+/8" in base64, "-_8" in base64url
            << QByteArray(hb + '.' + pb + '.' + QByteArray("\xfb\xff").toBase64()) << false;
    QTest::addRow("plus in payload")
            << QByteArray(hb + '.' + pb.left(4) + '+' + pb.mid(5) + '.' + sb) << false;
    QTest::addRow("slash in signature") << QByteArray(hb + '.' + pb + '.' + "ab/c") << false;
    QTest::addRow("bad character") << QByteArray(hb + '.' + pb + "*." + sb) << false;
    QTest::addRow("space") << QByteArray(hb + ". " + pb + '.' + sb) << false;
    QTest::addRow("trailing newline") << QByteArray(validJwt() + '\n') << false;
    QTest::addRow("length mod 4 == 1") << QByteArray(hb + '.' + pb + '.' + "abcde") << false;
    QTest::addRow("payload not JSON") << jwt(h, "hello") << false;
    QTest::addRow("payload array") << jwt(h, "[1,2]") << false;
    QTest::addRow("payload string") << jwt(h, "\"sub\"") << false;
    QTest::addRow("payload truncated JSON") << jwt(h, p.chopped(1)) << false;
    QTest::addRow("payload invalid UTF-8") << jwt(h, "{\"sub\":\"\xff\"}") << false;
    QTest::addRow("header not JSON") << jwt("alg", p) << false;
    QTest::addRow("header array") << jwt("[]", p) << false;
}

void tst_JwtClaims::decode()
{
    QFETCH(QByteArray, token);
    QFETCH(bool, valid);

    const QJsonObject decoded = decodeJwtClaimsUnverified(token);
    const QJsonObject decodedHeader = decodeJwtHeaderUnverified(token);
    if (!valid) {
        QVERIFY(decoded.isEmpty());
        QVERIFY(decodedHeader.isEmpty());
        return;
    }
    const QByteArray payloadJson
            = QByteArray::fromBase64(token.split('.').at(1), QByteArray::Base64UrlEncoding);
    QCOMPARE(decoded, QJsonDocument::fromJson(payloadJson).object());
    if (!decoded.isEmpty()) {
        QCOMPARE(decoded.value(QLatin1String("sub")).toString(), QStringLiteral("alice"));
        QCOMPARE(decoded.value(QLatin1String("exp")).toInteger(), qint64(2000000000));
    }
}

void tst_JwtClaims::split()
{
    const QByteArray token = validJwt();
    const JwtParts parts = splitJwt(token);
    QVERIFY(parts.ok);
    QCOMPARE(parts.header, toJson(header()));
    QCOMPARE(parts.payload, toJson(claims()));
    QCOMPARE(parts.signature, signatureBytes);
    QCOMPARE(parts.signingInput, token.left(token.lastIndexOf('.')));

    QCOMPARE(decodeJwtHeaderUnverified(token), header());
    QCOMPARE(decodeJwtClaimsUnverified(token), claims());
}

void tst_JwtClaims::splitRejects_data()
{
    QTest::addColumn<QByteArray>("token");

    const QByteArray hb = b64(toJson(header()));
    const QByteArray pb = b64(toJson(claims()));
    const QByteArray sb = b64(signatureBytes);
    QVERIFY(sb.size() % 4 != 0);

    QTest::addRow("non-canonical signature") << QByteArray(hb + '.' + pb + '.' + nonCanonical(sb));
    QTest::addRow("padding") << QByteArray(hb + '.' + pb + '.' + sb + '=');
    QTest::addRow("three dots") << QByteArray(hb + '.' + pb + '.' + sb + '.');
    QTest::addRow("leading dot") << QByteArray('.' + hb + '.' + pb);
    QTest::addRow("NUL byte") << QByteArray(hb + '.' + pb + '.' + sb + '\0' + 'A');
    QTest::addRow("high byte") << QByteArray(hb + '.' + pb + "\xc3\xa9." + sb);
}

void tst_JwtClaims::splitRejects()
{
    QFETCH(QByteArray, token);
    const JwtParts parts = splitJwt(token);
    QVERIFY(!parts.ok);
    QVERIFY(parts.header.isEmpty());
    QVERIFY(parts.payload.isEmpty());
    QVERIFY(parts.signature.isEmpty());
    QVERIFY(parts.signingInput.isEmpty());
    QVERIFY(decodeJwtClaimsUnverified(token).isEmpty());
}

void tst_JwtClaims::sizeLimit()
{
    const QByteArray atLimit = jwtOfSize(maxJwtBytes);
    QCOMPARE(atLimit.size(), maxJwtBytes);
    QVERIFY(splitJwt(atLimit).ok);
    QCOMPARE(decodeJwtClaimsUnverified(atLimit).value(QLatin1String("sub")).toString(),
             QStringLiteral("alice"));

    const QByteArray overLimit = jwtOfSize(maxJwtBytes + 1);
    QCOMPARE(overLimit.size(), maxJwtBytes + 1);
    QVERIFY(!splitJwt(overLimit).ok);
    QVERIFY(decodeJwtClaimsUnverified(overLimit).isEmpty());
    QVERIFY(decodeJwtClaimsUnverified(QByteArray(1024 * 1024, 'A')).isEmpty());
}

QTEST_GUILESS_MAIN(tst_JwtClaims)
#include "tst_jwtclaims.moc"
