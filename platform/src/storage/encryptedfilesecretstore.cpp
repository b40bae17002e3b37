// SPDX-License-Identifier: MIT
#include <securetokens/encryptedfilesecretstore.h>

#include "crossprocesslock.h"
#include "encryptedfilesecretstore_p.h"
#include "pendingcall_p.h"
#include "storagelogging_p.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPointer>
#include <QSaveFile>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <vector>

namespace SecureTokens {

using Internal::CallQueue;
using Internal::Entries;
using Internal::FileHeader;
using Internal::FileKey;
using Internal::FormatResult;
using Internal::PendingCall;
using Internal::ScryptParams;
using Status = SecretStore::Status;

namespace {

enum class Operation { Read, Write, Remove };

const char *operationName(Operation operation)
{
    switch (operation) {
    case Operation::Read:
        return "read";
    case Operation::Write:
        return "write";
    case Operation::Remove:
        return "remove";
    }
    return "?";
}

struct Request
{
    Operation operation;
    QString account;
    SecretBytes value; // Write only
    int derivations = 0;
};

} // namespace

class EncryptedFileSecretStore::Private
{
public:
    Private(EncryptedFileSecretStore *q, QString path,
            std::shared_ptr<const SecretBytes> passphrase)
        : q(q),
          path(std::move(path)),
          passphrase(std::move(passphrase)),
          calls(new CallQueue(q)),
          fileLock(CrossProcessLock::onFile(this->path + QStringLiteral(".lock")))
    { }

    void start(PendingCall *call, std::shared_ptr<Request> request);
    void lockThenRun(PendingCall *call, const std::shared_ptr<Request> &request);
    void run(PendingCall *call, const std::shared_ptr<Request> &request);
    void deriveThenRun(PendingCall *call, const std::shared_ptr<Request> &request,
                       const QByteArray &salt, ScryptParams params);
    void save(PendingCall *call, const std::shared_ptr<Request> &request, const Entries &entries);
    static void finish(PendingCall *call, const std::shared_ptr<Request> &request, Status status,
                       const QString &message = {}, SecretBytes secret = {});

