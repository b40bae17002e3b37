// SPDX-License-Identifier: MIT
#include "session_p.h"

#include "core/invokelater.h"
#include "core/logging.h"
#include "jwtclaims_p.h"
#include "storage/crossprocesslock.h"
#include "storage/unavailablesecretstore.h"

#include <securetokens/encryptedfilesecretstore.h>
#include <securetokens/keychainsecretstore.h>
#include <securetokens/memorysecretstore.h>

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>

#include <algorithm>

namespace SecureTokens {

namespace {

std::shared_ptr<SecretStore> makeStore(const SessionConfig &config)
{
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
    return std::make_shared<KeychainSecretStore>(config.storageService);
}

ErrorInfo storageError(const SecretStore::Result &result, const QString &what)
{
    ErrorInfo error = ErrorInfo::make(SecretStore::toError(result.status), what);
    if (!result.message.isEmpty())
        error.message += QStringLiteral(" (") + result.message + QLatin1Char(')');
    return error;
}

} // namespace

SignInHost::Extension::~Extension() = default;

SessionPrivate::SessionPrivate(Session *q, const SessionConfig &config,
                               RefreshTransportFactory transports)
    : q_ptr(q),
      m_config(config),
      m_store(makeStore(config)),
      m_nam(new QNetworkAccessManager(q)),
      m_client(m_nam, &m_config),
      m_transport(transports(m_nam, &m_client, &m_config))
{
    m_proactiveTimer.setSingleShot(true);
    // Timers run on a monotonic clock: wall-clock jumps do not move them.
    m_proactiveTimer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&m_proactiveTimer, &QTimer::timeout, q, [this] {
        if ((m_state == Session::State::SignedIn) && !m_refreshInFlight) {
            qCDebug(lcRefresh) << "proactive refresh before expiry";
            startRefresh();
        }
    });
    m_lock = std::make_unique<CrossProcessLock>(m_config.storageService, m_config.account);
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&m_retryTimer, &QTimer::timeout, q, [this] {
        if (m_state == Session::State::SignedIn && !m_refreshInFlight) {
            qCDebug(lcRefresh) << "retrying refresh, attempt" << m_retryAttempt;
            startRefresh();
        }
    });
}

SessionPrivate::~SessionPrivate() = default; // m_lock's destructor releases the lock

void SessionPrivate::scheduleRetry(const ErrorInfo &error)
{
    // Bounded exponential backoff with jitter: 1, 2, 4 ... 60 s, six attempts,
    // each delay drawn from [d/2, d] so that many clients that lost the
    // server at once do not come back in lockstep. A Retry-After from a 429
    // or 503 (RFC 9110 §10.2.3) is honoured as the minimum.
    constexpr int maxAttempts = 6;
    m_backoffError = error;
    if (m_retryAttempt >= maxAttempts) {
        qCInfo(lcRefresh) << "giving up background retries; the next request tries again";
        return;
    }
    const qint64 ceiling = std::min<qint64>(qint64(1000) << m_retryAttempt, 60000);
    qint64 delay = ceiling / 2 + qint64(QRandomGenerator::global()->bounded(int(ceiling / 2) + 1));
    if (error.retryAfterSeconds >= 0)
        delay = std::max<qint64>(delay, std::min<qint64>(error.retryAfterSeconds, 300) * 1000);
    ++m_retryAttempt;
    m_retryTimer.start(std::chrono::milliseconds(delay));
}

void SessionPrivate::resetBackoff()
{
    m_retryTimer.stop();
    m_retryAttempt = 0;
    m_backoffError = {};
}

bool SessionPrivate::hasUsableAccessToken() const
{
    if (m_accessToken.isEmpty())
        return false;
    if (m_accessDeadline.isForever())
        return true;
    // Not a token that dies on its way to the server.
    return m_accessDeadline.remainingTime() > m_sendMarginMs;
}

bool SessionPrivate::canSendNow() const
{
    return m_state == Session::State::SignedIn && !m_signingOut && !m_refreshInFlight
            && hasUsableAccessToken();
}

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

void SessionPrivate::emitError(const ErrorInfo &error)
{
    Q_Q(Session);
    qCInfo(lcSession) << "error" << error;
    m_lastError = error;
    Q_EMIT q->errorOccurred(error);
}

