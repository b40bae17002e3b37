// SPDX-License-Identifier: MIT
// Two processes writing different accounts of one encrypted file: every write
// of each must survive the other's (security review, finding 5: without a lock
// across read-modify-write one process's last write was lost, which with
// rotation brings back a consumed refresh token). The writers are real
// processes (encryptedfilewriter).

#include <securetokens/encryptedfilesecretstore.h>

#include "storecalls.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace SecureTokens;
using namespace StoreCalls;
using Status = SecretStore::Status;

namespace {

constexpr int kWrites = 200;
const QByteArray kPassphrase = "correct horse battery staple";

//! Waits (bounded) until \a process prints \a line; false if it ends or prints something else.
bool awaitLine(QProcess &process, const QByteArray &line, int timeoutMs)
{
    QElapsedTimer waited;
    waited.start();
    while (!process.canReadLine()) {
        const int left = timeoutMs - int(waited.elapsed());
        if (left <= 0 || !process.waitForReadyRead(left))
            return false;
    }
    const QByteArray got = process.readLine().trimmed();
    if (got != line)
        qWarning("writer said: %s", got.constData());
    return got == line;
}

} // namespace

class tst_EncryptedFileConcurrency : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void twoProcessesKeepEachOthersWrites();
};

void tst_EncryptedFileConcurrency::twoProcessesKeepEachOthersWrites()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("secrets.bin"));
    auto passphrase = std::make_shared<const SecretBytes>(kPassphrase);
    {
        // The file exists with its salt before the writers start.
        EncryptedFileSecretStore store(path, passphrase);
        store.setTimeout(std::chrono::seconds(60));
        auto first = startWrite(store, QStringLiteral("carol"), "carol-0", this);
        AWAIT_STORE_CALL(first, 60000);
        QVERIFY(first->result.ok());
    }

    QProcess writers[2];
    const QString accounts[2] = {QStringLiteral("alice"), QStringLiteral("bob")};
    for (int i = 0; i < 2; ++i) {
        writers[i].setProcessChannelMode(QProcess::ForwardedErrorChannel);
        writers[i].start(QStringLiteral(ENCRYPTED_FILE_WRITER),
                         {path, accounts[i], QString::number(kWrites)});
        QVERIFY(writers[i].waitForStarted(10000));
        writers[i].write(kPassphrase + '\n');
    }
    for (QProcess &writer : writers)
        QVERIFY2(awaitLine(writer, "ready", 60000), "a writer did not open the file");
    // Both at once: flushed here, since waiting on one QProcess does not
    // write the other's buffered input.
    for (QProcess &writer : writers) {
        writer.write("go\n");
        QVERIFY(writer.waitForBytesWritten(10000));
    }
    for (QProcess &writer : writers) {
        // A writer that finds one of its writes undone by the other says so and stops.
        QVERIFY2(awaitLine(writer, "done", 120000), "a writer lost a write or did not finish");
        QVERIFY(writer.waitForFinished(10000));
        QCOMPARE(writer.exitCode(), 0);
    }

    // Every account's last value is there, and the one written before both.
    EncryptedFileSecretStore store(path, passphrase);
    store.setTimeout(std::chrono::seconds(60));
    const QByteArray expected[3] = {"alice-" + QByteArray::number(kWrites - 1),
                                    "bob-" + QByteArray::number(kWrites - 1), "carol-0"};
    const QString all[3] = {accounts[0], accounts[1], QStringLiteral("carol")};
    for (int i = 0; i < 3; ++i) {
        auto read = startRead(store, all[i], this);
        AWAIT_STORE_CALL(read, 60000);
        QVERIFY2(read->result.ok(), qPrintable(all[i]));
        QVERIFY2(read->secret.equals(expected[i]),
                 qPrintable(all[i] + QStringLiteral(": ")
                            + QString::fromLatin1(read->secret.view().toByteArray())));
    }
}

QTEST_GUILESS_MAIN(tst_EncryptedFileConcurrency)
#include "tst_encryptedfileconcurrency.moc"