    EncryptedFileSecretStore *const q;
    const QString path;
    const std::shared_ptr<const SecretBytes> passphrase;
    CallQueue *const calls; // child QObject of q
    /*!
        Held across each read-modify-write of the file, so that processes
        writing different accounts of one file do not lose each other's
        writes (security review, finding 5: one of two processes × 200 writes
        lost its last one). flock() on "<file>.lock", beside the file: the
        data file itself is replaced on every write, so a lock on it would be
        on an inode that is gone.
    */
    const std::unique_ptr<CrossProcessLock> fileLock;
    //! The key for the file's current salt, kept for the store's lifetime.
    std::shared_ptr<const FileKey> key;
    //! Calls not yet finished, so the destructor can complete them.
    std::vector<QPointer<PendingCall>> inFlight;
};

void EncryptedFileSecretStore::Private::start(PendingCall *call, std::shared_ptr<Request> request)
{
    if (!passphrase || passphrase->isEmpty()) {
        finish(call, request, Status::Unavailable,
               QStringLiteral("No passphrase was given for the encrypted file"));
        return;
    }
    inFlight.erase(
            std::remove_if(inFlight.begin(), inFlight.end(),
                           [](const QPointer<PendingCall> &c) { return !c || c->isFinished(); }),
            inFlight.end());
    inFlight.emplace_back(call);
    calls->enqueue(call, [this, call, request = std::move(request)] {
        qCDebug(lcKeychain) << "encrypted-file" << operationName(request->operation) << "started";
        lockThenRun(call, request);
    });
}

/*!
    run() under the file lock, which is released as soon as run() returns:
    run() reads, changes and writes the file without returning to the event
    loop, unless it needs a key first, and then it comes back here.
*/
void EncryptedFileSecretStore::Private::lockThenRun(PendingCall *call,
                                                    const std::shared_ptr<Request> &request)
{
    if (call->isFinished())
        return;
    const QFileInfo file(path);
    if (!file.absoluteDir().exists()) {
        // No file can be there: a read or remove needs no lock (run() answers
        // NotFound or Ok); a write creates the directory first, owner-only,
        // so that the lock file has a place.
        if (request->operation != Operation::Write) {
            run(call, request);
            return;
        }
        if (!QDir().mkpath(file.absolutePath())) {
            finish(call, request, Status::Failed,
                   QStringLiteral("Cannot create the encrypted file's directory"));
            return;
        }
        QFile::setPermissions(file.absolutePath(),
                              QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                      | QFileDevice::ExeOwner);
    }
    QPointer<PendingCall> guard(call);
    fileLock->acquire(
            call->remaining(), call, [this, guard, request](bool acquired, const ErrorInfo &error) {
                if (!guard)
                    return;
                if (!acquired) {
                    finish(guard, request,
                           error.code == Error::Timeout ? Status::Timeout : Status::Failed,
                           QStringLiteral("Cannot lock the encrypted file: %1").arg(error.message));
                    return;
                }
                run(guard, request);
                fileLock->release();
            });
}

void EncryptedFileSecretStore::Private::finish(PendingCall *call,
                                               const std::shared_ptr<Request> &request,
                                               Status status, const QString &message,
                                               SecretBytes secret)
{
    if (status == Status::Ok || status == Status::NotFound)
        qCDebug(lcKeychain) << "encrypted-file" << operationName(request->operation)
                            << "finished:" << status;
    else
        qCWarning(lcKeychain) << "encrypted-file" << operationName(request->operation)
                              << "failed:" << status;
    call->finish(status, message, std::move(secret));
}

/*!
    One call, from the file's current bytes. Runs again (once more at most)
    after a key derivation, because the file may have changed meanwhile.
*/
void EncryptedFileSecretStore::Private::run(PendingCall *call,
                                            const std::shared_ptr<Request> &request)
{
    if (call->isFinished())
        return; // timed out while waiting for the key
    QFile file(path);
    if (!file.exists()) {
        if (request->operation == Operation::Read) {
            finish(call, request, Status::NotFound, QStringLiteral("No encrypted file yet"));
        } else if (request->operation == Operation::Remove) {
            finish(call, request, Status::Ok); // nothing to remove (secretstore.h)
        } else if (!key) {
            deriveThenRun(call, request, Internal::randomSalt(), ScryptParams());
        } else {
            Entries entries;
            entries[request->account] = request->value.clone();
            save(call, request, entries);
        }
        return;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        finish(call, request, Status::Failed,
               QStringLiteral("Cannot read the encrypted file: %1").arg(file.errorString()));
        return;
    }
    if (file.size() > Internal::maxFileSize) {
        finish(call, request, Status::Failed,
               QStringLiteral("The encrypted file is too large (%1 bytes)").arg(file.size()));
        return;
    }
    const QByteArray bytes = file.readAll(); // ciphertext only: nothing to wipe
    file.close();

    FileHeader header;
    FormatResult result = Internal::parseHeader(bytes, &header);
    if (!result.ok()) {
        finish(call, request, result.status, result.message);
        return;
    }
    if (!key || key->salt != header.salt || !(key->params == header.params)) {
        deriveThenRun(call, request, header.salt, header.params);
        return;
    }
    Entries entries;
    result = Internal::openFile(bytes, header, *key, &entries);
    if (!result.ok()) {
        // Wrong passphrase or a damaged file: report it and leave the file
        // alone, also for writes and removes (nothing is overwritten).
        finish(call, request, result.status, result.message);
        return;
    }

    const auto it = entries.find(request->account);
    switch (request->operation) {
    case Operation::Read:
        if (it == entries.end())
            finish(call, request, Status::NotFound,
                   QStringLiteral("No secret stored for this account"));
        else
            finish(call, request, Status::Ok, {}, it->second.clone());
        return;
    case Operation::Write:
        entries[request->account] = request->value.clone();
        save(call, request, entries);
        return;
    case Operation::Remove:
        if (it == entries.end()) {
            finish(call, request, Status::Ok);
            return;
        }
        entries.erase(it);
        if (entries.empty()) {
            // Nothing left to protect: no file at all is better than an empty one.
            if (QFile::remove(path))
                finish(call, request, Status::Ok);
            else
                finish(call, request, Status::Failed,
                       QStringLiteral("Cannot delete the encrypted file"));
            return;
        }
        save(call, request, entries);
        return;
    }
}

void EncryptedFileSecretStore::Private::deriveThenRun(PendingCall *call,
                                                      const std::shared_ptr<Request> &request,
                                                      const QByteArray &salt, ScryptParams params)
{
    if (request->derivations++ >= 2) {
        finish(call, request, Status::Failed,
               QStringLiteral("The encrypted file kept changing while it was being opened"));
        return;
    }
    if (salt.isEmpty()) {
        finish(call, request, Status::Failed, QStringLiteral("No randomness for the salt"));
        return;
    }
    // scrypt takes a noticeable time and memory: never on the caller's thread.
    // The worker only reads the (immutable) passphrase and writes its own result.
    struct Derived
    {
        FormatResult result;
        FileKey key;
        // Stored by the worker after result and key, loaded by the finished()
        // slot before it reads them. Qt orders the two already (finished() is
        // queued after run() returns), but through a mutex inside QtCore that
        // ThreadSanitizer cannot see; this pair is the same order in code it
        // sees (docs/sanitizers.md).
        std::atomic<bool> done {false};
    };
    auto derived = std::make_shared<Derived>();
    QThread *worker = QThread::create([derived, passphrase = passphrase, salt, params] {
        derived->result = Internal::deriveKey(*passphrase, salt, params, &derived->key);
        derived->done.store(true, std::memory_order_release);
    });
    worker->setObjectName(QStringLiteral("securetokens-scrypt"));
    QPointer<PendingCall> guard(call);
    // Queued back into the store's thread; dropped if the store is gone.
    QObject::connect(worker, &QThread::finished, q, [this, derived, guard, request] {
        if (!derived->done.load(std::memory_order_acquire))
            derived->result = {Status::Failed, QStringLiteral("The key derivation did not finish")};
        if (derived->result.ok())
            key = std::make_shared<const FileKey>(std::move(derived->key));
        if (!guard || guard->isFinished())
            return; // timed out meanwhile; the key is cached for the next call
        if (!derived->result.ok())
            finish(guard, request, derived->result.status, derived->result.message);
        else
            lockThenRun(guard, request); // the file may have changed meanwhile
    });
    QObject::connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    worker->start();
}

void EncryptedFileSecretStore::Private::save(PendingCall *call,
                                             const std::shared_ptr<Request> &request,
                                             const Entries &entries)
{
    QByteArray sealed;
    const FormatResult result = Internal::sealFile(*key, entries, &sealed);
    if (!result.ok()) {
        finish(call, request, result.status, result.message);
        return;
    }
    const QDir dir = QFileInfo(path).absoluteDir();
    if (!dir.exists()) {
        if (!QDir().mkpath(dir.absolutePath())) {
            finish(call, request, Status::Failed,
                   QStringLiteral("Cannot create the encrypted file's directory"));
            return;
        }
        QFile::setPermissions(dir.absolutePath(),
                              QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                      | QFileDevice::ExeOwner);
    }
    // Atomic: a temporary file in the same directory, renamed over the old one
    // on commit(), so a crash leaves the old file or the new one, never half.
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly)) {
        finish(call, request, Status::Failed,
               QStringLiteral("Cannot write the encrypted file: %1").arg(out.errorString()));
        return;
    }
    // QSaveFile creates the temporary file 0666 & ~umask (or copies the old
    // file's mode): owner-only before a single byte is written.
    if (!out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        out.cancelWriting();
        finish(call, request, Status::Failed,
               QStringLiteral("Cannot restrict the encrypted file's permissions"));
        return;
    }
    if (out.write(sealed) != sealed.size() || !out.commit()) {
        const QString reason = out.errorString();
        out.cancelWriting();
        finish(call, request, Status::Failed,
               QStringLiteral("Cannot write the encrypted file: %1").arg(reason));
        return;
    }
    finish(call, request, Status::Ok);
}

