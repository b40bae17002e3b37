// SPDX-License-Identifier: MIT
// EncryptedFileSecretStore (StoragePolicy::EncryptedFile): the SecretStore
// contract, the file's protection (AES-256-GCM, scrypt, 0600, no plaintext), and
// typed errors that never overwrite a file the store cannot open.

#include <securetokens/encryptedfilesecretstore.h>

#include "storecalls.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

#ifndef Q_OS_WIN
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace SecureTokens;
using namespace StoreCalls;
using namespace std::chrono_literals;
using Status = SecretStore::Status;

namespace {

// scrypt with N = 2^16 takes about half a second; generous for loaded CI machines.
#define AWAIT(outcome) AWAIT_STORE_CALL(outcome, 60000)

std::shared_ptr<const SecretBytes> passphrase(QByteArrayView text)
{
    return std::make_shared<const SecretBytes>(text);
}

QByteArray fileBytes(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
            && file.write(bytes) == bytes.size();
}

} // namespace

class tst_EncryptedFileSecretStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void roundTripCompletesLater();
    void keyDerivationDoesNotBlockTheCaller();
    void overwrite();
    void removeKeepsOtherAccountsAndDeletesEmptyFile();
    void notFoundAndRemoveMissing();
    void twoAccounts();
    void newStoreObjectReadsIt();
    void fileIsOwnerOnly();
    void noPlaintextInTheFile();
    void freshNoncePerWrite();
    void wrongPassphraseIsAccessDeniedAndNothingIsOverwritten();
    void corruptedFileIsFailedAndUntouched_data();
    void corruptedFileIsFailedAndUntouched();
    void truncatedFileIsFailedAndUntouched_data();
    void truncatedFileIsFailedAndUntouched();
    void foreignFileIsFailedAndUntouched();
    void unwritableLocationIsFailed();
    void tooLarge();
    void missingPassphraseIsUnavailable();
    void destroyedContextIsNeverCalled();
    void destroyingTheStoreCompletesPendingCalls();

private:
    void writeOk(SecretStore &store, const QString &account, QByteArrayView value);
    //! Every operation of a store with \a key on the current file fails with
    //! \a expected, and the file's bytes stay exactly as they were.
    void expectRefusedAndUntouched(const std::shared_ptr<const SecretBytes> &key, Status expected);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
    std::shared_ptr<const SecretBytes> m_passphrase = passphrase("correct horse battery staple");
};

void tst_EncryptedFileSecretStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(QStringLiteral("state/tokens.bin"));
}

void tst_EncryptedFileSecretStore::cleanup()
{
    m_dir.reset();
}

void tst_EncryptedFileSecretStore::writeOk(SecretStore &store, const QString &account,
                                           QByteArrayView value)
{
    auto written = startWrite(store, account, value, this);
    AWAIT(written);
    QVERIFY2(written->result.ok(), qPrintable(written->result.message));
}

void tst_EncryptedFileSecretStore::roundTripCompletesLater()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    QCOMPARE(store.backendName(), QStringLiteral("encrypted-file"));
    QCOMPARE(store.path(), m_path);
    store.setTimeout(60s);

    auto written = startWrite(store, QStringLiteral("alice"), "refresh-token-1", this);
    auto read = startRead(store, QStringLiteral("alice"), this);
    QCOMPARE(written->calls, 0); // never inside the call
    QCOMPARE(read->calls, 0);
    AWAIT(written);
    AWAIT(read);
    QCOMPARE(written->result.status, Status::Ok);
    QCOMPARE(read->result.status, Status::Ok); // calls run in order: the write came first
    QVERIFY(read->secret.equals(QByteArrayView("refresh-token-1")));
    QVERIFY(QFile::exists(m_path));
    runEventLoopFor(100ms);
    QCOMPARE(written->calls, 1); // exactly once
    QCOMPARE(read->calls, 1);
}

