// SPDX-License-Identifier: MIT
// Values larger than one backend entry (Windows Credential Manager: 2560 bytes;
// Android: ~245) are split over several entries. Exercised against the real
// Secret Service (scripts/with-keyring) with an artificial 512-byte limit; the
// entries are checked behind the store's back with libsecret's secret-tool.

#include <securetokens/keychainsecretstore.h>

#include "storecalls.h"
#include "storage/keychaintesting.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace SecureTokens;
using namespace StoreCalls;
using namespace std::chrono_literals;
using Status = SecretStore::Status;

namespace {

const QString service = QStringLiteral("securetokens-test-chunks");
constexpr qsizetype limit = 512;
constexpr qsizetype headerSize = 43; // magic, version, count, length, SHA-256

#define AWAIT(outcome) AWAIT_STORE_CALL(outcome, 30000)

QByteArray randomBytes(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char(QRandomGenerator::global()->bounded(256));
    return bytes;
}

//! Entries a value of \a size bytes occupies with the 512-byte limit.
int entryCount(qsizetype size)
{
    if (size <= limit)
        return 1;
    return 1 + int((size - (limit - headerSize) + limit - 1) / limit);
}

QString entryName(const QString &account, int index)
{
    return index == 0 ? account : account + QLatin1Char('#') + QString::number(index);
}

QStringList attributes(const QString &account)
{
    // QtKeychain's libsecret schema: binary values are stored base64-encoded.
    return {QStringLiteral("user"),   account,
            QStringLiteral("server"), service,
            QStringLiteral("type"),   QStringLiteral("base64")};
}

//! The raw bytes of one backend entry, read with secret-tool; null if missing.
QByteArray lookupEntry(const QString &name)
{
    QProcess tool;
    tool.start(QStringLiteral("secret-tool"),
               QStringList {QStringLiteral("lookup")} + attributes(name));
    if (!tool.waitForFinished(15000) || tool.exitCode() != 0)
        return {};
    return QByteArray::fromBase64(tool.readAllStandardOutput().trimmed());
}

bool clearEntry(const QString &name)
{
    QProcess tool;
    tool.start(QStringLiteral("secret-tool"),
               QStringList {QStringLiteral("clear")} + attributes(name));
    return tool.waitForFinished(15000) && tool.exitCode() == 0;
}

bool storeEntry(const QString &name, const QByteArray &bytes)
{
    QProcess tool;
    tool.start(QStringLiteral("secret-tool"),
               QStringList {QStringLiteral("store"), QStringLiteral("--label=tampered")}
                       + attributes(name));
    if (!tool.waitForStarted(15000))
        return false;
    tool.write(bytes.toBase64());
    tool.closeWriteChannel();
    return tool.waitForFinished(15000) && tool.exitCode() == 0;
}

//! How many of account, account#1, ... account#(max-1) exist in the keyring.
int existingEntries(const QString &account, int max)
{
    int found = 0;
    for (int i = 0; i < max; ++i) {
        if (!lookupEntry(entryName(account, i)).isNull())
            ++found;
    }
    return found;
}

} // namespace

class tst_KeychainChunks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void defaultLimits();
    void largeValuesRoundTrip_data();
    void largeValuesRoundTrip();
    void smallValueIsOneEntryAsBefore();
    void valueLookingLikeAHeaderRoundTrips();
    void overwriteLongShortLong();
    void removeLeavesNoChunkBehind();
    void missingChunkIsFailed();
    void alteredChunkIsFailed();
    void reservedAccountNames();

private:
    void writeOk(const QString &account, const QByteArray &value);
    void readEquals(const QString &account, const QByteArray &value);

    std::unique_ptr<KeychainSecretStore> m_store;
    QStringList m_accountsUsed;
};

void tst_KeychainChunks::initTestCase()
{
    QVERIFY2(qgetenv("SECURETOKENS_TEST_KEYRING") == "1",
             "run through scripts/with-keyring (ctest does this)");
    Internal::setKeychainEntryLimitForTesting(limit);
    m_store = std::make_unique<KeychainSecretStore>(service);
    Internal::setKeychainEntryLimitForTesting(0);
    m_store->setTimeout(20s);
    QCOMPARE(m_store->backendEntryLimit(), limit);
    // Only stores made while the limit was set use it.
    QCOMPARE(KeychainSecretStore(service).backendEntryLimit(),
             KeychainSecretStore::defaultBackendEntryLimit());
}