void SessionPrivate::emitErrorLater(const ErrorInfo &error)
{
    Q_Q(Session);
    // Start-like calls never complete inside themselves (STYLE.md §4).
    invokeLater(q, [this, error] { emitError(error); });
}

void SessionPrivate::releaseWaiters(const ErrorInfo &error)
{
    std::vector<Waiter> waiters;
    waiters.swap(m_waiters);
    for (Waiter &waiter : waiters) {
        if (waiter.context)
            waiter.done(error);
    }
}

void SessionPrivate::withUsableToken(QObject *context, TokenCallback done)
{
    const bool canRefresh = m_state == Session::State::SignedIn
            || m_state == Session::State::Refreshing || m_state == Session::State::Restoring
            || m_state == Session::State::SigningIn;
    if (!canRefresh || m_signingOut) {
        const ErrorInfo error = ErrorInfo::make(m_state == Session::State::ReauthenticationRequired
                                                        ? Error::ReauthenticationRequired
                                                        : Error::NotSignedIn,
                                                QStringLiteral("There is no signed-in session."));
        invokeLater(context, [done = std::move(done), error] { done(error); });
        return;
    }
    if (canSendNow()) {
        invokeLater(context, [done = std::move(done)] { done({}); });
        return;
    }
    if (!m_refreshInFlight && m_retryTimer.isActive()) {
        // Backing off after a transient failure: answer promptly with it
        // instead of adding to the load on a struggling server.
        const ErrorInfo error = m_backoffError;
        invokeLater(context, [done = std::move(done), error] { done(error); });
        return;
    }
    m_waiters.push_back({context, std::move(done)});
    if (!m_refreshInFlight && m_state == Session::State::SignedIn)
        startRefresh();
}

void SessionPrivate::onUnauthorized(quint64 sentGeneration, QObject *context, TokenCallback done)
{
    if (sentGeneration != m_generation || m_refreshInFlight) {
        // A newer token exists or is being fetched: no new refresh for an old 401.
        withUsableToken(context, std::move(done));
        return;
    }
    if (m_state == Session::State::SignedIn && m_retryTimer.isActive()) {
        // The current token was refused while renewal backs off after a
        // transient failure: answer promptly with that failure instead of
        // letting the caller replay a token the server has just refused.
        const ErrorInfo error = m_backoffError;
        invokeLater(context, [done = std::move(done), error] { done(error); });
        return;
    }
    if (m_state != Session::State::SignedIn || m_retryTimer.isActive()) {
        withUsableToken(context, std::move(done));
        return;
    }
    qCDebug(lcRefresh) << "access token rejected, refreshing";
    m_waiters.push_back({context, std::move(done)});
    startRefresh();
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
    m_restoring = false;
    m_lock->release();
}

void SessionPrivate::abandonSignIn()
{
    QPointer<QNetworkReply> reply = m_inFlightReply;
    abortInFlight();
    if (reply)
        reply->abort();
}

void SessionPrivate::wipeTokens()
{
    Q_Q(Session);
    m_proactiveTimer.stop();
    resetBackoff();
    const bool hadAccessToken = !m_accessToken.isEmpty();
    m_accessToken.clear();
    m_refreshToken.clear();
    m_storeBehind = false;
    m_accessDeadline = QDeadlineTimer(QDeadlineTimer::Forever);
    m_accessExpiresAt = QDateTime();
    ++m_generation;
    if (hadAccessToken)
        Q_EMIT q->accessTokenChanged();
    if (!m_subject.isEmpty()) {
        m_subject.clear();
        Q_EMIT q->userChanged();
    }
}

void SessionPrivate::installAccessToken(TokenResponse &response)
{
    Q_Q(Session);
    m_accessToken = std::move(response.accessToken);
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

    const QString subject = decodeJwtClaimsUnverified(m_accessToken.view())
                                    .value(QLatin1String("sub"))
                                    .toString();
    if (!subject.isEmpty() && subject != m_subject) {
        m_subject = subject;
        Q_EMIT q->userChanged();
    }
    Q_EMIT q->accessTokenChanged();
}