void tst_EncryptedFileSecretStore::keyDerivationDoesNotBlockTheCaller()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    int ticks = 0;
    QTimer heartbeat;
    connect(&heartbeat, &QTimer::timeout, this, [&ticks] { ++ticks; });
    heartbeat.start(5);

    QElapsedTimer elapsed;
    elapsed.start();
    auto written = startWrite(store, QStringLiteral("alice"), "v", this); // derives the key
    const qint64 inCall = elapsed.elapsed();
    AWAIT(written);
    const qint64 firstCall = elapsed.restart();
    QCOMPARE(written->result.status, Status::Ok);
    // scrypt ran while the event loop kept turning.
    QVERIFY2(ticks >= 2, qPrintable(QString::number(ticks)));

    auto again = startWrite(store, QStringLiteral("alice"), "w", this); // cached key
    AWAIT(again);
    const qint64 secondCall = elapsed.elapsed();
    QCOMPARE(again->result.status, Status::Ok);
    qInfo("write() returned after %lld ms; first write (scrypt N=2^16, r=8) %lld ms; "
          "second write (cached key) %lld ms; heartbeat ticks during the first: %d",
          inCall, firstCall, secondCall, ticks);
}

void tst_EncryptedFileSecretStore::overwrite()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    auto first = startWrite(store, QStringLiteral("alice"), "old-token", this);
    auto second = startWrite(store, QStringLiteral("alice"), "new-token-longer", this);
    AWAIT(second);
    QCOMPARE(first->calls, 1);
    QCOMPARE(first->result.status, Status::Ok);
    QCOMPARE(second->result.status, Status::Ok);
    auto read = startRead(store, QStringLiteral("alice"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("new-token-longer")));
}

void tst_EncryptedFileSecretStore::removeKeepsOtherAccountsAndDeletesEmptyFile()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    writeOk(store, QStringLiteral("alice"), "a-token");
    writeOk(store, QStringLiteral("bob"), "b-token");

    auto removed = startRemove(store, QStringLiteral("alice"), this);
    AWAIT(removed);
    QCOMPARE(removed->result.status, Status::Ok);
    auto gone = startRead(store, QStringLiteral("alice"), this);
    AWAIT(gone);
    QCOMPARE(gone->result.status, Status::NotFound);
    QVERIFY(gone->secret.isEmpty());
    auto kept = startRead(store, QStringLiteral("bob"), this);
    AWAIT(kept);
    QCOMPARE(kept->result.status, Status::Ok);
    QVERIFY(kept->secret.equals(QByteArrayView("b-token")));
    QVERIFY(QFile::exists(m_path));

    // The last account gone: no file left behind at all.
    auto last = startRemove(store, QStringLiteral("bob"), this);
    AWAIT(last);
    QCOMPARE(last->result.status, Status::Ok);
    QVERIFY(!QFile::exists(m_path));
    // And the store still works afterwards.
    writeOk(store, QStringLiteral("carol"), "c-token");
    auto read = startRead(store, QStringLiteral("carol"), this);
    AWAIT(read);
    QVERIFY(read->secret.equals(QByteArrayView("c-token")));
}

void tst_EncryptedFileSecretStore::notFoundAndRemoveMissing()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    auto noFile = startRead(store, QStringLiteral("alice"), this);
    AWAIT(noFile);
    QCOMPARE(noFile->result.status, Status::NotFound);
    auto removeNoFile = startRemove(store, QStringLiteral("alice"), this);
    AWAIT(removeNoFile);
    QCOMPARE(removeNoFile->result.status, Status::Ok);
    QVERIFY(!QFile::exists(m_path)); // reads and removes never create the file

    writeOk(store, QStringLiteral("bob"), "b");
    const QByteArray before = fileBytes(m_path);
    auto noAccount = startRead(store, QStringLiteral("alice"), this);
    AWAIT(noAccount);
    QCOMPARE(noAccount->result.status, Status::NotFound);
    auto removeNoAccount = startRemove(store, QStringLiteral("alice"), this);
    AWAIT(removeNoAccount);
    QCOMPARE(removeNoAccount->result.status, Status::Ok);
    QCOMPARE(fileBytes(m_path), before); // nothing to change, nothing rewritten
}

void tst_EncryptedFileSecretStore::twoAccounts()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    QByteArray binary;
    for (int i = 0; i < 600; ++i)
        binary.append(char(i % 256)); // NULs and every byte value
    writeOk(store, QStringLiteral("alice"), binary);
    writeOk(store, QStringLiteral("bob@example.com"), "bob-token");
    auto a = startRead(store, QStringLiteral("alice"), this);
    auto b = startRead(store, QStringLiteral("bob@example.com"), this);
    AWAIT(a);
    AWAIT(b);
    QCOMPARE(a->result.status, Status::Ok);
    QCOMPARE(a->secret.size(), std::size_t(binary.size()));
    QVERIFY(a->secret.equals(binary));
    QCOMPARE(b->result.status, Status::Ok);
    QVERIFY(b->secret.equals(QByteArrayView("bob-token")));
}

