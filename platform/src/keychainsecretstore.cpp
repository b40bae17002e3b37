// SPDX-License-Identifier: MIT
#include <securetokens/keychainsecretstore.h>

#include "pendingcall_p.h"
#include "storagelogging_p.h"
#ifdef SECURETOKENS_SECRET_SERVICE
#include "secretservice_p.h"
#endif

#include <qt6keychain/keychain.h>

#include <memory>

namespace SecureTokens {

using Internal::CallQueue;
using Internal::PendingCall;
using Status = SecretStore::Status;

namespace {

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
#endif
        // Windows Credential Manager: "Credential size exceeds maximum size of 2560".
        if (says("exceeds maximum size"))
            return Status::TooLarge;
        return Status::Failed;
    }
    return Status::Failed;
}

/*!
    The largest value the backend holds. Windows Credential Manager refuses
    blobs over CRED_MAX_CREDENTIAL_BLOB_SIZE (5 * 512 bytes, wincred.h), and
    QtKeychain 0.13 does not split them, so say TooLarge up front there.
*/
constexpr qsizetype backendValueLimit()
{
#if defined(Q_OS_WIN)
    return qMin<qsizetype>(KeychainSecretStore::maxValueSize, 5 * 512);
#else
    return KeychainSecretStore::maxValueSize;
#endif
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
    QObject::connect(job, &QKeychain::Job::finished, call,
                     [call, next = std::move(next)](QKeychain::Job *finished) {
                         if (call->isFinished())
                             return;
                         auto *readJob = static_cast<QKeychain::ReadPasswordJob *>(finished);
                         const Status status
                                 = mapKeychainError(readJob->error(), readJob->errorString());
                         if (status != Status::Ok) {
                             next(status, readJob->errorString(), {});
                             return;
                         }
                         QByteArray data = readJob->binaryData();
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

/*!
    Some backends report success for writes they dropped: a write only counts
    once reading it back gives the same bytes (compared in constant time).
*/
void verifyReadBack(const QString &service, const QString &account,
                    std::shared_ptr<SecretBytes> expected, PendingCall *call)
{
    readEntry(service, account, call,
              [call, expected](Status status, const QString &message, SecretBytes stored) {
                  QString detail = describeFailure(status, message);
                  if (status == Status::NotFound) {
                      status = Status::Failed;
                      detail = QStringLiteral("The written value was not found when read back");
                  } else if (status == Status::Ok && !stored.equals(*expected)) {
                      status = Status::Failed;
                      detail = QStringLiteral("The value read back differs from the value written");
                  }
                  logResult("write", status);
                  call->finish(status, status == Status::Ok ? QString() : detail);
              });
}

} // namespace

KeychainSecretStore::KeychainSecretStore(const QString &service, QObject *parent)
    : SecretStore(parent), m_service(service), m_calls(new Internal::CallQueue(this))
{ }

KeychainSecretStore::~KeychainSecretStore() = default;

QString KeychainSecretStore::service() const
{
    return m_service;
}

void KeychainSecretStore::read(const QString &account, QObject *context, ReadCallback done)
{
    auto *call = new PendingCall(context, timeout(), std::move(done));
    m_calls->enqueue(call, [call, service = m_service, account] {
        qCDebug(lcKeychain) << "keychain read started";
        readEntry(service, account, call,
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
    auto *call = new PendingCall(context, timeout(), std::move(done));
    if (qsizetype(secret.size()) > backendValueLimit()) {
        logResult("write", Status::TooLarge);
        call->finish(Status::TooLarge,
                     QStringLiteral("The value is %1 bytes; the limit is %2")
                             .arg(secret.size())
                             .arg(backendValueLimit()));
        return;
    }
    // Kept for the write and the read-back comparison; wiped when the lambdas go.
    auto expected = std::make_shared<SecretBytes>(secret.clone());
    m_calls->enqueue(call, [call, service = m_service, account, expected] {
        qCDebug(lcKeychain) << "keychain write started";
        writeEntry(service, account, *expected, call,
                   [call, service, account, expected](Status status, const QString &message) {
                       if (status != Status::Ok) {
                           logResult("write", status);
                           call->finish(status, describeFailure(status, message));
                           return;
                       }
                       verifyReadBack(service, account, expected, call);
                   });
    });
}

void KeychainSecretStore::remove(const QString &account, QObject *context, Callback done)
{
    auto *call = new PendingCall(context, timeout(), std::move(done));
    m_calls->enqueue(call, [call, service = m_service, account] {
        qCDebug(lcKeychain) << "keychain remove started";
        removeEntry(service, account, call, [call](Status status, const QString &message) {
            auto report = [call](Status status, const QString &message) {
                logResult("remove", status);
                call->finish(status, describeFailure(status, message));
            };
            // Removing a missing entry is Ok (secretstore.h).
            if (status == Status::NotFound)
                status = Status::Ok;
            if (status == Status::Ok)
                checkNotLocked(call, status, message, report);
            else
                report(status, message);
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