void SessionPrivate::scheduleProactiveRefresh(qint64 lifetimeSeconds)
{
    m_proactiveTimer.stop();
    if (lifetimeSeconds <= 0)
        return;
    const qint64 lifetimeMs = lifetimeSeconds * 1000;
    qint64 leadMs = m_config.refreshLeadTime.count() > 0
            ? qint64(m_config.refreshLeadTime.count())
            : std::clamp<qint64>(lifetimeMs / 4, 5000, 300000);
    // Never refresh more often than every half lifetime.
    leadMs = std::min(leadMs, lifetimeMs / 2);
    // A token is not sent in its last second, unless the lead is shorter: a
    // short lead chosen to save renewals would otherwise be overruled by a
    // 1 s renewal on the request path.
    m_sendMarginMs = std::min<qint64>(1000, leadMs);
    m_proactiveTimer.start(std::chrono::milliseconds(lifetimeMs - leadMs));
}

bool SessionPrivate::beginSignIn(const ErrorInfo &configError)
{
    if (m_state != Session::State::SignedOut
        && m_state != Session::State::ReauthenticationRequired) {
        emitErrorLater(ErrorInfo::make(Error::OperationInProgress,
                                       QStringLiteral("Sign out before signing in again.")));
        return false;
    }
    if (configError.isError()) {
        emitErrorLater(configError);
        return false;
    }
    setState(Session::State::SigningIn);
    m_refreshInFlight = true;
    return true;
}

void SessionPrivate::finishSignIn(quint64 epoch, const ErrorInfo &error, TokenResponse response,
                                  const QVariantMap &idTokenClaims)
{
    Q_Q(Session);
    if (epoch != m_epoch)
        return;
    m_inFlightReply = nullptr;
    if (!error.isError()) {
        // The claims belong to this sign-in, verified by the flow that got them.
        m_idTokenClaims = idTokenClaims;
        if (!m_idTokenClaims.isEmpty())
            Q_EMIT q->userChanged();
    }
    if (error.isError()) {
        m_refreshInFlight = false;
        emitError(error);
        setState(Session::State::SignedOut);
        releaseWaiters(error);
        return;
    }
    if (response.refreshToken.isEmpty()) {
        // No refresh token: a session that lasts as long as this access token.
        qCInfo(lcSession) << "signed in without a refresh token";
        m_refreshInFlight = false;
        installAccessToken(response);
        setState(Session::State::SignedIn);
        releaseWaiters({});
        return;
    }
    auto pending = std::make_shared<TokenResponse>(std::move(response));
    // Store before use: the session only exists once the refresh token is safe.
    m_store->write(
            m_config.account, pending->refreshToken, q,
            [this, epoch, pending](const SecretStore::Result &result) {
                Q_Q(Session);
                if (epoch != m_epoch)
                    return;
                m_refreshInFlight = false;
                if (!result.ok()) {
                    const ErrorInfo failure = storageError(
                            result, QStringLiteral("The sign-in could not be stored securely."));
                    // Do not leave a live refresh token behind on the server.
                    if (m_transport->canRevoke())
                        m_transport->revoke(pending->refreshToken, q, [](const ErrorInfo &) {});
                    emitError(failure);
                    setState(Session::State::SignedOut);
                    releaseWaiters(failure);
                    return;
                }
                m_refreshToken = std::move(pending->refreshToken);
                m_storeBehind = false;
                setOffline(false);
                installAccessToken(*pending);
                setState(Session::State::SignedIn);
                releaseWaiters({});
            });
}

void SessionPrivate::startRestore()
{
    if (m_state == Session::State::SignedIn || m_state == Session::State::Refreshing
        || m_state == Session::State::Restoring)
        return;
    if (m_state == Session::State::SigningIn) {
        emitErrorLater(ErrorInfo::make(Error::OperationInProgress,
                                       QStringLiteral("A sign-in is under way.")));
        return;
    }
    m_restoring = true;
    m_storageRetried = false;
    setState(Session::State::Restoring);
    startRefresh();
}

void SessionPrivate::startRefresh()
{
    Q_Q(Session);
    if (m_refreshInFlight || m_signingOut)
        return;
    m_refreshInFlight = true;
    if (m_state == Session::State::SignedIn)
        setState(Session::State::Refreshing);
    const quint64 epoch = m_epoch;
    // Waiting for another process's refresh takes at most its own deadline.
    const auto lockTimeout = m_config.requestTimeout + std::chrono::seconds(10);
    m_lock->acquire(lockTimeout, q, [this, epoch](bool acquired, const QString &why) {
        if (epoch != m_epoch) {
            m_lock->release();
            return;
        }
        if (!acquired) {
            qCInfo(lcRefresh) << "refresh lock not acquired:" << why;
            finishRefresh(ErrorInfo::make(
                    Error::Timeout,
                    QStringLiteral("Another process of this application is still refreshing "
                                   "the session.")));
            return;
        }
        readStoredTokenAndRefresh(epoch);
    });
}