void tst_EncryptedFileSecretStore::newStoreObjectReadsIt()
{
    {
        EncryptedFileSecretStore store(m_path, m_passphrase);
        store.setTimeout(60s);
        writeOk(store, QStringLiteral("alice"), "survives-restart");
    }
    // As after an app restart: another object, the same passphrase typed anew.
    EncryptedFileSecretStore again(m_path, passphrase("correct horse battery staple"));
    again.setTimeout(60s);
    auto read = startRead(again, QStringLiteral("alice"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("survives-restart")));
}

void tst_EncryptedFileSecretStore::fileIsOwnerOnly()
{
#ifdef Q_OS_WIN
    QFAIL("POSIX modes only; this suite runs on Linux");
#else
    const mode_t previous = ::umask(022); // the usual umask: new files would be 0644
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    writeOk(store, QStringLiteral("alice"), "v1");
    writeOk(store, QStringLiteral("alice"), "v2"); // a rewrite keeps it owner-only
    ::umask(previous);
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(m_path).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0600));
    // The directory the store created is private as well.
    QCOMPARE(::stat(QFile::encodeName(QFileInfo(m_path).absolutePath()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0700));
    // No temporary file (QSaveFile) left next to it; only the lock file of
    // the read-modify-write lock (security review, finding 5), empty and 0600.
    QCOMPARE(QDir(QFileInfo(m_path).absolutePath())
                     .entryList(QDir::Files | QDir::Hidden, QDir::Name),
             (QStringList {QStringLiteral("tokens.bin"), QStringLiteral("tokens.bin.lock")}));
    QCOMPARE(::stat(QFile::encodeName(m_path + QStringLiteral(".lock")).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0600));
    QCOMPARE(st.st_size, off_t(0));
#endif
}

void tst_EncryptedFileSecretStore::noPlaintextInTheFile()
{
    const QByteArray canary = "plaintext-canary-"
            + QByteArray::number(QRandomGenerator::global()->generate64(), 16);
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    writeOk(store, QStringLiteral("canary-account"), canary);
    const QByteArray bytes = fileBytes(m_path);
    QVERIFY(bytes.size() > canary.size());
    QVERIFY(!bytes.contains(canary));
    QVERIFY(!bytes.contains(canary.toBase64()));
    QVERIFY(!bytes.contains(canary.toHex()));
    QVERIFY(!bytes.contains("canary-account")); // account names are encrypted too
    QVERIFY(!bytes.contains(m_passphrase->toByteArray()));
    QVERIFY(bytes.startsWith("STKNFILE"));
}

void tst_EncryptedFileSecretStore::freshNoncePerWrite()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    writeOk(store, QStringLiteral("alice"), "same-value");
    const QByteArray first = fileBytes(m_path);
    writeOk(store, QStringLiteral("alice"), "same-value");
    const QByteArray second = fileBytes(m_path);
    QCOMPARE(first.size(), second.size());
    QCOMPARE(first.mid(16, 16), second.mid(16, 16)); // same salt (same key) ...
    QVERIFY(first.mid(64, 12) != second.mid(64, 12)); // ... but a new nonce
    QVERIFY(first.mid(88) != second.mid(88)); // so a different ciphertext
}

void tst_EncryptedFileSecretStore::expectRefusedAndUntouched(
        const std::shared_ptr<const SecretBytes> &key, Status expected)
{
    const QByteArray before = fileBytes(m_path);
    QVERIFY(!before.isEmpty() || QFile::exists(m_path));
    EncryptedFileSecretStore store(m_path, key);
    store.setTimeout(60s);
    auto read = startRead(store, QStringLiteral("alice"), this);
    auto write = startWrite(store, QStringLiteral("alice"), "would-overwrite", this);
    auto other = startWrite(store, QStringLiteral("mallory"), "would-overwrite", this);
    auto removed = startRemove(store, QStringLiteral("alice"), this);
    AWAIT(read);
    AWAIT(write);
    AWAIT(other);
    AWAIT(removed);
    for (const auto &outcome : {read, write, other, removed}) {
        QCOMPARE(outcome->result.status, expected);
        QVERIFY(!outcome->result.message.isEmpty());
    }
    QVERIFY(read->secret.isEmpty());
    QCOMPARE(fileBytes(m_path), before);
    qInfo() << "refused with" << expected << ":" << read->result.message;
}