EncryptedFileSecretStore::EncryptedFileSecretStore(const QString &path,
                                                   std::shared_ptr<const SecretBytes> passphrase,
                                                   QObject *parent)
    : SecretStore(parent), d(std::make_unique<Private>(this, path, std::move(passphrase)))
{ }

EncryptedFileSecretStore::~EncryptedFileSecretStore()
{
    // Calls still waiting or waiting for a key cannot run without the store:
    // complete them now (exactly once, delivered later), and drop the queue
    // before it could start them. The cached key (a SecretBytes) is wiped with d.
    for (const QPointer<PendingCall> &call : std::as_const(d->inFlight)) {
        if (call && !call->isFinished())
            call->finish(Status::Failed,
                         QStringLiteral("The store was destroyed before the call completed"));
    }
    delete d->calls;
}

QString EncryptedFileSecretStore::path() const
{
    return d->path;
}

void EncryptedFileSecretStore::read(const QString &account, QObject *context, ReadCallback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    d->start(call, std::make_shared<Request>(Request {Operation::Read, account, {}}));
}

void EncryptedFileSecretStore::write(const QString &account, const SecretBytes &secret,
                                     QObject *context, Callback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    auto request = std::make_shared<Request>(Request {Operation::Write, account, secret.clone()});
    if (qsizetype(secret.size()) > maxValueSize) {
        d->finish(call, request, Status::TooLarge,
                  QStringLiteral("The value is %1 bytes; the limit is %2")
                          .arg(secret.size())
                          .arg(maxValueSize));
        return;
    }
    d->start(call, std::move(request));
}

void EncryptedFileSecretStore::remove(const QString &account, QObject *context, Callback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    d->start(call, std::make_shared<Request>(Request {Operation::Remove, account, {}}));
}

QString EncryptedFileSecretStore::backendName() const
{
    return QStringLiteral("encrypted-file");
}

} // namespace SecureTokens