void SessionPrivate::readStoredTokenAndRefresh(quint64 epoch)
{
    Q_Q(Session);
    // Re-read under the lock: the store is the source of truth, and another
    // process of the same app may have rotated the token since we last looked.
    m_store->read(m_config.account, q,
                  [this, epoch](const SecretStore::Result &result, SecretBytes stored) {
                      if (epoch != m_epoch)
                          return;
                      if (result.ok()) {
                          if (!m_storeBehind || m_refreshToken.isEmpty())
                              m_refreshToken = std::move(stored);
                          refreshWith(m_refreshToken.clone());
                          return;
                      }
                      if (!m_refreshToken.isEmpty()
                          && (result.status != SecretStore::Status::NotFound || m_storeBehind)) {
                          // Storage hiccup (or it lags behind): the memory copy is current.
                          qCInfo(lcStorage) << "reading the stored token failed, using memory:"
                                            << result.status;
                          refreshWith(m_refreshToken.clone());
                          return;
                      }
                      if (result.status == SecretStore::Status::NotFound) {
                          const bool wasRestoring = m_restoring;
                          wipeTokens();
                          if (wasRestoring) {
                              // Nothing stored: a signed-out user, not an error.
                              finishRefresh({});
                              return;
                          }
                          finishRefresh(ErrorInfo::make(
                                  Error::NotSignedIn,
                                  QStringLiteral("The session was ended elsewhere.")));
                          return;
                      }
                      if (m_restoring && !m_storageRetried
                          && (result.status == SecretStore::Status::Unavailable
                              || result.status == SecretStore::Status::Locked)) {
                          // At login the keyring daemon may not be up or unlocked yet:
                          // look once more before reporting it.
                          m_storageRetried = true;
                          m_refreshInFlight = false;
                          m_lock->release();
                          invokeLater(
                                  q_ptr,
                                  [this, epoch] {
                                      if (epoch == m_epoch && m_restoring)
                                          startRefresh();
                                  },
                                  std::chrono::milliseconds(1500));
                          return;
                      }
                      finishRefresh(storageError(
                              result, QStringLiteral("The stored session could not be read.")));
                  });
}

void SessionPrivate::refreshWith(SecretBytes refreshToken)
{
    Q_Q(Session);
    if (refreshToken.isEmpty()) {
        wipeTokens();
        setState(Session::State::ReauthenticationRequired);
        finishRefresh(ErrorInfo::make(Error::ReauthenticationRequired,
                                      QStringLiteral("The session has no refresh token.")));
        return;
    }
    const ErrorInfo config = m_transport->check();
    if (config.isError()) {
        finishRefresh(config);
        return;
    }
    const quint64 epoch = m_epoch;
    auto token = std::make_shared<SecretBytes>(std::move(refreshToken));
    qCDebug(lcRefresh) << "refresh grant";
    m_inFlightReply = m_transport->refresh(
            *token, q, [this, epoch, token](const ErrorInfo &error, TokenResponse response) {
                token->clear();
                if (epoch != m_epoch)
                    return;
                m_inFlightReply = nullptr;
                onRefreshAnswer(error, std::move(response));
            });
}