void tst_EncryptedFileSecretStore::wrongPassphraseIsAccessDeniedAndNothingIsOverwritten()
{
    {
        EncryptedFileSecretStore store(m_path, m_passphrase);
        store.setTimeout(60s);
        writeOk(store, QStringLiteral("alice"), "the-real-token");
    }
    expectRefusedAndUntouched(passphrase("correct horse battery stapler"), Status::AccessDenied);

    // The right passphrase still opens it, with the original value.
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    auto read = startRead(store, QStringLiteral("alice"), this);
    AWAIT(read);
    QCOMPARE(read->result.status, Status::Ok);
    QVERIFY(read->secret.equals(QByteArrayView("the-real-token")));
}

void tst_EncryptedFileSecretStore::corruptedFileIsFailedAndUntouched_data()
{
    QTest::addColumn<int>("offset"); // negative: from the end
    QTest::addRow("magic") << 0;
    QTest::addRow("version") << 8;
    QTest::addRow("scrypt parameters") << 10;
    QTest::addRow("salt") << 20;
    QTest::addRow("key check") << 40;
    QTest::addRow("nonce") << 70;
    QTest::addRow("length") << 79;
    QTest::addRow("checksum") << 84;
    QTest::addRow("ciphertext") << 90;
    QTest::addRow("tag") << -1;
}

void tst_EncryptedFileSecretStore::corruptedFileIsFailedAndUntouched()
{
    QFETCH(int, offset);
    {
        EncryptedFileSecretStore store(m_path, m_passphrase);
        store.setTimeout(60s);
        writeOk(store, QStringLiteral("alice"), "the-real-token");
    }
    QByteArray bytes = fileBytes(m_path);
    const qsizetype at = offset < 0 ? bytes.size() + offset : offset;
    bytes[at] = char(bytes.at(at) ^ 0x01);
    QVERIFY(writeBytes(m_path, bytes));
    // Even with the right passphrase: Failed (not AccessDenied), file untouched.
    expectRefusedAndUntouched(m_passphrase, Status::Failed);
}

void tst_EncryptedFileSecretStore::truncatedFileIsFailedAndUntouched_data()
{
    QTest::addColumn<int>("keep"); // bytes kept; negative: bytes cut from the end
    QTest::addRow("empty") << 0;
    QTest::addRow("inside magic") << 5;
    QTest::addRow("inside header") << 50;
    QTest::addRow("header only") << 88;
    QTest::addRow("tag cut") << -10;
    QTest::addRow("one byte short") << -1;
}

void tst_EncryptedFileSecretStore::truncatedFileIsFailedAndUntouched()
{
    QFETCH(int, keep);
    {
        EncryptedFileSecretStore store(m_path, m_passphrase);
        store.setTimeout(60s);
        writeOk(store, QStringLiteral("alice"), "the-real-token");
    }
    QByteArray bytes = fileBytes(m_path);
    bytes.truncate(keep < 0 ? bytes.size() + keep : keep);
    QVERIFY(writeBytes(m_path, bytes));
    expectRefusedAndUntouched(m_passphrase, Status::Failed);
}

void tst_EncryptedFileSecretStore::foreignFileIsFailedAndUntouched()
{
    QVERIFY(QDir().mkpath(QFileInfo(m_path).absolutePath()));
    QVERIFY(writeBytes(m_path, QByteArray("{\"some\": \"other application's file\"}\n")));
    expectRefusedAndUntouched(m_passphrase, Status::Failed);
}

