// SPDX-License-Identifier: MIT
#include "session_p.h"

#include "accountindexstore_p.h"
#include "backendmarker_p.h"
#include "dpopkeystore_p.h"
#include "dpopproof_p.h"

#include "core/invokelater.h"
#include "core/logging.h"
#include "storage/crossprocesslock.h"
#include "storage/unavailablesecretstore.h"

#include <securetokens/encryptedfilesecretstore.h>
#include <securetokens/keychainsecretstore.h>
#include <securetokens/memorysecretstore.h>

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>

#include <algorithm>
#include <utility>

namespace SecureTokens {

std::shared_ptr<SecretStore> makeSecretStore(const SessionConfig &config)
{
    if (isReservedAccountName(config.account))
        return std::make_shared<Internal::UnavailableSecretStore>(
                QStringLiteral("reserved"),
                QStringLiteral("the account name \"%1\" is reserved for the account list")
                        .arg(config.account));
    if (config.secretStore)
        return config.secretStore;
    switch (config.storagePolicy) {
    case StoragePolicy::SessionOnly:
        return std::make_shared<MemorySecretStore>();
    case StoragePolicy::EncryptedFile: {
        if (!config.encryptedFilePath.isEmpty() && config.encryptedFilePassphrase
            && !config.encryptedFilePassphrase->isEmpty())
            return std::make_shared<EncryptedFileSecretStore>(config.encryptedFilePath,
                                                              config.encryptedFilePassphrase);
        // Without a path or a passphrase this policy has no backend: report
        // Unavailable rather than silently choosing another place.
        return std::make_shared<Internal::UnavailableSecretStore>(
                QStringLiteral("encrypted-file"),
                QStringLiteral("StoragePolicy::EncryptedFile needs encryptedFilePath and "
                               "encryptedFilePassphrase"));
    }
    case StoragePolicy::Required:
        break;
    }
    return std::make_shared<KeychainSecretStore>(config.effectiveStorageService());
}

/*!
    What the refresh lock is keyed by, with the account: where the stored
    token lives. For the keychain that is the storage service; an encrypted
    file keys its entries by account alone, so every configuration that uses
    the file (whatever its storage service) refreshes under one lock per file
    and account (security review, finding 5).
*/
QString refreshLockNamespace(const SessionConfig &config)
{
    if (!config.secretStore && config.storagePolicy == StoragePolicy::EncryptedFile
        && !config.encryptedFilePath.isEmpty())
        return QStringLiteral("encrypted-file:")
                + QFileInfo(config.encryptedFilePath).absoluteFilePath();
    return config.effectiveStorageService();
}

ErrorInfo SessionPrivate::storageError(const SecretStore::Result &result, const QString &what)
{
    ErrorInfo error = ErrorInfo::make(SecretStore::toError(result.status), what);
    if (!result.message.isEmpty())
        error.message += QStringLiteral(" (") + result.message + QLatin1Char(')');
    return error;
}

SignInHost::Extension::~Extension() = default;

SessionPrivate::SessionPrivate(Session *q, const SessionConfig &config,
                               RefreshTransportFactory transports)
    : q_ptr(q),
      m_config(config),
      m_store(makeSecretStore(config)),
      m_nam(new QNetworkAccessManager(q)),
      m_client(m_nam, &m_config),
      m_transport(transports(m_nam, &m_client, &m_config))
{
    m_apiResources = resolveApiResources(m_config.apiResources);
    m_resourceTokens.resize(std::size_t(m_apiResources.slots.size()));
    mergeIntoAuthorizationRequest(m_apiResources, &m_config);
    if (!m_apiResources.isEmpty() && !m_config.resources.isEmpty())
        m_ownResource.resource = m_config.resources.constFirst();
    m_lock = std::make_unique<CrossProcessLock>(refreshLockNamespace(m_config), m_config.account);
    setUpTimers(); // sessionlifecycle.cpp
    followNetworkInformation();
}

SessionPrivate::~SessionPrivate() = default; // m_lock's destructor releases the lock

void SessionPrivate::setState(Session::State state)
{
    Q_Q(Session);
    if (m_state == state)
        return;
    qCDebug(lcSession) << "state" << m_state << "->" << state;
    m_state = state;
    Q_EMIT q->stateChanged(state);
}

void SessionPrivate::setOffline(bool offline)
{
    Q_Q(Session);
    if (m_offline == offline)
        return;
    m_offline = offline;
    Q_EMIT q->offlineChanged(offline);
}

SessionOperation SessionPrivate::currentOperation() const
{
    if (m_signingOut)
        return SessionOperation::SignOut;
    if (m_restoring || m_state == Session::State::Restoring)
        return SessionOperation::Restore;
    switch (m_state) {
    case Session::State::SigningIn:
        return SessionOperation::SignIn;
    case Session::State::Refreshing:
        return m_refreshFor;
    default:
        return m_refreshInFlight ? m_refreshFor : SessionOperation::None;
    }
}

void SessionPrivate::emitError(const ErrorInfo &error, SessionOperation operation)
{
    Q_Q(Session);
    ErrorInfo reported = error;
    if (reported.operation == SessionOperation::None)
        reported.operation = operation != SessionOperation::None ? operation : currentOperation();
    // Said after the fact: what is held now is what survived the failure.
    reported.sessionKept = !m_record.refreshToken.isEmpty() || !m_accessToken.isEmpty();
    qCInfo(lcSession) << "error" << reported << reported.operation;
    m_lastError = reported;
    Q_EMIT q->errorOccurred(reported);
}

void SessionPrivate::emitErrorLater(const ErrorInfo &error, SessionOperation operation)
{
    Q_Q(Session);
    const SessionOperation now
            = operation != SessionOperation::None ? operation : currentOperation();
    // Start-like calls never complete inside themselves (docs/conventions.md §4).
    invokeLater(q, [this, error, now] { emitError(error, now); });
}

void SessionPrivate::abortInFlight()
{
    ++m_epoch;
    m_signingOut = false;
    if (m_inFlightReply) {
        QNetworkReply *reply = m_inFlightReply;
        m_inFlightReply = nullptr;
        reply->abort();
    }
    m_refreshInFlight = false;
    m_refreshTarget = -1;
    m_restoring = false;
    m_reauthenticating = false;
    if (QNetworkReply *reply = std::exchange(m_reauthReply, nullptr))
        reply->abort();
    m_lock->release();
    if (std::exchange(m_userInfoInFlight, false)) {
        // Its answer would belong to a session that is gone: never applied.
        m_userInfoReportsError = false;
        Session *q = q_ptr;
        invokeLater(q, [q] {
            Q_EMIT q->userInfoFailed(
                    ErrorInfo::make(Error::Cancelled,
                                    QStringLiteral("The session ended before userinfo answered.")));
        });
    }
}

void SessionPrivate::abandonSignIn()
{
    abortInFlight();
}

void SessionPrivate::wipeTokens()
{
    Q_Q(Session);
    m_proactiveTimer.stop();
    resetBackoff();
    const bool hadAccessToken = !m_accessToken.isEmpty();
    m_accessToken.clear();
    m_accessTokenDpop = false;
    m_accessTokenAth.clear();
    m_storeBehind = false;
    m_accessDeadline = QDeadlineTimer(QDeadlineTimer::Forever);
    m_accessExpiresAt = QDateTime();
    ++m_generation;
    wipeResourceTokens();
    if (hadAccessToken)
        Q_EMIT q->accessTokenChanged();
    adoptRecord({}); // wipes the record's secrets, forgets identity and scope
}

void SessionPrivate::adoptRecord(AccountRecord record)
{
    Q_Q(Session);
    m_record = std::move(record);
    if (!m_record.clientSecret.isEmpty())
        m_client.setStoredClientSecret(m_record.clientSecret.clone());
    adoptDpopKey();
    QVariantMap claims;
    if (!m_record.claimsJson.isEmpty())
        claims = QJsonDocument::fromJson(m_record.claimsJson).object().toVariantMap();
    // Identity comes from verified claims only (finding 9): never from the
    // access token's payload, which nobody checked.
    const QString subject = claims.value(QStringLiteral("sub")).toString();
    if (claims != m_idTokenClaims || subject != m_subject) {
        m_idTokenClaims = claims;
        m_subject = subject;
        Q_EMIT q->userChanged();
    }
    const QStringList scopes = m_record.scope.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (scopes != m_grantedScopes) {
        m_grantedScopes = scopes;
        Q_EMIT q->grantedScopesChanged();
    }
    listAccount(indexEntryOf(m_config.account, m_record), {}); // e.g. an older release's
}

void SessionPrivate::adoptDpopKey()
{
    // The key travels with the refresh token it is bound to (RFC 9449 §5):
    // the record's key, or none. A sign-in under way keeps the one it made.
    if (m_state == Session::State::SigningIn && m_record.refreshToken.isEmpty())
        return;
    const auto &current = m_client.dpopKey();
    if (current && Internal::isRecordDpopKey(*current, m_record))
        return;
    ErrorInfo error; // checkDpopKey() reported it when the record was read
    m_client.setDpopKey(Internal::loadDpopKey(m_record, m_config, &error));
}

ErrorInfo SessionPrivate::checkDpopKey(const AccountRecord &record) const
{
    ErrorInfo error;
    if (Internal::loadDpopKey(record, m_config, &error) || error.isError())
        return error;
    if (m_config.dpop == DpopMode::Required && !record.refreshToken.isEmpty())
        return ErrorInfo::make(Error::DPoPKeyMissing,
                               QStringLiteral("DPoP is required, and the stored session has no "
                                              "DPoP key; the session ends."));
    return {};
}

void SessionPrivate::writeRecord(AccountRecord *record,
                                 const std::function<void(const SecretStore::Result &)> &done)
{
    Q_Q(Session);
    record->backend = m_store->backendName();
    record->updatedAt = QDateTime::currentSecsSinceEpoch();
    const SecretBytes encoded = encodeAccountRecord(*record);
    // Where the record went is noted outside the backend once it is there
    // (backendmarker_p.h), so a start under another backend can say so.
    const auto listed = listAfterWrite(*record, done);
    m_store->write(m_config.account, encoded, q, [this, listed](const SecretStore::Result &result) {
        if (result.ok())
            Internal::writeBackendMarker(refreshLockNamespace(m_config), m_config.account,
                                         m_store->backendName());
        listed(result);
    });
}

void SessionPrivate::installAccessToken(TokenResponse &response)
{
    Q_Q(Session);
    m_accessToken = std::move(response.accessToken);
    m_accessTokenDpop = response.dpopBound;
    m_accessTokenAth = response.dpopBound ? Internal::dpopAccessTokenHash(m_accessToken.view())
                                          : QByteArray();
    ++m_generation;
    const qint64 lifetime = response.expiresIn;
    if (lifetime > 0) {
        // Expiry comes from expires_in, counted from when the answer arrived on
        // this machine's monotonic clock, so client/server clock skew does not
        // matter (the JWT's exp is never used).
        m_accessDeadline = QDeadlineTimer(lifetime * 1000, Qt::PreciseTimer);
        m_accessExpiresAt = QDateTime::currentDateTimeUtc().addSecs(lifetime);
    } else {
        m_accessDeadline = QDeadlineTimer(QDeadlineTimer::Forever);
        m_accessExpiresAt = QDateTime();
    }
    scheduleProactiveRefresh(lifetime);
    Q_EMIT q->accessTokenChanged();
}

void SessionPrivate::scheduleProactiveRefresh(qint64 lifetimeSeconds)
{
    m_proactiveTimer.stop();
    noteProactiveDue(-1);
    if (lifetimeSeconds <= 0)
        return;
    const qint64 lifetimeMs = lifetimeSeconds * 1000;
    const qint64 leadMs = refreshLeadMs(lifetimeMs);
    // A token is not sent in its last second, unless the lead is shorter: a
    // short lead chosen to save renewals would otherwise be overruled by a
    // 1 s renewal on the request path.
    m_sendMarginMs = std::min<qint64>(1000, leadMs);
    // With per-API tokens nothing sends this one by itself: it is renewed
    // when asked for (refresh(), a 401 at UserInfo), not on a timer.
    if (!m_resourceTokens.empty())
        return;
    m_proactiveTimer.start(std::chrono::milliseconds(lifetimeMs - leadMs));
    noteProactiveDue(lifetimeMs - leadMs);
}

qint64 SessionPrivate::refreshLeadMs(qint64 lifetimeMs) const
{
    const qint64 leadMs = m_config.refreshLeadTime.count() > 0
            ? qint64(m_config.refreshLeadTime.count())
            : std::clamp<qint64>(lifetimeMs / 4, 5000, 300000);
    // Never refresh more often than every half lifetime.
    return std::min(leadMs, lifetimeMs / 2);
}

bool SessionPrivate::beginSignIn(const ErrorInfo &configError)
{
    if (m_state != Session::State::SignedOut
        && m_state != Session::State::ReauthenticationRequired) {
        emitErrorLater(ErrorInfo::make(Error::OperationInProgress,
                                       QStringLiteral("Sign out before signing in again.")),
                       SessionOperation::SignIn);
        return false;
    }
    if (configError.isError()) {
        emitErrorLater(configError, SessionOperation::SignIn);
        return false;
    }
    setState(Session::State::SigningIn);
    m_refreshInFlight = true;
    m_client.beginSignInDpop();
    return true;
}

void SessionPrivate::finishSignIn(quint64 epoch, const ErrorInfo &error, TokenResponse response,
                                  const QVariantMap &idTokenClaims)
{
    Q_Q(Session);
    if (epoch != m_epoch)
        return;
    if (m_reauthenticating) {
        finishReauthentication(error, std::move(response), idTokenClaims);
        return;
    }
    m_inFlightReply = nullptr;
    if (error.isError()) {
        m_refreshInFlight = false;
        m_client.setDpopKey(nullptr); // the failed sign-in's key binds nothing
        emitError(error);
        setState(Session::State::SignedOut);
        releaseWaiters(error);
        return;
    }
    // The record of this sign-in: bound to this configuration, with the
    // verified identity and the granted scope (RFC 6749 §3.3: an answer
    // without "scope" granted the scope requested).
    auto pending = std::make_shared<std::pair<AccountRecord, TokenResponse>>();
    AccountRecord &record = pending->first;
    bindAccountRecord(&record, m_config);
    // The client secret goes with the refresh token it obtained, so that a
    // restore in a later process needs it no more.
    if (const SecretBytes *secret = m_client.clientSecret())
        record.clientSecret = secret->clone();
    record.refreshToken = std::move(response.refreshToken);
    // The DPoP key is stored with the refresh token bound to it, in one
    // record: written before either is used (RFC 9449 §5).
    if (const auto &key = m_client.dpopKey())
        Internal::storeDpopKey(*key, &record);
    record.idToken = std::move(response.idToken);
    if (!idTokenClaims.isEmpty())
        record.claimsJson = QJsonDocument(QJsonObject::fromVariantMap(idTokenClaims))
                                    .toJson(QJsonDocument::Compact);
    record.scope
            = response.scope.isEmpty() ? m_config.scopes.join(QLatin1Char(' ')) : response.scope;
    pending->second = std::move(response);

    if (record.refreshToken.isEmpty()) {
        // No refresh token: a session that lasts as long as this access token.
        // What an earlier sign-in stored for the account goes, so nothing of
        // it can be sent anywhere later.
        qCInfo(lcSession) << "signed in without a refresh token";
        removeStoredRecord([this, epoch, pending](const SecretStore::Result &result) {
            if (epoch != m_epoch)
                return;
            m_refreshInFlight = false;
            adoptRecord(std::move(pending->first));
            installAccessToken(pending->second);
            setState(Session::State::SignedIn);
            if (!result.ok())
                emitError(storageError(result,
                                       QStringLiteral("An earlier stored session "
                                                      "could not be removed.")));
            releaseWaiters({});
            fetchUserInfoAfterSignIn();
        });
        return;
    }
    // Store before use: the session only exists once the record is safe.
    replaceRecord(&record, epoch, [this, epoch, pending](const SecretStore::Result &result) {
        Q_Q(Session);
        if (epoch != m_epoch)
            return;
        m_refreshInFlight = false;
        if (!result.ok() && m_config.storageFallback == StoragePolicy::SessionOnly) {
            keepSignInInMemory(epoch, pending, result);
            return;
        }
        if (!result.ok()) {
            const ErrorInfo failure = storageError(
                    result, QStringLiteral("The sign-in could not be stored securely."));
            // Do not leave a live refresh token behind on the server.
            if (m_transport->canRevoke())
                m_transport->revoke(pending->first.refreshToken, q, [](const ErrorInfo &) {});
            emitError(failure);
            setState(Session::State::SignedOut);
            releaseWaiters(failure);
            return;
        }
        adoptRecord(std::move(pending->first));
        m_storeBehind = false;
        setOffline(false);
        installAccessToken(pending->second);
        setState(Session::State::SignedIn);
        releaseWaiters({});
        fetchUserInfoAfterSignIn();
    });
}

void SessionPrivate::keepSignInInMemory(
        quint64 epoch, const std::shared_ptr<std::pair<AccountRecord, TokenResponse>> &pending,
        const SecretStore::Result &failed)
{
    // The application asked for it (SessionConfig::storageFallback): the
    // session lives in this process's memory from now on, refreshes and
    // rotations included, and nothing is written to the store that failed.
    qCWarning(lcStorage) << "secure storage failed at sign-in; keeping the session in memory";
    m_store = std::make_shared<MemorySecretStore>();
    writeRecord(&pending->first, [this, epoch, pending, failed](const SecretStore::Result &) {
        if (epoch != m_epoch)
            return;
        m_refreshInFlight = false;
        adoptRecord(std::move(pending->first));
        m_storeBehind = false;
        setOffline(false);
        installAccessToken(pending->second);
        ErrorInfo kept = storageError(failed,
                                      QStringLiteral("The sign-in could not be stored securely; "
                                                     "it is kept in memory for this process."));
        emitError(kept, SessionOperation::SignIn);
        setState(Session::State::SignedIn);
        releaseWaiters({});
        fetchUserInfoAfterSignIn();
    });
}

void SessionPrivate::fetchUserInfoAfterSignIn()
{
    // OpenID Connect Core §5.3: the provider's own account of the user, when
    // it has a UserInfo endpoint and the sign-in verified an ID token. Its
    // failure never undoes the sign-in (userInfoFailed() tells).
    if (!m_config.userinfoEndpoint.isEmpty() && !m_subject.isEmpty())
        startUserInfo(false);
}

// --- Session -----------------------------------------------------------------

Session::~Session()
{
    Q_D(Session);
    d->abortInFlight();
    d->releaseWaiters(
            ErrorInfo::make(Error::Cancelled, QStringLiteral("The session was destroyed.")));
    // Replies die before the private data they call back into.
    delete d->m_nam;
    d->m_nam = nullptr;
}

const SessionConfig &Session::config() const
{
    Q_D(const Session);
    return d->m_config;
}

Session::State Session::state() const
{
    Q_D(const Session);
    return d->m_state;
}

bool Session::isSignedIn() const
{
    Q_D(const Session);
    return d->m_state == State::SignedIn || d->m_state == State::Refreshing;
}

bool Session::isRefreshing() const
{
    Q_D(const Session);
    return d->m_state == State::Refreshing || d->m_state == State::Restoring;
}

bool Session::isOffline() const
{
    Q_D(const Session);
    return d->m_offline;
}

QString Session::subject() const
{
    Q_D(const Session);
    return d->m_subject;
}

QDateTime Session::accessTokenExpiresAt() const
{
    Q_D(const Session);
    return d->m_accessExpiresAt;
}

QString Session::accessTokenFingerprint() const
{
    Q_D(const Session);
    return d->m_accessToken.fingerprint();
}

QString Session::dpopThumbprint() const
{
    Q_D(const Session);
    const auto &key = d->m_client.dpopKey();
    return key ? QString::fromLatin1(key->thumbprint()) : QString();
}

bool Session::isRefreshable() const
{
    Q_D(const Session);
    return isSignedIn() && !d->m_record.refreshToken.isEmpty();
}

int Session::refreshCount() const
{
    Q_D(const Session);
    return d->m_refreshCount;
}

QString Session::storageBackend() const
{
    Q_D(const Session);
    return d->m_store->backendName();
}

QVariantMap Session::idTokenClaims() const
{
    Q_D(const Session);
    // Claims belong to the current sign-in: none once it has ended.
    if (d->m_state == State::SignedOut || d->m_state == State::ReauthenticationRequired)
        return {};
    return d->m_idTokenClaims;
}

QStringList Session::grantedScopes() const
{
    Q_D(const Session);
    return d->m_grantedScopes;
}

ErrorInfo Session::lastError() const
{
    Q_D(const Session);
    return d->m_lastError;
}

SecretBytes Session::accessTokenForExternalUse() const
{
    Q_D(const Session);
    if (!d->hasUsableAccessToken())
        return {};
    return d->m_accessToken.clone();
}

QNetworkAccessManager *Session::authorizationNetworkAccessManager() const
{
    Q_D(const Session);
    return d->m_nam;
}

void Session::restore()
{
    Q_D(Session);
    d->startRestore();
}

void Session::refresh()
{
    Q_D(Session);
    if (!isSignedIn()) {
        d->emitErrorLater(ErrorInfo::make(Error::NotSignedIn,
                                          QStringLiteral("There is no session to refresh.")),
                          SessionOperation::Refresh);
        return;
    }
    d->startRefresh();
}

} // namespace SecureTokens
