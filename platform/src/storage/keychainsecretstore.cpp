// SPDX-License-Identifier: MIT
#include <securetokens/keychainsecretstore.h>

#include "keychainchunkformat_p.h"
#include "keychainentries_p.h"
#include "keychaintesting.h"
#include "pendingcall_p.h"
#include "storagelogging_p.h"
#ifdef SECURETOKENS_SECRET_SERVICE
#include "secretservice_p.h"
#endif

#include <memory>
#include <vector>

namespace SecureTokens {

using namespace Internal;
using Status = SecretStore::Status;

namespace {

//! Reassembles a chunked value; its buffer is wiped when it goes.
struct Assembly
{
    Assembly() = default;
    Assembly(const Assembly &) = delete;
    Assembly &operator=(const Assembly &) = delete;
    Assembly(Assembly &&) = delete;
    Assembly &operator=(Assembly &&) = delete;
    ~Assembly() { secureWipe(buffer); }

    ChunkHeader header;
    QByteArray buffer;
};

void readChunks(const QString &service, const QString &account, PendingCall *call,
                const std::shared_ptr<Assembly> &assembly, int index, ReadStep next)
{
    if (index == assembly->header.count) {
        const bool whole = assembly->buffer.size() == qsizetype(assembly->header.totalLength)
                && sha256(assembly->buffer) == assembly->header.digest;
        if (!whole) {
            next(Status::Failed,
                 QStringLiteral("The stored value is incomplete or inconsistent (an interrupted "
                                "multi-entry write?)"),
                 {});
            return;
        }
        next(Status::Ok, {}, SecretBytes::adopt(assembly->buffer));
        return;
    }
    readEntry(service, chunkAccount(account, index), call,
              [service, account, call, assembly, index,
               next = std::move(next)](Status status, const QString &message, SecretBytes chunk) {
                  if (status == Status::NotFound) {
                      next(Status::Failed,
                           QStringLiteral("Part %1 of %2 of the stored value is missing")
                                   .arg(index + 1)
                                   .arg(assembly->header.count),
                           {});
                      return;
                  }
                  if (status != Status::Ok) {
                      next(status, message, {});
                      return;
                  }
                  if (assembly->buffer.size() + qsizetype(chunk.size())
                      > qsizetype(assembly->header.totalLength)) {
                      next(Status::Failed,
                           QStringLiteral("The stored value is longer than its header says"), {});
                      return;
                  }
                  assembly->buffer.append(chunk.view());
                  readChunks(service, account, call, assembly, index + 1, next);
              });
}

//! Reads a whole value: one entry, or a head and its chunks (verified).
void readValue(const QString &service, const QString &account, PendingCall *call, ReadStep next)
{
    readEntry(service, account, call,
              [service, account, call,
               next = std::move(next)](Status status, const QString &message, SecretBytes head) {
                  if (status != Status::Ok || !isChunkHead(head.view())) {
                      next(status, message, std::move(head));
                      return;
                  }
                  auto assembly = std::make_shared<Assembly>();
                  if (!parseChunkHead(head.view(), &assembly->header)) {
                      next(Status::Failed, QStringLiteral("The stored value's header is corrupted"),
                           {});
                      return;
                  }
                  // Reserved up front: no reallocation leaves unwiped copies behind.
                  assembly->buffer.reserve(qsizetype(assembly->header.totalLength));
                  assembly->buffer.append(head.view().sliced(chunkHeaderSize));
                  readChunks(service, account, call, assembly, 1, next);
              });
}

/*!
    How many entries the value stored under \a account occupies now (0 when
    there is none), so that surplus chunks can be removed. A head that cannot
    be parsed counts as one entry.
*/
void readEntryCount(const QString &service, const QString &account, PendingCall *call,
                    std::function<void(Status, const QString &, int count)> next)
{
    readEntry(service, account, call,
              [next = std::move(next)](Status status, const QString &message, SecretBytes head) {
                  if (status == Status::NotFound) {
                      next(Status::Ok, {}, 0);
                      return;
                  }
                  if (status != Status::Ok) {
                      next(status, message, 0);
                      return;
                  }
                  ChunkHeader header;
                  next(Status::Ok, {}, parseChunkHead(head.view(), &header) ? header.count : 1);
              });
}

//! Writes entries[index], then the ones before it: the head (index 0) last.
void writeEntries(const QString &service, const QString &account, PendingCall *call,
                  const std::shared_ptr<std::vector<SecretBytes>> &entries, int index, Step next)
{
    writeEntry(service, chunkAccount(account, index), (*entries)[size_t(index)], call,
               [service, account, call, entries, index,
                next = std::move(next)](Status status, const QString &message) {
                   if (status != Status::Ok || index == 0) {
                       next(status, message);
                       return;
                   }
                   writeEntries(service, account, call, entries, index - 1, next);
               });
}

//! Removes the chunks account#(to-1) down to account#from; missing ones are fine.
void removeChunks(const QString &service, const QString &account, PendingCall *call, int from,
                  int to, Step next)
{
    if (to <= from) {
        next(Status::Ok, {});
        return;
    }
    removeEntry(service, chunkAccount(account, to - 1), call,
                [service, account, call, from, to, next = std::move(next)](Status status,
                                                                           const QString &message) {
                    if (status != Status::Ok && status != Status::NotFound) {
                        next(status, message);
                        return;
                    }
                    removeChunks(service, account, call, from, to - 1, next);
                });
}

/*!
    Some backends report success for writes they dropped: a write only counts
    once reading it back gives the same bytes (compared in constant time).
*/
void verifyReadBack(const QString &service, const QString &account,
                    const std::shared_ptr<SecretBytes> &expected, PendingCall *call, Step next)
{
    readValue(service, account, call,
              [expected, next = std::move(next)](Status status, const QString &message,
                                                 SecretBytes stored) {
                  QString detail = describeFailure(status, message);
                  if (status == Status::NotFound) {
                      status = Status::Failed;
                      detail = QStringLiteral("The written value was not found when read back");
                  } else if (status == Status::Ok && !stored.equals(*expected)) {
                      status = Status::Failed;
                      detail = QStringLiteral("The value read back differs from the value written");
                  }
                  next(status, status == Status::Ok ? QString() : detail);
              });
}

/*!
    A whole write: learn how many entries the old value used, write the new
    entries (chunks last to first, the head last), read everything back, then
    remove the old value's surplus chunks.
*/
void writeValue(const QString &service, const QString &account,
                const std::shared_ptr<std::vector<SecretBytes>> &entries,
                const std::shared_ptr<SecretBytes> &expected, PendingCall *call, const Step &next)
{
    auto written = [=](int oldCount, Status status, const QString &message) {
        if (status != Status::Ok) {
            next(status, message);
            return;
        }
        verifyReadBack(
                service, account, expected, call, [=](Status status, const QString &message) {
                    if (status != Status::Ok) {
                        next(status, message);
                        return;
                    }
                    const int newCount = int(entries->size());
                    removeChunks(service, account, call, newCount, oldCount,
                                 [next](Status status, const QString &) {
                                     // Stored and verified; leftovers of the
                                     // old value only deserve a warning.
                                     if (status != Status::Ok)
                                         qCWarning(lcKeychain)
                                                 << "keychain write: stale chunks left:" << status;
                                     next(Status::Ok, {});
                                 });
                });
    };
    readEntryCount(service, account, call,
                   [=](Status status, const QString &message, int oldCount) {
                       if (status != Status::Ok) {
                           next(status, message);
                           return;
                       }
                       writeEntries(service, account, call, entries, int(entries->size()) - 1,
                                    [=](Status status, const QString &message) {
                                        written(oldCount, status, message);
                                    });
                   });
}

void finishReserved(PendingCall *call, const char *operation)
{
    logResult(operation, Status::Failed);
    call->finish(Status::Failed,
                 QStringLiteral("Account names ending in '#' and digits are reserved"));
}

} // namespace

namespace {
// Only ever set by tests (keychaintesting.h).
qsizetype &entryLimitForTesting()
{
    static qsizetype limit = 0;
    return limit;
}

// KWallet asks for the wallet's password when QtKeychain opens a closed
// wallet, and the job waits for the user. Asked first (the same bus
// connection, so kwalletd answers before it sees QtKeychain's open): if the
// wallet is closed, a call that times out says Locked, with why, instead of
// a bare Timeout. The dialog itself is left to kwalletd: a user at the desk
// can still type the password and the call then succeeds.
// The same for a Secret Service whose default collection is locked and that
// answers libsecret's Unlock with a dialog nobody answers (KeePassXC, or
// gnome-keyring with a display; tests/keychain tst_keychainkeepassxc).
void noteLockedStore(PendingCall *call)
{
#ifdef SECURETOKENS_SECRET_SERVICE
    if (Internal::unixBackendName() != QLatin1String("kwallet")) {
        Internal::probeDefaultCollectionLocked(call, [call](bool locked) {
            if (locked) {
                call->setTimeoutResult(
                        Status::Locked,
                        QStringLiteral("The default keyring collection is locked and asked to be "
                                       "unlocked; no one answered within the storage timeout"));
            }
        });
        return;
    }
    Internal::probeKWalletClosed(call, [call](bool closed) {
        if (closed) {
            call->setTimeoutResult(
                    Status::Locked,
                    QStringLiteral("KWallet's wallet is closed and asked for its password; no "
                                   "one answered within the storage timeout"));
        }
    });
#else
    Q_UNUSED(call);
#endif
}
} // namespace

void Internal::setKeychainEntryLimitForTesting(qsizetype limit)
{
    entryLimitForTesting() = limit > 0 ? qMax<qsizetype>(limit, 64) : 0;
}

qsizetype KeychainSecretStore::defaultBackendEntryLimit()
{
#if defined(Q_OS_WIN)
    return 5 * 512; // CRED_MAX_CREDENTIAL_BLOB_SIZE (wincred.h)
#elif defined(Q_OS_ANDROID)
    return 2048 / 8 - 11; // one RSA-2048 block with PKCS#1 v1.5 padding (unverified)
#else
    return maxValueSize;
#endif
}

std::chrono::milliseconds KeychainSecretStore::defaultTimeout()
{
    using namespace std::chrono_literals;
#if defined(Q_OS_WIN) || defined(Q_OS_ANDROID)
    return 60s;
#elif defined(Q_OS_DARWIN)
    return 20s;
#else
    return 10s;
#endif
}

KeychainSecretStore::KeychainSecretStore(QString service, QObject *parent)
    : SecretStore(parent),
      m_service(std::move(service)),
      m_entryLimit(entryLimitForTesting() > 0 ? entryLimitForTesting()
                                              : defaultBackendEntryLimit()),
      m_calls(new Internal::CallQueue(this))
{
    setTimeout(defaultTimeout());
}

KeychainSecretStore::~KeychainSecretStore() = default;

QString KeychainSecretStore::service() const
{
    return m_service;
}

void KeychainSecretStore::read(const QString &account, QObject *context, ReadCallback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    if (isReservedAccount(account)) {
        finishReserved(call, "read");
        return;
    }
    m_calls->enqueue(call, [call, service = m_service, account] {
        qCDebug(lcKeychain) << "keychain read started";
        noteLockedStore(call);
        readValue(service, account, call,
                  [call](Status status, const QString &message, SecretBytes secret) {
                      auto report = [call](Status status, const QString &message) {
                          logResult("read", status);
                          call->finish(status, describeFailure(status, message));
                      };
                      if (status == Status::NotFound) {
                          checkNotLocked(call, status, message, report);
                          return;
                      }
                      if (status != Status::Ok) {
                          report(status, message);
                          return;
                      }
                      logResult("read", status);
                      call->finish(Status::Ok, {}, std::move(secret));
                  });
    });
}

void KeychainSecretStore::write(const QString &account, const SecretBytes &secret, QObject *context,
                                Callback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    if (isReservedAccount(account)) {
        finishReserved(call, "write");
        return;
    }
    if (qsizetype(secret.size()) > maxValueSize) {
        logResult("write", Status::TooLarge);
        call->finish(Status::TooLarge,
                     QStringLiteral("The value is %1 bytes; the limit is %2")
                             .arg(secret.size())
                             .arg(maxValueSize));
        return;
    }
    // Kept for the write and the read-back comparison; wiped when the lambdas go.
    auto expected = std::make_shared<SecretBytes>(secret.clone());
    auto entries = std::make_shared<std::vector<SecretBytes>>(splitValue(secret, m_entryLimit));
    m_calls->enqueue(call, [call, service = m_service, account, expected, entries] {
        qCDebug(lcKeychain) << "keychain write started, entries:" << entries->size();
        noteLockedStore(call);
        writeValue(service, account, entries, expected, call,
                   [call](Status status, const QString &message) {
                       logResult("write", status);
                       call->finish(status,
                                    status == Status::Ok ? QString()
                                                         : describeFailure(status, message));
                   });
    });
}

void KeychainSecretStore::remove(const QString &account, QObject *context, Callback done)
{
    auto *call = PendingCall::create(context, timeout(), std::move(done));
    if (isReservedAccount(account)) {
        finishReserved(call, "remove");
        return;
    }
    m_calls->enqueue(call, [call, service = m_service, account] {
        qCDebug(lcKeychain) << "keychain remove started";
        noteLockedStore(call);
        auto report = [call](Status status, const QString &message) {
            logResult("remove", status);
            call->finish(status, describeFailure(status, message));
        };
        readEntryCount(service, account, call,
                       [=](Status status, const QString &message, int count) {
                           if (status != Status::Ok) {
                               report(status, message);
                               return;
                           }
                           // Chunks first, the head last: an interrupted remove leaves a head
                           // whose chunks are missing (a read says Failed) and the next remove
                           // still finds them all; never orphaned chunks nobody knows about.
                           removeChunks(service, account, call, 1, count,
                                        [=](Status status, const QString &message) {
                                            if (status != Status::Ok) {
                                                report(status, message);
                                                return;
                                            }
                                            removeEntry(service, account, call,
                                                        [=](Status status, const QString &message) {
                                                            // Removing a missing entry is Ok
                                                            // (secretstore.h).
                                                            if (status == Status::NotFound)
                                                                status = Status::Ok;
                                                            if (status == Status::Ok)
                                                                checkNotLocked(call, status,
                                                                               message, report);
                                                            else
                                                                report(status, message);
                                                        });
                                        });
                       });
    });
}

QString KeychainSecretStore::backendName() const
{
#if defined(Q_OS_ANDROID)
    return QStringLiteral("keystore");
#elif defined(Q_OS_DARWIN)
    return QStringLiteral("keychain");
#elif defined(Q_OS_WIN)
    return QStringLiteral("credential-manager");
#elif defined(SECURETOKENS_SECRET_SERVICE)
    return Internal::unixBackendName();
#else
    return QStringLiteral("secret-service");
#endif
}

} // namespace SecureTokens