void tst_EncryptedFileSecretStore::unwritableLocationIsFailed()
{
    // A path below a regular file: no directory can be created there, not
    // even by root (this suite may run as root, where 0500 would not stop us).
    const QString blocker = m_dir->filePath(QStringLiteral("not-a-directory"));
    QVERIFY(writeBytes(blocker, "x"));
    EncryptedFileSecretStore store(blocker + QStringLiteral("/sub/tokens.bin"), m_passphrase);
    store.setTimeout(60s);
    auto written = startWrite(store, QStringLiteral("alice"), "v", this);
    AWAIT(written);
    QCOMPARE(written->result.status, Status::Failed);
    QVERIFY(!written->result.message.isEmpty());
    QCOMPARE(fileBytes(blocker), QByteArray("x"));

#ifndef Q_OS_WIN
    if (::geteuid() != 0) {
        // A read-only directory (meaningful for non-root users only).
        const QString readOnly = m_dir->filePath(QStringLiteral("ro"));
        QVERIFY(QDir().mkpath(readOnly));
        QVERIFY(QFile::setPermissions(readOnly, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
        EncryptedFileSecretStore roStore(readOnly + QStringLiteral("/tokens.bin"), m_passphrase);
        roStore.setTimeout(60s);
        auto roWrite = startWrite(roStore, QStringLiteral("alice"), "v", this);
        AWAIT(roWrite);
        QCOMPARE(roWrite->result.status, Status::Failed);
        QVERIFY(QDir(readOnly).entryList(QDir::Files | QDir::Hidden).isEmpty());
        QFile::setPermissions(
                readOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
#endif
}

void tst_EncryptedFileSecretStore::tooLarge()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    auto big = startWrite(store, QStringLiteral("alice"),
                          QByteArray(EncryptedFileSecretStore::maxValueSize + 1, 'x'), this);
    QCOMPARE(big->calls, 0);
    AWAIT(big);
    QCOMPARE(big->result.status, Status::TooLarge);
    QVERIFY(!QFile::exists(m_path));
    writeOk(store, QStringLiteral("alice"),
            QByteArray(EncryptedFileSecretStore::maxValueSize, 'y')); // the limit itself fits
}

void tst_EncryptedFileSecretStore::missingPassphraseIsUnavailable()
{
    for (const auto &key : {std::shared_ptr<const SecretBytes>(), passphrase("")}) {
        EncryptedFileSecretStore store(m_path, key);
        auto read = startRead(store, QStringLiteral("alice"), this);
        auto write = startWrite(store, QStringLiteral("alice"), "v", this);
        QCOMPARE(write->calls, 0);
        AWAIT(read);
        AWAIT(write);
        QCOMPARE(read->result.status, Status::Unavailable);
        QCOMPARE(write->result.status, Status::Unavailable);
        QVERIFY(!QFile::exists(m_path));
    }
}

void tst_EncryptedFileSecretStore::destroyedContextIsNeverCalled()
{
    EncryptedFileSecretStore store(m_path, m_passphrase);
    store.setTimeout(60s);
    auto *context = new QObject;
    auto dead = startWrite(store, QStringLiteral("alice"), "written-anyway", context);
    delete context;
    auto alive = startRead(store, QStringLiteral("alice"), this); // runs after the write
    AWAIT(alive);
    runEventLoopFor(100ms);
    QCOMPARE(dead->calls, 0);
    QCOMPARE(alive->result.status, Status::Ok);
    QVERIFY(alive->secret.equals(QByteArrayView("written-anyway")));
}

void tst_EncryptedFileSecretStore::destroyingTheStoreCompletesPendingCalls()
{
    auto store = std::make_unique<EncryptedFileSecretStore>(m_path, m_passphrase);
    store->setTimeout(60s);
    auto deriving = startWrite(*store, QStringLiteral("alice"), "v", this); // waits for scrypt
    auto queued = startRead(*store, QStringLiteral("alice"), this);
    store.reset();
    QCOMPARE(deriving->calls, 0);
    AWAIT(deriving);
    AWAIT(queued);
    QCOMPARE(deriving->result.status, Status::Failed);
    QCOMPARE(queued->result.status, Status::Failed);
    runEventLoopFor(1000ms); // the key derivation finishes meanwhile: no second callback
    QCOMPARE(deriving->calls, 1);
    QCOMPARE(queued->calls, 1);
    QVERIFY(!QFile::exists(m_path));
}

QTEST_GUILESS_MAIN(tst_EncryptedFileSecretStore)
#include "tst_encryptedfilesecretstore.moc"
