// SPDX-License-Identifier: MIT
// SecretBytes: ownership, wiping, comparison and what QDebug shows.
#include <securetokens/secretbytes.h>

#include <QDebug>
#include <QMutex>
#include <QTest>

#include <openssl/sha.h>

#include <utility>

using namespace SecureTokens;

namespace {

// SHA-256 computed independently of SecretBytes (which uses QCryptographicHash).
QString expectedFingerprint(const QByteArray &bytes)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(bytes.constData()), std::size_t(bytes.size()),
           digest);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(digest), 4).toHex());
}

QStringList capturedMessages;
QMutex capturedMutex;

void captureHandler(QtMsgType, const QMessageLogContext &, const QString &message)
{
    QMutexLocker locker(&capturedMutex);
    capturedMessages << message;
}

bool allZero(const QByteArray &bytes)
{
    for (char c : bytes) {
        if (c != 0)
            return false;
    }
    return true;
}

} // namespace

class tst_SecretBytes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void construct_data();
    void construct();
    void defaultIsEmpty();
    void move();
    void moveAssignReplaces();
    void clone();
    void clear();
    void equals_data();
    void equals();
    void fingerprint_data();
    void fingerprint();
    void adoptDetached();
    void adoptShared();
    void secureWipeDetached();
    void secureWipeShared();
    void debugShowsFingerprintOnly();
};

void tst_SecretBytes::construct_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addRow("ascii") << QByteArray("s3cr3t-token");
    QTest::addRow("one byte") << QByteArray("x");
    QTest::addRow("binary with NUL") << QByteArray("a\0b\xff", 4);
    QTest::addRow("16 KiB") << QByteArray(16 * 1024, 't');
}

void tst_SecretBytes::construct()
{
    QFETCH(QByteArray, bytes);
    const SecretBytes secret {QByteArrayView(bytes)};
    QVERIFY(!secret.isEmpty());
    QCOMPARE(secret.size(), std::size_t(bytes.size()));
    QCOMPARE(secret.view(), QByteArrayView(bytes));
    QVERIFY(secret.view().data() != bytes.constData()); // its own copy
    QCOMPARE(secret.toByteArray(), bytes);
}

void tst_SecretBytes::defaultIsEmpty()
{
    const SecretBytes none;
    QVERIFY(none.isEmpty());
    QCOMPARE(none.size(), std::size_t(0));
    QVERIFY(none.view().isEmpty());
    QVERIFY(none.toByteArray().isEmpty());
    QVERIFY(none.fingerprint().isEmpty());
    QVERIFY(SecretBytes(QByteArrayView()).isEmpty());
    QVERIFY(SecretBytes(QByteArrayView("")).isEmpty());
}

void tst_SecretBytes::move()
{
    SecretBytes source {QByteArrayView("moving-secret")};
    const char *const data = source.view().data();

    SecretBytes target(std::move(source));
    QVERIFY(source.isEmpty()); // NOLINT(bugprone-use-after-move): the contract under test
    QCOMPARE(source.size(), std::size_t(0));
    QVERIFY(source.view().isEmpty());
    QCOMPARE(target.view(), QByteArrayView("moving-secret"));
    QCOMPARE(static_cast<const void *>(target.view().data()), static_cast<const void *>(data));

    SecretBytes assigned;
    assigned = std::move(target);
    QVERIFY(target.isEmpty()); // NOLINT(bugprone-use-after-move)
    QCOMPARE(assigned.view(), QByteArrayView("moving-secret"));
}

void tst_SecretBytes::moveAssignReplaces()
{
    SecretBytes target {QByteArrayView("old-secret")};
    SecretBytes source {QByteArrayView("new")};
    target = std::move(source);
    QCOMPARE(target.view(), QByteArrayView("new"));
    QCOMPARE(target.size(), std::size_t(3));
    QVERIFY(source.isEmpty()); // NOLINT(bugprone-use-after-move)
}

void tst_SecretBytes::clone()
{
    const SecretBytes original {QByteArrayView("clone-me")};
    SecretBytes copy = original.clone();
    QVERIFY(copy.equals(original));
    QVERIFY(copy.view().data() != original.view().data());
    QCOMPARE(copy.fingerprint(), original.fingerprint());
    copy.clear();
    QVERIFY(copy.isEmpty());
    QCOMPARE(original.view(), QByteArrayView("clone-me"));
    QVERIFY(SecretBytes().clone().isEmpty());
}

void tst_SecretBytes::clear()
{
    SecretBytes secret {QByteArrayView("to-be-cleared")};
    secret.clear();
    QVERIFY(secret.isEmpty());
    QCOMPARE(secret.size(), std::size_t(0));
    QVERIFY(secret.view().isEmpty());
    QVERIFY(secret.fingerprint().isEmpty());
    secret.clear(); // twice is fine
    QVERIFY(secret.isEmpty());
}