void SessionPrivate::onRefreshAnswer(const ErrorInfo &error, TokenResponse response)
{
    Q_Q(Session);
    if (error.isError()) {
        if (endsSession(error.code)) {
            qCInfo(lcRefresh) << "refresh token rejected; the session ends";
            wipeTokens();
            // The stored token is dead: remove it before reporting, so that a
            // process that exits on the report does not leave it behind.
            const quint64 epoch = m_epoch;
            m_store->remove(m_config.account, q, [this, epoch, error](const SecretStore::Result &) {
                if (epoch != m_epoch)
                    return;
                setState(Session::State::ReauthenticationRequired);
                finishRefresh(error);
            });
            return;
        }
        setOffline(error.isTransient());
        if (error.isTransient() && !m_refreshToken.isEmpty())
            scheduleRetry(error);
        finishRefresh(error);
        return;
    }

    auto pending = std::make_shared<TokenResponse>(std::move(response));
    if (pending->refreshToken.isEmpty()) {
        // The server did not rotate (RFC 6749 §6 allows it): keep the old one.
        ++m_refreshCount;
        installAccessToken(*pending);
        finishRefresh({});
        return;
    }

    // Store before use: the rotated token is safe before its access token is handed out.
    m_refreshToken = pending->refreshToken.clone();
    m_storeBehind = true;
    const quint64 epoch = m_epoch;
    m_store->write(m_config.account, pending->refreshToken, q,
                   [this, epoch, pending](const SecretStore::Result &result) {
                       if (epoch != m_epoch)
                           return;
                       ErrorInfo storeError;
                       if (result.ok()) {
                           m_storeBehind = false;
                       } else {
                           // Keep working from memory; the next refresh retries the write.
                           storeError = storageError(
                                   result,
                                   QStringLiteral("The renewed session could not be stored; "
                                                  "it is kept in memory for now."));
                       }
                       pending->refreshToken.clear();
                       ++m_refreshCount;
                       installAccessToken(*pending);
                       if (storeError.isError())
                           emitError(storeError);
                       finishRefresh({});
                   });
}

void SessionPrivate::finishRefresh(const ErrorInfo &error)
{
    m_lock->release();
    m_refreshInFlight = false;
    m_restoring = false;
    if (!error.isError()) {
        setOffline(false);
        resetBackoff();
    }
    if (error.isError())
        emitError(error);
    if (m_state == Session::State::Refreshing || m_state == Session::State::Restoring) {
        // A kept refresh token keeps the session, also after a transient failure.
        setState(m_refreshToken.isEmpty() && m_accessToken.isEmpty() ? Session::State::SignedOut
                                                                     : Session::State::SignedIn);
    }
    releaseWaiters(error);
}

void SessionPrivate::startSignOut()
{
    Q_Q(Session);
    abortInFlight();
    m_signingOut = true;
    const quint64 epoch = m_epoch;
    auto token = std::make_shared<SecretBytes>(std::move(m_refreshToken));
    wipeTokens();
    releaseWaiters(ErrorInfo::make(Error::NotSignedIn, QStringLiteral("Signed out.")));

    struct Outcome
    {
        int pending = 2;
        ErrorInfo storage;
        ErrorInfo revocation;
    };
    auto outcome = std::make_shared<Outcome>();
    auto finishOne = [this, epoch, outcome] {
        if (--outcome->pending > 0 || epoch != m_epoch)
            return;
        m_signingOut = false;
        if (outcome->storage.isError())
            emitError(outcome->storage);
        else if (outcome->revocation.isError())
            emitError(outcome->revocation);
        setState(Session::State::SignedOut);
        Q_EMIT q_ptr->signedOut();
    };

    auto revokeAndRemove = [this, q, token, outcome, finishOne] {
        // The local wipe does not depend on the server (RFC 7009 is best effort).
        m_store->remove(
                m_config.account, q, [outcome, finishOne](const SecretStore::Result &result) {
                    if (!result.ok())
                        outcome->storage = storageError(
                                result, QStringLiteral("The stored session could not be removed."));
                    finishOne();
                });
        if (token->isEmpty() || !m_transport->canRevoke()) {
            invokeLater(q, finishOne);
            return;
        }
        m_transport->revoke(*token, q, [outcome, finishOne, token](const ErrorInfo &error) {
            token->clear();
            if (error.isError()) {
                outcome->revocation = error;
                outcome->revocation.message
                        = QStringLiteral("Signed out on this device, but the server could not be "
                                         "told: ")
                        + error.message;
            }
            finishOne();
        });
    };

    if (!token->isEmpty() || !m_transport->canRevoke()) {
        revokeAndRemove();
        return;
    }
    // Signing out without a restored session (e.g. `securetokens logout` in a
    // new process): fetch the stored token so the server can revoke it too.
    m_store->read(m_config.account, q,
                  [token, revokeAndRemove](const SecretStore::Result &result, SecretBytes stored) {
                      if (result.ok())
                          *token = std::move(stored);
                      revokeAndRemove();
                  });
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
                                          QStringLiteral("There is no session to refresh.")));
        return;
    }
    d->startRefresh();
}

void Session::signOut()
{
    Q_D(Session);
    d->startSignOut();
}

} // namespace SecureTokens