void tst_KeychainChunks::cleanup()
{
    for (const QString &account : std::as_const(m_accountsUsed)) {
        auto removed = startRemove(*m_store, account, this);
        AWAIT(removed);
    }
    m_accountsUsed.clear();
}

void tst_KeychainChunks::writeOk(const QString &account, const QByteArray &value)
{
    auto written = startWrite(*m_store, account, value, this);
    AWAIT(written);
    QVERIFY2(written->result.ok(), qPrintable(written->result.message));
}

void tst_KeychainChunks::readEquals(const QString &account, const QByteArray &value)
{
    auto read = startRead(*m_store, account, this);
    AWAIT(read);
    QVERIFY2(read->result.ok(), qPrintable(read->result.message));
    QCOMPARE(read->secret.size(), std::size_t(value.size()));
    QVERIFY(read->secret.equals(value));
}

void tst_KeychainChunks::defaultLimits()
{
    // On Linux the Secret Service has no small limit: nothing is split by default.
    KeychainSecretStore plain(service);
    QCOMPARE(KeychainSecretStore::defaultBackendEntryLimit(), KeychainSecretStore::maxValueSize);
    QCOMPARE(plain.backendEntryLimit(), KeychainSecretStore::maxValueSize);
    // And the platform's storage timeout (Linux: 10 s; Windows and Android: 60 s).
    QCOMPARE(KeychainSecretStore::defaultTimeout(), std::chrono::milliseconds(10000));
    QCOMPARE(plain.timeout(), KeychainSecretStore::defaultTimeout());
}

void tst_KeychainChunks::largeValuesRoundTrip_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::newRow("8 KiB") << qsizetype(8 * 1024);
    QTest::newRow("16 KiB") << qsizetype(16 * 1024);
    QTest::newRow("limit + 1") << limit + 1;
    QTest::newRow("head exactly full") << limit - headerSize + 2 * limit;
}

void tst_KeychainChunks::largeValuesRoundTrip()
{
    QFETCH(qsizetype, size);
    const QString account = QStringLiteral("large");
    m_accountsUsed << account;
    const QByteArray value = randomBytes(size);
    writeOk(account, value);
    readEquals(account, value);

    // Behind the store's back: the expected number of entries, none larger
    // than the limit, and the head starts with the chunk header.
    const int count = entryCount(size);
    QVERIFY(count > 1);
    for (int i = 0; i < count; ++i) {
        const QByteArray entry = lookupEntry(entryName(account, i));
        QVERIFY2(!entry.isNull(), qPrintable(entryName(account, i)));
        QVERIFY(entry.size() <= limit);
    }
    QVERIFY(lookupEntry(entryName(account, count)).isNull());
    QVERIFY(lookupEntry(account).startsWith("STKC"));
    // No entry holds the value (or a large piece of it) in one piece.
    QVERIFY(!lookupEntry(account).contains(value.left(limit)));
    qInfo("%lld bytes stored as %d entries of at most %lld bytes", qlonglong(size), count,
          qlonglong(limit));
}

void tst_KeychainChunks::smallValueIsOneEntryAsBefore()
{
    const QString account = QStringLiteral("small");
    m_accountsUsed << account;
    const QByteArray value = randomBytes(limit); // exactly the limit: still one entry
    writeOk(account, value.startsWith("STKC") ? value.mid(1) : value);
    const QByteArray stored = lookupEntry(account);
    QVERIFY(value.endsWith(stored) && stored.size() >= limit - 1); // the raw value, no header
    QVERIFY(lookupEntry(entryName(account, 1)).isNull());
}

