// SPDX-License-Identifier: MIT
// The SDK's DPoP building blocks (RFC 9449): the P-256 key, proofs, and what
// is kept per server (nonce, clock offset). Proofs are checked by the mock
// server's DpopVerifier, an independent implementation (mock-server/dpop*.cpp
// shares no code with sdk/src/session/dpop*.cpp), so a proof that passes here
// is one a server built from the RFC accepts.

#include "dpop_p.h"
#include "session/dpopkey_p.h"
#include "session/dpopproof_p.h"
#include "session/dpopserverstate_p.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLocale>
#include <QSet>
#include <QTest>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>

#ifdef Q_OS_UNIX
#include <sys/wait.h>
#include <unistd.h>
#endif

using namespace SecureTokens;
using namespace SecureTokens::Internal;
using Mock::DpopVerifier;

namespace {

constexpr qint64 now = 1'800'000'000; // seconds; the verifier takes ms

QJsonObject part(const QByteArray &jwt, int index)
{
    return QJsonDocument::fromJson(QByteArray::fromBase64(jwt.split('.').value(index),
                                                          QByteArray::Base64UrlEncoding))
            .object();
}

// The public key of RFC 9449's examples (§4.1, figure 3) and its thumbprint
// as the RFC's own examples give it (§6.1, figure 9: cnf.jkt).
class Rfc9449ExampleKey : public DpopKey
{
public:
    QJsonObject publicJwk() const override
    {
        return {{QStringLiteral("kty"), QStringLiteral("EC")},
                {QStringLiteral("x"),
                 QStringLiteral("l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs")},
                {QStringLiteral("y"),
                 QStringLiteral("9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")},
                {QStringLiteral("crv"), QStringLiteral("P-256")}};
    }
    QByteArray sign(QByteArrayView) const override { return {}; }
};

DpopVerifier::Expectation expect(const QByteArray &method, const QString &uri, qint64 nowSeconds)
{
    DpopVerifier::Expectation e;
    e.method = method;
    e.uri = QUrl(uri);
    e.nonceContext = QStringLiteral("as");
    e.nowMs = nowSeconds * 1000;
    return e;
}

} // namespace

