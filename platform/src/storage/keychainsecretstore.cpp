// SPDX-License-Identifier: MIT
#include <securetokens/keychainsecretstore.h>

#include "pendingcall_p.h"
#include "storagelogging_p.h"
#ifdef SECURETOKENS_SECRET_SERVICE
#include "secretservice_p.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusReply>
#endif

#include <qt6keychain/keychain.h>

#include <QRegularExpression>
#include <QtEndian>

#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

namespace SecureTokens {

using Internal::PendingCall;
using Status = SecretStore::Status;

namespace {

#ifdef SECURETOKENS_SECRET_SERVICE
//! No one owns org.freedesktop.secrets on the session bus (only asked on errors).
bool secretServiceMissing()
{
    if (Internal::unixBackendName() != QLatin1String("secret-service"))
        return false;
    QDBusConnectionInterface *bus = QDBusConnection::sessionBus().interface();
    if (!bus)
        return false;
    const QDBusReply<bool> owned
            = bus->isServiceRegistered(QStringLiteral("org.freedesktop.secrets"));
    return owned.isValid() && !owned.value();
}
#endif

/*!
    Every QtKeychain error code, mapped in one place (STYLE.md §5).

    \a message is QtKeychain's errorString(): it never holds the secret, but it
    is the only place some backends say *why* (e.g. a locked collection).
*/
Status mapKeychainError(QKeychain::Error error, const QString &message)
{
    const auto says = [&message](const char *text) {
        return message.contains(QLatin1String(text), Qt::CaseInsensitive);
    };
    switch (error) {
    case QKeychain::NoError:
        return Status::Ok;
    case QKeychain::EntryNotFound:
        return Status::NotFound;
    case QKeychain::CouldNotDeleteEntry:
        return Status::Failed;
    case QKeychain::AccessDeniedByUser:
        return Status::AccessDenied;
    case QKeychain::AccessDenied:
        // libsecret's SECRET_ERROR_IS_LOCKED arrives as AccessDenied; gnome-keyring
        // says "Cannot create an item in a locked collection" (tests/keychain).
        // Apple: errSecInteractionNotAllowed ("User interaction is not allowed",
        // e.g. a locked device) and errSecNotAvailable ("No keychain is
        // available") also arrive as AccessDenied (keychain_apple.mm).
        if (says("locked") || says("interaction is not allowed"))
            return Status::Locked;
        if (says("no keychain is available"))
            return Status::Unavailable;
        return Status::AccessDenied;
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return Status::Unavailable;
    case QKeychain::OtherError:
#ifdef SECURETOKENS_SECRET_SERVICE
        // Without a session bus libsecret fails with a plain GIO error
        // ("Could not connect: ...", "Cannot autolaunch D-Bus ..."), which
        // QtKeychain reports as OtherError. That is "no backend", not a failure.
        if (!Internal::sessionBusConnected())
            return Status::Unavailable;
        // A bus but no Secret Service on it (the keyring daemon has not started
        // yet, or cannot be activated): GDBus says "The name
        // org.freedesktop.secrets was not provided by any .service files".
        // That is "no backend (yet)", and a later call can succeed once the
        // daemon is up (tests/keychain/tst_keychainlatedaemon).
        if (secretServiceMissing())
            return Status::Unavailable;
#endif
        // Windows Credential Manager: "Credential size exceeds maximum size of 2560".
        if (says("exceeds maximum size"))
            return Status::TooLarge;
        return Status::Failed;
    }
    return Status::Failed;
}

/*!
    The QtKeychain key for an account. On Windows QtKeychain uses the key
    alone as the credential's TargetName (keychain_win.cpp), so two services
    with the same account name would share one entry: qualify it there.
    Elsewhere the backend keeps service and key apart itself.
*/
QString storageKey(const QString &service, const QString &account)
{
#if defined(Q_OS_WIN)
    return service + QLatin1Char('/') + account;
#else
    Q_UNUSED(service)
    return account;
#endif
}

QString describeFailure(Status status, const QString &backendMessage)
{
    switch (status) {
    case Status::Unavailable:
        return QStringLiteral("No secure storage backend is available: %1").arg(backendMessage);
    case Status::Locked:
        return QStringLiteral("The keyring is locked: %1").arg(backendMessage);
    default:
        return backendMessage;
    }
}

template<typename JobType> JobType *makeJob(const QString &service, const QString &account)
{
    auto *job = new JobType(service);
    job->setKey(storageKey(service, account));
    // Never let QtKeychain write the secret to a plaintext QSettings file when
    // the real backend is missing (DESIGN.md, security rule 5).
    job->setInsecureFallback(false);
    // The job deletes itself once it has finished. It is never deleted earlier,
    // not even on our timeout: libsecret holds a raw pointer to it until its
    // D-Bus call returns, so an early delete would be a use-after-free.
    job->setAutoDelete(true);
    return job;
}

using ReadStep = std::function<void(Status status, const QString &message, SecretBytes secret)>;
using Step = std::function<void(Status status, const QString &message)>;

void readEntry(const QString &service, const QString &account, PendingCall *call, ReadStep next)
{
    auto *job = makeJob<QKeychain::ReadPasswordJob>(service, account);
    // `call` as the context: if the call already completed (timeout) and is
    // gone, the late answer is dropped here.
    QObject::connect(job, &QKeychain::Job::finished, call, [call, job, next = std::move(next)] {
        if (call->isFinished())
            return;
        const Status status = mapKeychainError(job->error(), job->errorString());
        if (status != Status::Ok) {
            next(status, job->errorString(), {});
            return;
        }
        QByteArray data = job->binaryData();
        next(Status::Ok, {}, SecretBytes::adopt(data));
    });
    job->start();
}

void writeEntry(const QString &service, const QString &account, const SecretBytes &secret,
                PendingCall *call, Step next)
{
    auto *job = makeJob<QKeychain::WritePasswordJob>(service, account);
    // Binary data: no text conversion copies. Our copy shares its buffer with
    // the job's; once the job is gone we hold it alone and can wipe it.
    auto payload = std::make_shared<QByteArray>(secret.toByteArray());
    job->setBinaryData(*payload);
    QObject::connect(job, &QObject::destroyed, [payload] { secureWipe(*payload); });
    QObject::connect(job, &QKeychain::Job::finished, call,
                     [call, next = std::move(next)](QKeychain::Job *finished) {
                         if (call->isFinished())
                             return;
                         next(mapKeychainError(finished->error(), finished->errorString()),
                              finished->errorString());
                     });
    job->start();
}

void removeEntry(const QString &service, const QString &account, PendingCall *call, Step next)
{
    auto *job = makeJob<QKeychain::DeletePasswordJob>(service, account);
    QObject::connect(job, &QKeychain::Job::finished, call,
                     [call, next = std::move(next)](QKeychain::Job *finished) {
                         if (call->isFinished())
                             return;
                         next(mapKeychainError(finished->error(), finished->errorString()),
                              finished->errorString());
                     });
    job->start();
}

/*!
    gnome-keyring answers a lookup in a locked collection with "not found" and
    a delete there with success (the unlock prompt is dismissed, or cannot be
    shown in a headless session). Before reporting such an answer, ask the
    Secret Service whether the collection is locked and report Locked if so.
*/
void checkNotLocked(PendingCall *call, Status status, const QString &message,
                    std::function<void(Status, const QString &)> report)
{
#ifdef SECURETOKENS_SECRET_SERVICE
    if (Internal::unixBackendName() == QLatin1String("secret-service")) {
        Internal::probeDefaultCollectionLocked(
                call, [status, message, report = std::move(report)](bool locked) {
                    if (locked)
                        report(Status::Locked,
                               QStringLiteral("The default keyring collection is locked"));
                    else
                        report(status, message);
                });
        return;
    }
#else
    Q_UNUSED(call)
#endif
    report(status, message);
}

void logResult(const char *operation, Status status)
{
    if (status == Status::Ok || status == Status::NotFound)
        qCDebug(lcKeychain) << "keychain" << operation << "finished:" << status;
    else
        qCWarning(lcKeychain) << "keychain" << operation << "failed:" << status;
}

// ---------------------------------------------------------------------------
// Values split over several entries (size-limited backends).

constexpr std::array<char, 4> chunkMagic = {'S', 'T', 'K', 'C'};
constexpr quint8 chunkVersion = 1;
constexpr int digestSize = 32;
//! magic(4) version(1) entry count(2, BE) total length(4, BE) SHA-256(32)
constexpr qsizetype chunkHeaderSize = 4 + 1 + 2 + 4 + digestSize;
constexpr int maxEntries = 4096;

struct ChunkHeader
{
    int count = 0; //!< entries in all, the head included
    quint32 totalLength = 0;
    QByteArray digest;
};

QByteArray sha256(QByteArrayView bytes)
{
    QByteArray digest(digestSize, Qt::Uninitialized);
    unsigned int length = 0;
    EVP_Digest(bytes.data(), size_t(bytes.size()), reinterpret_cast<unsigned char *>(digest.data()),
               &length, EVP_sha256(), nullptr);
    return digest;
}

bool isChunkHead(QByteArrayView head)
{
    return head.size() >= qsizetype(chunkMagic.size())
            && std::memcmp(head.data(), chunkMagic.data(), chunkMagic.size()) == 0;
}

bool parseChunkHead(QByteArrayView head, ChunkHeader *header)
{
    if (head.size() < chunkHeaderSize || !isChunkHead(head) || quint8(head[4]) != chunkVersion)
        return false;
    const auto *p = reinterpret_cast<const uchar *>(head.data());
    header->count = qFromBigEndian<quint16>(p + 5);
    header->totalLength = qFromBigEndian<quint32>(p + 7);
    header->digest = QByteArray(head.data() + 11, digestSize);
    return header->count >= 1 && header->count <= maxEntries
            && header->totalLength <= quint32(KeychainSecretStore::maxValueSize);
}

QString chunkAccount(const QString &account, int index)
{
    return index == 0 ? account : account + QLatin1Char('#') + QString::number(index);
}

bool isReservedAccount(const QString &account)
{
    static const QRegularExpression chunkName(QStringLiteral("#[0-9]+$"));
    return chunkName.match(account).hasMatch();
}

/*!
    The entries for \a value: itself when it fits in one entry (and cannot be
    mistaken for a chunk head), otherwise a head (header + first slice) and
    chunks of at most \a limit bytes.
*/
std::vector<SecretBytes> splitValue(const SecretBytes &value, qsizetype limit)
{
    std::vector<SecretBytes> entries;
    const QByteArrayView bytes = value.view();
    if (bytes.size() <= limit && !isChunkHead(bytes)) {
        entries.push_back(value.clone());
        return entries;
    }
    const qsizetype headRoom = limit - chunkHeaderSize;
    const qsizetype rest = qMax<qsizetype>(0, bytes.size() - headRoom);
    const int count = 1 + int((rest + limit - 1) / limit);
    QByteArray head(chunkHeaderSize, Qt::Uninitialized);
    std::memcpy(head.data(), chunkMagic.data(), chunkMagic.size());
    head[4] = char(chunkVersion);
    qToBigEndian(quint16(count), head.data() + 5);
    qToBigEndian(quint32(bytes.size()), head.data() + 7);
    std::memcpy(head.data() + 11, sha256(bytes).constData(), digestSize);
    head.append(bytes.first(qMin(headRoom, bytes.size())));
    entries.push_back(SecretBytes::adopt(head));
    for (qsizetype offset = headRoom; offset < bytes.size(); offset += limit)
        entries.emplace_back(bytes.sliced(offset, qMin(limit, bytes.size() - offset)));
    return entries;
}

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

KeychainSecretStore::KeychainSecretStore(QString service, QObject *parent)
    : SecretStore(parent),
      m_service(std::move(service)),
      m_entryLimit(defaultBackendEntryLimit()),
      m_calls(new Internal::CallQueue(this))
{ }

KeychainSecretStore::~KeychainSecretStore() = default;

QString KeychainSecretStore::service() const
{
    return m_service;
}

void KeychainSecretStore::setBackendEntryLimitForTesting(qsizetype limit)
{
    m_entryLimit = qMax<qsizetype>(limit, 64);
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
