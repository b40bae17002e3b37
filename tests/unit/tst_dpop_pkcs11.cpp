// SPDX-License-Identifier: MIT
// The PKCS#11 DPoP key (sdk/src/session/dpopkeypkcs11.cpp) against a real
// SoftHSM2 token made in a temporary directory: the key pair is generated on
// the token, the private half cannot be read back, proofs pass the mock
// server's independent verifier (OpenSSL), the stored reference finds the
// same key again, and a key or token that went away is DPoPKeyMissing.
// Built only with SECURETOKENS_PKCS11; then a missing SoftHSM2 fails the run.

#include "dpop_p.h"
#include "session/dpopkeypkcs11_p.h"
#include "session/dpopproof_p.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <memory>

using namespace SecureTokens;
using namespace SecureTokens::Internal;
using Mock::DpopVerifier;

namespace {

const QString tokenName = QStringLiteral("securetokens-test");
// A throwaway token's PIN, made for this run only (softhsm2-util takes it on
// its command line; the SDK never does).
const QByteArray userPin = "1234-test";

QString softhsmModule()
{
    for (const char *path :
         {"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
          "/usr/local/lib/softhsm/libsofthsm2.so"})
        if (QFile::exists(QLatin1String(path)))
            return QLatin1String(path);
    return {};
}

// An independent look at the private key object through its own module
// instance: the attributes the token reports, and whether CKA_VALUE reads.
struct TokenView
{
    CK_FUNCTION_LIST *f = nullptr;
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    TokenView() = default;
    TokenView(const TokenView &) = delete;
    TokenView &operator=(const TokenView &) = delete;
    ~TokenView()
    {
        if (session != CK_INVALID_HANDLE)
            f->C_CloseSession(session);
        if (f) {
            p11_kit_module_finalize(f);
            p11_kit_module_release(f);
        }
    }
    bool open(const QString &module, const QString &reference)
    {
        f = p11_kit_module_load(module.toLocal8Bit().constData(), 0);
        if (!f || p11_kit_module_initialize(f) != CKR_OK)
            return false;
        std::unique_ptr<P11KitUri, void (*)(P11KitUri *)> uri(p11_kit_uri_new(), p11_kit_uri_free);
        if (p11_kit_uri_parse(reference.toUtf8().constData(), P11_KIT_URI_FOR_ANY, uri.get())
            != P11_KIT_URI_OK)
            return false;
        CK_SLOT_ID slots[8];
        CK_ULONG count = 8;
        if (f->C_GetSlotList(CK_TRUE, slots, &count) != CKR_OK)
            return false;
        for (CK_ULONG i = 0; i < count; ++i) {
            CK_TOKEN_INFO info {};
            if (f->C_GetTokenInfo(slots[i], &info) == CKR_OK
                && p11_kit_uri_match_token_info(uri.get(), &info) == 1
                && f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, nullptr, nullptr, &session)
                        == CKR_OK)
                break;
        }
        if (session == CK_INVALID_HANDLE)
            return false;
        // The login is per token and process (PKCS#11 v2.40 §5.6): the key
        // under test may have logged in already.
        const CK_RV login
                = f->C_Login(session, CKU_USER,
                             reinterpret_cast<CK_UTF8CHAR *>(const_cast<char *>(userPin.data())),
                             CK_ULONG(userPin.size()));
        if (login != CKR_OK && login != CKR_USER_ALREADY_LOGGED_IN)
            return false;
        CK_ATTRIBUTE *id = p11_kit_uri_get_attribute(uri.get(), CKA_ID);
        CK_OBJECT_CLASS keyClass = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE match[] = {{CKA_CLASS, &keyClass, sizeof keyClass}, *id};
        CK_ULONG found = 0;
        f->C_FindObjectsInit(session, match, 2);
        f->C_FindObjects(session, &key, 1, &found);
        f->C_FindObjectsFinal(session);
        return found == 1;
    }
    CK_BBOOL flag(CK_ATTRIBUTE_TYPE type) const
    {
        CK_BBOOL value = 0xff;
        CK_ATTRIBUTE a {type, &value, sizeof value};
        return f->C_GetAttributeValue(session, key, &a, 1) == CKR_OK ? value : 0xff;
    }
};

} // namespace