void tst_KeychainChunks::valueLookingLikeAHeaderRoundTrips()
{
    // A short value that happens to start like a chunk header is stored with a
    // header of its own, so it can never be misread as one.
    const QString account = QStringLiteral("lookalike");
    m_accountsUsed << account;
    const QByteArray value = "STKC\x01\x00\x05 not really a header";
    writeOk(account, value);
    readEquals(account, value);
}

void tst_KeychainChunks::overwriteLongShortLong()
{
    const QString account = QStringLiteral("rotating");
    m_accountsUsed << account;
    const QByteArray longValue = randomBytes(16 * 1024);
    writeOk(account, longValue);
    readEquals(account, longValue);
    const int longCount = entryCount(longValue.size());
    QCOMPARE(existingEntries(account, longCount + 2), longCount);

    // Shorter: the surplus chunks of the long value are removed.
    const QByteArray shortValue = "short-refresh-token";
    writeOk(account, shortValue);
    readEquals(account, shortValue);
    QCOMPARE(existingEntries(account, longCount + 2), 1);
    QCOMPARE(lookupEntry(account), shortValue);

    // Long again, but shorter than the first: 8 KiB.
    const QByteArray middle = randomBytes(8 * 1024);
    writeOk(account, middle);
    readEquals(account, middle);
    QCOMPARE(existingEntries(account, longCount + 2), entryCount(middle.size()));
}

void tst_KeychainChunks::removeLeavesNoChunkBehind()
{
    const QString account = QStringLiteral("removed");
    const QByteArray value = randomBytes(16 * 1024);
    writeOk(account, value);
    const int count = entryCount(value.size());
    QCOMPARE(existingEntries(account, count + 1), count);

    auto removed = startRemove(*m_store, account, this);
    AWAIT(removed);
    QCOMPARE(removed->result.status, Status::Ok);
    QCOMPARE(existingEntries(account, count + 1), 0);
    auto read = startRead(*m_store, account, this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::NotFound);
}

void tst_KeychainChunks::missingChunkIsFailed()
{
    const QString account = QStringLiteral("torn");
    m_accountsUsed << account;
    const QByteArray value = randomBytes(8 * 1024);
    writeOk(account, value);
    // An interrupted multi-entry write, simulated: one chunk is gone.
    QVERIFY(clearEntry(entryName(account, 3)));
    auto read = startRead(*m_store, account, this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Failed);
    QVERIFY(read->secret.isEmpty());
    QVERIFY(!read->result.message.isEmpty());
    qInfo() << "missing chunk:" << read->result.message;

    // Removing still clears everything that is left.
    auto removed = startRemove(*m_store, account, this);
    AWAIT(removed);
    QCOMPARE(removed->result.status, Status::Ok);
    QCOMPARE(existingEntries(account, entryCount(value.size()) + 1), 0);
}

void tst_KeychainChunks::alteredChunkIsFailed()
{
    const QString account = QStringLiteral("mixed");
    m_accountsUsed << account;
    const QByteArray value = randomBytes(8 * 1024);
    writeOk(account, value);
    // A chunk from another write (same size, other bytes): the hash catches it.
    QVERIFY(storeEntry(entryName(account, 2), randomBytes(limit)));
    auto read = startRead(*m_store, account, this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Failed);
    QVERIFY(read->secret.isEmpty());
    qInfo() << "altered chunk:" << read->result.message;
}

void tst_KeychainChunks::reservedAccountNames()
{
    auto write = startWrite(*m_store, QStringLiteral("alice#1"), "v", this);
    auto read = startRead(*m_store, QStringLiteral("alice#12"), this);
    auto removed = startRemove(*m_store, QStringLiteral("alice#3"), this);
    QCOMPARE(write->calls, 0);
    AWAIT(write);
    AWAIT(read);
    AWAIT(removed);
    QCOMPARE(write->result.status, Status::Failed);
    QCOMPARE(read->result.status, Status::Failed);
    QCOMPARE(removed->result.status, Status::Failed);
    // '#' elsewhere in the name is fine.
    m_accountsUsed << QStringLiteral("team#blue");
    writeOk(QStringLiteral("team#blue"), "v");
}

QTEST_GUILESS_MAIN(tst_KeychainChunks)
#include "tst_keychainchunks.moc"
