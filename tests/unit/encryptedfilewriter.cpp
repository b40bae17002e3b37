// SPDX-License-Identifier: MIT
// Test helper of tst_encryptedfileconcurrency: one process writing one account
// of an encrypted file many times, as a second instance of an application would.
//
//   encryptedfilewriter FILE ACCOUNT COUNT
//
// Reads the passphrase as the first line of stdin (never argv or the
// environment), opens the file (deriving the key), prints "ready", waits for a
// "go" line, then writes "ACCOUNT-0" … "ACCOUNT-<COUNT-1>" one after another,
// each awaited and, before the next, read back: a write the other process
// undid is reported at once. Prints "done"; exit 1 with what failed otherwise.

#include <securetokens/encryptedfilesecretstore.h>

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

using namespace SecureTokens;

namespace {

std::string readLine()
{
    std::string line;
    int c;
    while ((c = std::fgetc(stdin)) != EOF && c != '\n')
        line.push_back(char(c));
    return line;
}

void say(const char *line)
{
    std::fputs(line, stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 4)
        return 2;
    const QString path = QString::fromLocal8Bit(argv[1]);
    const QString account = QString::fromLocal8Bit(argv[2]);
    const int count = QByteArray(argv[3]).toInt();
    std::string secret = readLine();
    auto passphrase = std::make_shared<const SecretBytes>(QByteArrayView(secret));
    std::fill(secret.begin(), secret.end(), '\0');
    EncryptedFileSecretStore store(path, passphrase);
    store.setTimeout(std::chrono::seconds(60));

    int failed = 0;
    int next = 0;
    const auto fail = [&](const QString &why) {
        QTextStream(stdout) << why << Qt::endl;
        failed = 1;
        QCoreApplication::exit(1);
    };
    const auto valueOf = [&](int i) {
        return account.toUtf8() + '-' + QByteArray::number(i);
    };
    std::function<void()> writeNext;
    const auto write = [&] {
        store.write(account, SecretBytes(valueOf(next)), &app, [&](SecretStore::Result result) {
            if (!result.ok()) {
                fail(QStringLiteral("write %1 failed: %2 %3")
                             .arg(next)
                             .arg(int(result.status))
                             .arg(result.message));
                return;
            }
            ++next;
            writeNext();
        });
    };
    // Before each write, our previous one must still be there: the other
    // process's writes (to its own account) must not have undone it.
    writeNext = [&] {
        if (next == count) {
            say("done");
            QCoreApplication::exit(0);
            return;
        }
        if (next == 0) {
            write();
            return;
        }
        store.read(account, &app, [&](SecretStore::Result result, SecretBytes value) {
            if (!result.ok() || !value.equals(valueOf(next - 1))) {
                fail(QStringLiteral("write %1 was lost (read: status %2, %3 bytes)")
                             .arg(next - 1)
                             .arg(int(result.status))
                             .arg(value.size()));
                return;
            }
            write();
        });
    };
    // A first read derives the key, so that the writes of both processes overlap.
    store.read(account, &app, [&](SecretStore::Result result, SecretBytes) {
        if (!result.ok() && result.status != SecretStore::Status::NotFound) {
            fail(QStringLiteral("read failed: %1").arg(int(result.status)));
            return;
        }
        say("ready");
        if (readLine() != "go") {
            failed = 1;
            QCoreApplication::exit(1);
            return;
        }
        writeNext();
    });
    const int rc = QCoreApplication::exec();
    return failed ? 1 : rc;
}
