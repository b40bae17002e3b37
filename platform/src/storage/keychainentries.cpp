// SPDX-License-Identifier: MIT
#include "keychainentries_p.h"

#include "core/wipedbuffers.h"
#include "keychainentryname.h"
#include "pendingcall_p.h"
#include "storagelogging_p.h"
#ifdef SECURETOKENS_SECRET_SERVICE
#include "secretservice_p.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusReply>
#endif

#include <qt6keychain/keychain.h>

#include <memory>

namespace SecureTokens::Internal {

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
    Every QtKeychain error code, mapped in one place (docs/conventions.md §5).

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
    with the same account name would share one entry: qualify it there
    (flatEntryName()). Elsewhere the backend keeps service and key apart itself.
*/
QString storageKey(const QString &service, const QString &account)
{
#if defined(Q_OS_WIN)
    return flatEntryName(service, account);
#else
    Q_UNUSED(service)
    return account;
#endif
}

template<typename JobType> JobType *makeJob(const QString &service, const QString &account)
{
    auto *job = new JobType(service);
    job->setKey(storageKey(service, account));
    // Never let QtKeychain write the secret to a plaintext QSettings file when
    // the real backend is missing (docs/security-model.md, rule 5).
    job->setInsecureFallback(false);
    // The job deletes itself once it has finished. It is never deleted earlier,
    // not even on our timeout: libsecret holds a raw pointer to it until its
    // D-Bus call returns, so an early delete would be a use-after-free.
    job->setAutoDelete(true);
    return job;
}

} // namespace

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
        // binaryData() shares the job's own buffer, which QtKeychain would
        // free unwiped: copy it out, then wipe that one buffer in place (the
        // job has finished with it).
        QByteArray data = job->binaryData();
        SecretBytes secret(data);
        wipeShared(data);
        next(Status::Ok, {}, std::move(secret));
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

} // namespace SecureTokens::Internal