class tst_Dpop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void generatedKeyIsAPublicP256Jwk()
    {
        const auto key = SoftwareDpopKey::generate();
        QVERIFY(key);
        const QJsonObject jwk = key->publicJwk();
        QCOMPARE(jwk.value(QLatin1String("kty")).toString(), QStringLiteral("EC"));
        QCOMPARE(jwk.value(QLatin1String("crv")).toString(), QStringLiteral("P-256"));
        for (const char *member : {"x", "y"}) {
            const QByteArray encoded = jwk.value(QLatin1String(member)).toString().toLatin1();
            QVERIFY(!encoded.contains('='));
            QCOMPARE(QByteArray::fromBase64(encoded, QByteArray::Base64UrlEncoding).size(), 32);
        }
        QVERIFY(!jwk.contains(QLatin1String("d"))); // never the private part
        QCOMPARE(jwk.size(), 4);
        // Two keys are two keys.
        QVERIFY(SoftwareDpopKey::generate()->thumbprint() != key->thumbprint());
    }

    void thumbprintOfTheRfcExample()
    {
        const Rfc9449ExampleKey key;
        QCOMPARE(key.thumbprint(), QByteArray("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"));
        QCOMPARE(key.thumbprint(), DpopVerifier::thumbprint(key.publicJwk()));
    }

    void proofIsAcceptedByAnIndependentVerifier()
    {
        const auto key = SoftwareDpopKey::generate();
        const QByteArray proof = buildDpopProof(
                *key,
                {"POST", QUrl(QStringLiteral("https://as.example/token?x=1#f")), {}, {}, now});
        QVERIFY(!proof.isEmpty());
        const QJsonObject header = part(proof, 0);
        QCOMPARE(header.value(QLatin1String("typ")).toString(), QStringLiteral("dpop+jwt"));
        QCOMPARE(header.value(QLatin1String("alg")).toString(), QStringLiteral("ES256"));
        QCOMPARE(header.value(QLatin1String("jwk")).toObject(), key->publicJwk());
        const QJsonObject claims = part(proof, 1);
        QCOMPARE(claims.value(QLatin1String("htm")).toString(), QStringLiteral("POST"));
        QCOMPARE(claims.value(QLatin1String("htu")).toString(),
                 QStringLiteral("https://as.example/token"));
        QCOMPARE(claims.value(QLatin1String("iat")).toInteger(), now);
        QVERIFY(!claims.contains(QLatin1String("ath")));
        QVERIFY(!claims.contains(QLatin1String("nonce")));
        QCOMPARE(QByteArray::fromBase64(proof.split('.').value(2), QByteArray::Base64UrlEncoding)
                         .size(),
                 64); // R || S (RFC 7518 §3.4), not DER

        DpopVerifier verifier;
        DpopVerifier::Proof checked;
        QString why;
        QCOMPARE(verifier.check({proof},
                                expect("POST", QStringLiteral("https://as.example/token"), now),
                                &checked, &why),
                 DpopVerifier::Verdict::Valid);
        QCOMPARE(checked.jkt, key->thumbprint());
        // Bound to its request: another method or URI is refused.
        DpopVerifier fresh;
        QCOMPARE(fresh.check({proof},
                             expect("GET", QStringLiteral("https://as.example/token"), now),
                             &checked, &why),
                 DpopVerifier::Verdict::Invalid);
        QCOMPARE(fresh.check({proof},
                             expect("POST", QStringLiteral("https://as.example/other"), now),
                             &checked, &why),
                 DpopVerifier::Verdict::Invalid);
    }

    void resourceProofCarriesAthAndNonce()
    {
        const auto key = SoftwareDpopKey::generate();
        DpopVerifier verifier;
        const QByteArray nonce = verifier.nonce(QStringLiteral("rs:api"));
        const QByteArray token = "an-access-token-bound-to-the-key";
        DpopVerifier::Expectation e = expect("GET", QStringLiteral("https://api.example/me"), now);
        e.accessToken = token;
        e.nonceContext = QStringLiteral("rs:api");
        e.requireNonce = true;
        DpopVerifier::Proof checked;
        QString why;

        const QUrl uri(QStringLiteral("https://api.example/me"));
        const QByteArray withNonce
                = buildDpopProof(*key, {"GET", uri, dpopAccessTokenHash(token), nonce, now});
        QCOMPARE(part(withNonce, 1).value(QLatin1String("nonce")).toString().toLatin1(), nonce);
        QCOMPARE(verifier.check({withNonce}, e, &checked, &why), DpopVerifier::Verdict::Valid);

        const QByteArray withoutNonce
                = buildDpopProof(*key, {"GET", uri, dpopAccessTokenHash(token), {}, now});
        QCOMPARE(verifier.check({withoutNonce}, e, &checked, &why),
                 DpopVerifier::Verdict::UseNonce);

        const QByteArray otherToken = buildDpopProof(
                *key, {"GET", uri, dpopAccessTokenHash("another-token"), nonce, now});
        QCOMPARE(verifier.check({otherToken}, e, &checked, &why), DpopVerifier::Verdict::Invalid);
        QVERIFY2(why.contains(QLatin1String("ath")), qPrintable(why));
    }

    // The claims are JSON written by hand (dpopproof.cpp): what a server could
    // put in a nonce, and a URI's own characters, come out as the same strings.
    void claimsAreJsonWhateverTheyHold()
    {
        const auto key = SoftwareDpopKey::generate();
        const QByteArray nonce("a\"b\\c\x01"
                               "d\x7f\xe9/}",
                               11);
        const QUrl uri(QStringLiteral("https://api.example/p%22a%5Cth/\u00e9t\u00e9"));
        const QByteArray proof
                = buildDpopProof(*key, {"GET", uri, dpopAccessTokenHash("token"), nonce, now});
        QJsonParseError error {};
        const QByteArray claimsJson
                = QByteArray::fromBase64(proof.split('.').value(1), QByteArray::Base64UrlEncoding);
        const QJsonObject claims = QJsonDocument::fromJson(claimsJson, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(claims.value(QLatin1String("nonce")).toString(), QString::fromLatin1(nonce));
        QCOMPARE(claims.value(QLatin1String("htu")).toString(), QString::fromLatin1(dpopHtu(uri)));
        QCOMPARE(claims.value(QLatin1String("htm")).toString(), QStringLiteral("GET"));
        QCOMPARE(claims.value(QLatin1String("iat")).toInteger(), now);
        QCOMPARE(claims.keys().size(), 6); // jti htm htu iat ath nonce
        QCOMPARE(part(proof, 0).value(QLatin1String("typ")).toString(), QStringLiteral("dpop+jwt"));
        QCOMPARE(part(proof, 0).value(QLatin1String("jwk")).toObject(), key->publicJwk());
    }

    void htu_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QByteArray>("htu");
        QTest::newRow("query and fragment dropped") << "https://as.example/token?a=1&b=2#frag"
                                                    << QByteArray("https://as.example/token");
        QTest::newRow("default https port")
                << "https://as.example:443/t" << QByteArray("https://as.example/t");
        QTest::newRow("default http port")
                << "http://127.0.0.1:80/t" << QByteArray("http://127.0.0.1/t");
        QTest::newRow("other port kept")
                << "http://127.0.0.1:8080/t" << QByteArray("http://127.0.0.1:8080/t");
        QTest::newRow("empty path") << "https://as.example" << QByteArray("https://as.example/");
        QTest::newRow("case") << "HTTPS://AS.Example/Token"
                              << QByteArray("https://as.example/Token");
        QTest::newRow("user info dropped")
                << "https://u:p@as.example/t" << QByteArray("https://as.example/t");
        QTest::newRow("IPv6") << "http://[::1]:9000/t" << QByteArray("http://[::1]:9000/t");
    }
    void htu()
    {
        QFETCH(QString, uri);
        QFETCH(QByteArray, htu);
        QCOMPARE(dpopHtu(QUrl(uri)), htu);
    }

    void jtiIsFreshEveryTime()
    {
        const auto key = SoftwareDpopKey::generate();
        QSet<QString> seen;
        const QUrl uri(QStringLiteral("https://as.example/token"));
        for (int i = 0; i < 1000; ++i) {
            const QString jti = part(buildDpopProof(*key, {"POST", uri, {}, {}, now}), 1)
                                        .value(QLatin1String("jti"))
                                        .toString();
            QCOMPARE(jti.size(), 22); // 128 bits, base64url
            seen.insert(jti);
        }
        QCOMPARE(seen.size(), 1000);
    }

    void base64UrlIsQtsBase64Url()
    {
        // Every length's tail (0, 1, 2 bytes left over), every byte value.
        QByteArray bytes;
        for (int i = 0; i < 300; ++i) {
            QCOMPARE(
                    base64Url(bytes),
                    bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
            bytes.append(char((i * 151 + 7) % 256));
        }
        QByteArray appended("prefix.");
        appendBase64Url(&appended, QByteArrayView("\xfb\xff\xfe", 3));
        QCOMPARE(appended, QByteArray("prefix.-__-"));
    }

#ifdef Q_OS_UNIX
    void forkedChildDrawsItsOwnJti()
    {
        // The jti values are drawn ahead, per thread: a child forked now
        // must not send the parent's next one (a replay to the server).
        const auto key = SoftwareDpopKey::generate();
        const QUrl uri(QStringLiteral("https://as.example/token"));
        const auto jtiOf = [&]() {
            return part(buildDpopProof(*key, {"POST", uri, {}, {}, now}), 1)
                    .value(QLatin1String("jti"))
                    .toString()
                    .toLatin1();
        };
        QVERIFY(!jtiOf().isEmpty()); // the pool is drawn, most of it left
        std::array<int, 2> pipeFds {};
        QCOMPARE(pipe(pipeFds.data()), 0);
        const pid_t child = fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            const QByteArray jti = jtiOf();
            const bool written
                    = write(pipeFds[1], jti.constData(), size_t(jti.size())) == jti.size();
            _exit(written ? 0 : 1);
        }
        close(pipeFds[1]);
        const QByteArray parentJti = jtiOf();
        std::array<char, 64> buffer {};
        const ssize_t got = read(pipeFds[0], buffer.data(), buffer.size());
        close(pipeFds[0]);
        int status = 0;
        QCOMPARE(waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        QCOMPARE(got, ssize_t(22));
        QVERIFY(QByteArray(buffer.data(), 22) != parentJti);
    }
#endif

    void privateKeyRoundTripsThroughSecretBytes()
    {
        const auto key = SoftwareDpopKey::generate();
        const SecretBytes exported = key->exportPrivateKey();
        QVERIFY(exported.size() > 32);
        QString why;
        const auto restored = SoftwareDpopKey::fromPrivateKey(exported, &why);
        QVERIFY2(restored, qPrintable(why));
        QCOMPARE(restored->thumbprint(), key->thumbprint());
        // The restored key signs proofs the verifier ties to the same thumbprint.
        DpopVerifier verifier;
        DpopVerifier::Proof checked;
        const QByteArray proof = buildDpopProof(
                *restored, {"POST", QUrl(QStringLiteral("https://as.example/token")), {}, {}, now});
        QCOMPARE(verifier.check({proof},
                                expect("POST", QStringLiteral("https://as.example/token"), now),
                                &checked, &why),
                 DpopVerifier::Verdict::Valid);
        QCOMPARE(checked.jkt, key->thumbprint());
    }

    void foreignOrDamagedKeysAreRefused()
    {
        QString why;
        QVERIFY(!SoftwareDpopKey::fromPrivateKey(SecretBytes(QByteArrayView("not a key")), &why));
        QVERIFY2(why.contains(QLatin1String("DER")), qPrintable(why));

        // A valid EC key on another curve (P-384) is not an ES256 key.
        EVP_PKEY *p384 = EVP_EC_gen("secp384r1");
        QVERIFY(p384);
        unsigned char *der = nullptr;
        const int length = i2d_PrivateKey(p384, &der);
        QVERIFY(length > 0);
        const SecretBytes foreign(QByteArrayView(reinterpret_cast<const char *>(der), length));
        OPENSSL_clear_free(der, std::size_t(length));
        EVP_PKEY_free(p384);
        why.clear();
        QVERIFY(!SoftwareDpopKey::fromPrivateKey(foreign, &why));
        QVERIFY2(why.contains(QLatin1String("P-256")), qPrintable(why));

        // Trailing bytes after the key: not what was stored.
        const auto key = SoftwareDpopKey::generate();
        QByteArray padded = key->exportPrivateKey().toByteArray() + "x";
        why.clear();
        QVERIFY(!SoftwareDpopKey::fromPrivateKey(SecretBytes::adopt(padded), &why));
    }

    void nonceSyntax_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<bool>("valid");
        QTest::newRow("plain") << QByteArray("eyJ7S_zG.1a2b") << true;
        QTest::newRow("every NQCHAR edge") << QByteArray("!#[]~") << true;
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("space") << QByteArray("a b") << false;
        QTest::newRow("quote") << QByteArray("a\"b") << false;
        QTest::newRow("backslash") << QByteArray("a\\b") << false;
        QTest::newRow("control") << QByteArray("a\x01") << false;
        QTest::newRow("non-ASCII") << QByteArray("caf\xc3\xa9") << false;
        QTest::newRow("4096 bytes") << QByteArray(4096, 'n') << true;
        QTest::newRow("4097 bytes") << QByteArray(4097, 'n') << false;
    }
    void nonceSyntax()
    {
        QFETCH(QByteArray, value);
        QFETCH(bool, valid);
        QCOMPARE(DpopServerState::isValidNonce(value), valid);
    }

    void noncesArePerOriginAndInvalidOnesIgnored()
    {
        DpopServerState state;
        const QString as = QStringLiteral("https://as.example");
        const QString api = QStringLiteral("https://api.example");
        QVERIFY(state.noteNonce(as, " first-nonce\t")); // OWS around the field value
        QCOMPARE(state.nonce(as), QByteArray("first-nonce"));
        QVERIFY(state.nonce(api).isEmpty());
        QVERIFY(!state.noteNonce(as, "bad nonce"));
        QCOMPARE(state.nonce(as), QByteArray("first-nonce"));
        QVERIFY(state.noteNonce(as, "second"));
        QVERIFY(state.noteNonce(api, "api-nonce"));
        QCOMPARE(state.nonce(as), QByteArray("second"));
        QCOMPARE(state.nonce(api), QByteArray("api-nonce"));
    }

    void clockSkew_data()
    {
        QTest::addColumn<qint64>("skew");
        QTest::newRow("server 10 min ahead") << qint64(600);
        QTest::newRow("server 10 min behind") << qint64(-600);
        QTest::newRow("server 23 h ahead") << qint64(23 * 3600);
    }
    void clockSkew()
    {
        QFETCH(qint64, skew);
        const auto key = SoftwareDpopKey::generate();
        const QString as = QStringLiteral("https://as.example");
        const QUrl uri(QStringLiteral("https://as.example/token"));
        const qint64 serverNow = now + skew;
        DpopVerifier::Proof checked;
        QString why;

        // Our clock: outside the server's 60 s window.
        DpopVerifier verifier;
        DpopServerState state;
        QByteArray proof = buildDpopProof(*key, {"POST", uri, {}, {}, state.issuedAt(as, now)});
        QCOMPARE(verifier.check({proof}, expect("POST", uri.toString(), serverNow), &checked, &why),
                 DpopVerifier::Verdict::Invalid);

        // The rejection's Date header gives the offset; the next proof is on time.
        const QByteArray date = QLocale::c()
                                        .toString(QDateTime::fromSecsSinceEpoch(serverNow, Qt::UTC),
                                                  QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
                                        .toLatin1();
        QVERIFY2(state.noteServerDate(as, date, now), date.constData());
        QCOMPARE(state.clockOffset(as), skew);
        QCOMPARE(state.clockOffset(QStringLiteral("https://api.example")), 0);
        proof = buildDpopProof(*key, {"POST", uri, {}, {}, state.issuedAt(as, now)});
        QCOMPARE(verifier.check({proof}, expect("POST", uri.toString(), serverNow), &checked, &why),
                 DpopVerifier::Verdict::Valid);
    }

    void implausibleServerDatesAreIgnored()
    {
        DpopServerState state;
        const QString as = QStringLiteral("https://as.example");
        QVERIFY(state.noteServerDate(as, "Fri, 15 Jan 2027 08:00:00 GMT", now));
        const qint64 offset = state.clockOffset(as);
        // Beyond the 24 h bound, not an HTTP-date, or empty: the offset stays.
        for (const QByteArray &bad :
             {QByteArray("Sat, 01 Jan 2000 00:00:00 GMT"), QByteArray("yesterday"), QByteArray()}) {
            QVERIFY2(!state.noteServerDate(as, bad, now), bad.constData());
            QCOMPARE(state.clockOffset(as), offset);
        }
    }
};

QTEST_GUILESS_MAIN(tst_Dpop)
#include "tst_dpop.moc"