class tst_DpopPkcs11 : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_module;
    SecretBytes m_pin {QByteArrayView(userPin)};

    void initToken()
    {
        QDir(m_dir.filePath(QStringLiteral("tokens"))).removeRecursively();
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("tokens"))));
        QProcess util;
        util.start(QStringLiteral("softhsm2-util"),
                   {QStringLiteral("--init-token"), QStringLiteral("--free"),
                    QStringLiteral("--label"), tokenName, QStringLiteral("--pin"),
                    QString::fromLatin1(userPin), QStringLiteral("--so-pin"),
                    QStringLiteral("so-1234-test")});
        QVERIFY(util.waitForFinished(30000));
        QVERIFY2(util.exitCode() == 0, util.readAllStandardError().constData());
    }

    static DpopVerifier::Expectation expect(const QUrl &uri)
    {
        DpopVerifier::Expectation e;
        e.method = "POST";
        e.uri = uri;
        e.nonceContext = QStringLiteral("as");
        e.nowMs = QDateTime::currentMSecsSinceEpoch();
        return e;
    }

    static void verifyProof(const DpopKey &key)
    {
        const QUrl uri(QStringLiteral("https://as.example/token"));
        DpopProofRequest request;
        request.method = "POST";
        request.uri = uri;
        request.issuedAt = QDateTime::currentSecsSinceEpoch();
        const QByteArray proof = buildDpopProof(key, request);
        QVERIFY(!proof.isEmpty());
        DpopVerifier verifier;
        DpopVerifier::Proof checked;
        QString why;
        QCOMPARE(verifier.check({proof}, expect(uri), &checked, &why),
                 DpopVerifier::Verdict::Valid);
        QCOMPARE(checked.jkt, key.thumbprint());
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_module = softhsmModule();
        // Built with SECURETOKENS_PKCS11: no SoftHSM2 is a failure, not a skip.
        QVERIFY2(!m_module.isEmpty(), "libsofthsm2.so not found (Debian: apt install softhsm2)");
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("softhsm2-util")).isEmpty(),
                 "softhsm2-util not found (Debian: apt install softhsm2)");
        QVERIFY(m_dir.isValid());
        const QString conf = m_dir.filePath(QStringLiteral("softhsm2.conf"));
        QFile file(conf);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("directories.tokendir = " + m_dir.filePath(QStringLiteral("tokens")).toUtf8()
                   + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        file.close();
        qputenv("SOFTHSM2_CONF", conf.toLocal8Bit());
        initToken();
    }

    void keyIsMadeOnTheTokenAndSignsVerifiableProofs()
    {
        ErrorInfo error;
        const auto key = Pkcs11DpopKey::generate(m_module, tokenName, m_pin, &error);
        QVERIFY2(key, qPrintable(error.message));
        const QJsonObject jwk = key->publicJwk();
        QCOMPARE(jwk.value(QLatin1String("crv")).toString(), QStringLiteral("P-256"));
        QVERIFY(!jwk.contains(QLatin1String("d")));
        verifyProof(*key);
        verifyProof(*key); // and again: the session stays usable
    }

    void privateKeyCannotLeaveTheToken()
    {
        ErrorInfo error;
        const auto key = Pkcs11DpopKey::generate(m_module, tokenName, m_pin, &error);
        QVERIFY2(key, qPrintable(error.message));
        const QString reference = key->reference();
        QVERIFY(reference.startsWith(QLatin1String("pkcs11:")));
        QVERIFY(reference.contains(QLatin1String("module-path=")));
        QVERIFY(!reference.contains(QString::fromLatin1(userPin)));
        QVERIFY(!reference.contains(QLatin1String("pin-")));

        TokenView view;
        QVERIFY(view.open(m_module, reference));
        QCOMPARE(view.flag(CKA_TOKEN), CK_BBOOL(CK_TRUE));
        QCOMPARE(view.flag(CKA_SENSITIVE), CK_BBOOL(CK_TRUE));
        QCOMPARE(view.flag(CKA_EXTRACTABLE), CK_BBOOL(CK_FALSE));
        QCOMPARE(view.flag(CKA_NEVER_EXTRACTABLE), CK_BBOOL(CK_TRUE));
        unsigned char buffer[256];
        CK_ATTRIBUTE value {CKA_VALUE, buffer, sizeof buffer};
        QCOMPARE(view.f->C_GetAttributeValue(view.session, view.key, &value, 1),
                 CK_RV(CKR_ATTRIBUTE_SENSITIVE));
        QCOMPARE(value.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    }

    void referenceFindsTheSameKeyAgain()
    {
        ErrorInfo error;
        QString reference;
        QByteArray thumbprint;
        {
            const auto key = Pkcs11DpopKey::generate(m_module, tokenName, m_pin, &error);
            QVERIFY2(key, qPrintable(error.message));
            reference = key->reference();
            thumbprint = key->thumbprint();
        } // module finalized: what follows starts from the token alone
        const auto again = Pkcs11DpopKey::open(reference, m_pin, &error);
        QVERIFY2(again, qPrintable(error.message));
        QCOMPARE(again->thumbprint(), thumbprint);
        verifyProof(*again);
    }

    void wrongPinIsRefusedAndKeepsTheKey()
    {
        ErrorInfo error;
        QString reference;
        {
            const auto key = Pkcs11DpopKey::generate(m_module, tokenName, m_pin, &error);
            QVERIFY2(key, qPrintable(error.message));
            reference = key->reference();
        } // logged out: a live key's login would cover the next one (§5.6)
        const auto denied = Pkcs11DpopKey::open(reference, SecretBytes("wrong"), &error);
        QVERIFY(!denied);
        QCOMPARE(error.code, Error::StorageAccessDenied);
        QVERIFY(!error.endsSession());
        QVERIFY2(Pkcs11DpopKey::open(reference, m_pin, &error), qPrintable(error.message));
    }

    void destroyedKeyIsDpopKeyMissing()
    {
        ErrorInfo error;
        const auto key = Pkcs11DpopKey::generate(m_module, tokenName, m_pin, &error);
        QVERIFY2(key, qPrintable(error.message));
        const QString reference = key->reference();
        QVERIFY(key->destroy());
        QVERIFY(key->sign("x").isEmpty());
        QVERIFY(!Pkcs11DpopKey::open(reference, m_pin, &error));
        QCOMPARE(error.code, Error::DPoPKeyMissing);
        QVERIFY(error.endsSession());
        QVERIFY2(error.message.contains(QLatin1String("no longer on token")),
                 qPrintable(error.message));
    }

    void removedTokenIsDpopKeyMissing()
    {
        ErrorInfo error;
        QString reference;
        {
            const auto key = Pkcs11DpopKey::generate(m_module, tokenName, m_pin, &error);
            QVERIFY2(key, qPrintable(error.message));
            reference = key->reference();
        }
        QVERIFY(QDir(m_dir.filePath(QStringLiteral("tokens"))).removeRecursively());
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("tokens"))));
        QVERIFY(!Pkcs11DpopKey::open(reference, m_pin, &error));
        QCOMPARE(error.code, Error::DPoPKeyMissing);
        QVERIFY2(error.message.contains(QLatin1String("removed?")), qPrintable(error.message));
        initToken(); // for any test after this one
    }

    void missingModuleIsDpopKeyMissing()
    {
        ErrorInfo error;
        QVERIFY(!Pkcs11DpopKey::generate(m_dir.filePath(QStringLiteral("no-such-module.so")),
                                         tokenName, m_pin, &error));
        QCOMPARE(error.code, Error::DPoPKeyMissing);
    }
};

QTEST_GUILESS_MAIN(tst_DpopPkcs11)
#include "tst_dpop_pkcs11.moc"