void tst_SecretBytes::equals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");

    QTest::addRow("same") << QByteArray("token") << QByteArray("token") << true;
    QTest::addRow("last byte differs") << QByteArray("token") << QByteArray("tokem") << false;
    QTest::addRow("first byte differs") << QByteArray("token") << QByteArray("Token") << false;
    QTest::addRow("prefix") << QByteArray("token") << QByteArray("tok") << false;
    QTest::addRow("longer") << QByteArray("token") << QByteArray("tokens") << false;
    QTest::addRow("both empty") << QByteArray() << QByteArray() << true;
    QTest::addRow("one empty") << QByteArray("x") << QByteArray() << false;
    QTest::addRow("NUL inside") << QByteArray("a\0b", 3) << QByteArray("a\0c", 3) << false;
}

void tst_SecretBytes::equals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);

    const SecretBytes sa {QByteArrayView(a)};
    const SecretBytes sb {QByteArrayView(b)};
    QCOMPARE(sa.equals(sb), equal);
    QCOMPARE(sb.equals(sa), equal);
    QCOMPARE(sa.equals(QByteArrayView(b)), equal);
    QCOMPARE(sb.equals(QByteArrayView(a)), equal);
    QVERIFY(sa.equals(sa));
}

void tst_SecretBytes::fingerprint_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addRow("short") << QByteArray("abc");
    QTest::addRow("token") << QByteArray("2YotnFZFEjr1zCsicMWpAA");
    QTest::addRow("binary") << QByteArray("\0\x01\xfe\xff", 4);
    QTest::addRow("long") << QByteArray(10000, 'z');
}

void tst_SecretBytes::fingerprint()
{
    QFETCH(QByteArray, bytes);
    const SecretBytes secret {QByteArrayView(bytes)};
    const QString fp = secret.fingerprint();
    QCOMPARE(fp.size(), 8);
    for (QChar c : fp)
        QVERIFY2((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f'), qPrintable(fp));
    QCOMPARE(fp, expectedFingerprint(bytes));
    // SHA-256("abc") begins ba7816bf (FIPS 180-2, appendix B.1).
    if (bytes == "abc")
        QCOMPARE(fp, QStringLiteral("ba7816bf"));
}

void tst_SecretBytes::adoptDetached()
{
    QByteArray source("adopted-secret-value");
    QVERIFY(source.isDetached());
    SecretBytes secret = SecretBytes::adopt(source);
    QCOMPARE(secret.view(), QByteArrayView("adopted-secret-value"));
    // The source gives up its bytes (wiped first: secureWipeDetached() shows the
    // wipe in place; here the buffer is released, so it cannot be inspected).
    QVERIFY(source.isEmpty());
}

void tst_SecretBytes::adoptShared()
{
    const QByteArray value("shared-secret-value");
    QByteArray otherOwner(value.constData(), value.size());
    QByteArray source = otherOwner; // shares otherOwner's buffer
    QVERIFY(!source.isDetached());
    const char *const sharedData = otherOwner.constData();

    SecretBytes secret = SecretBytes::adopt(source);
    QVERIFY(secret.equals(value));
    QVERIFY(source.isEmpty());
    // The other owner's bytes are untouched: wiping them is its owner's job.
    QCOMPARE(otherOwner, value);
    QCOMPARE(static_cast<const void *>(otherOwner.constData()),
             static_cast<const void *>(sharedData));
}

void tst_SecretBytes::secureWipeDetached()
{
    QByteArray bytes("wipe-me-in-place");
    const char *const data = bytes.constData();
    const qsizetype size = bytes.size();
    secureWipe(bytes);
    QCOMPARE(static_cast<const void *>(bytes.constData()), static_cast<const void *>(data));
    QCOMPARE(bytes.size(), size);
    QVERIFY(allZero(bytes));

    QByteArray empty;
    secureWipe(empty); // no crash, still empty
    QVERIFY(empty.isEmpty());
}

void tst_SecretBytes::secureWipeShared()
{
    const QByteArray value("shared");
    QByteArray a(value.constData(), value.size());
    QByteArray b = a;
    secureWipe(b); // would only wipe a detached copy: must leave both alone
    QCOMPARE(a, value);
    QCOMPARE(b, value);
}

void tst_SecretBytes::debugShowsFingerprintOnly()
{
    const QByteArray value("debug-secret-XYZ");
    const SecretBytes secret {QByteArrayView(value)};

    {
        QMutexLocker locker(&capturedMutex);
        capturedMessages.clear();
    }
    const QtMessageHandler previous = qInstallMessageHandler(captureHandler);
    qDebug() << secret;
    qWarning() << "wrapped" << secret;
    qDebug() << SecretBytes();
    qInstallMessageHandler(previous);

    QMutexLocker locker(&capturedMutex);
    QCOMPARE(capturedMessages.size(), 3);
    for (const QString &message : std::as_const(capturedMessages)) {
        QVERIFY2(!message.contains(QLatin1String("debug-secret")), qPrintable(message));
        QVERIFY2(!message.contains(QLatin1String("XYZ")), qPrintable(message));
    }
    QVERIFY2(capturedMessages.at(0).contains(secret.fingerprint()),
             qPrintable(capturedMessages.at(0)));
    QVERIFY(capturedMessages.at(0).contains(QString::number(value.size())));
    QVERIFY(capturedMessages.at(1).contains(secret.fingerprint()));
    QVERIFY(capturedMessages.at(2).contains(QLatin1String("empty")));
}

QTEST_GUILESS_MAIN(tst_SecretBytes)
#include "tst_secretbytes.moc"
