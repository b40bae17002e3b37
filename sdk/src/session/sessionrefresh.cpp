// SPDX-License-Identifier: MIT
// The refresh side of the session state machine: single flight, the
// cross-process lock with the stored token re-read under it, store before use,
// the error classification and the bounded backoff (docs/architecture.md).
#include "session_p.h"

#include "core/invokelater.h"
#include "core/logging.h"
#include "storage/crossprocesslock.h"

#include <QRandomGenerator>

#include <algorithm>
#include <utility>

namespace SecureTokens {

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

void SessionPrivate::releaseWaiters(const ErrorInfo &error)
{
    std::vector<Waiter> waiters;
    waiters.swap(m_waiters);
    for (Waiter &waiter : waiters) {
        if (waiter.context)
            waiter.done(error);
    }
    if (!m_resourceTokens.empty())
        settleResourceWaiters(error);
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
        startRefresh(
                SessionOperation::Request); // a request needs a token: its failure is the request's
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
    startRefresh(SessionOperation::Request);
}

void SessionPrivate::startRestore()
{
    if (m_state == Session::State::SignedIn || m_state == Session::State::Refreshing
        || m_state == Session::State::Restoring)
        return;
    if (m_state == Session::State::SigningIn) {
        emitErrorLater(ErrorInfo::make(Error::OperationInProgress,
                                       QStringLiteral("A sign-in is under way.")),
                       SessionOperation::Restore);
        return;
    }
    m_restoring = true;
    m_storageRetried = false;
    setState(Session::State::Restoring);
    startRefresh(SessionOperation::Restore);
}

void SessionPrivate::startRefresh(SessionOperation why, int target)
{
    Q_Q(Session);
    if (m_refreshInFlight || m_signingOut)
        return;
    m_refreshInFlight = true;
    m_refreshFor = why;
    m_refreshTarget = target;
    if (target < 0)
        m_renewOwnToken = false;
    if (m_state == Session::State::SignedIn)
        setState(Session::State::Refreshing);
    const quint64 epoch = m_epoch;
    // Waiting for another process's refresh takes at most its own deadline.
    const auto lockTimeout = m_config.requestTimeout + std::chrono::seconds(10);
    m_lock->acquire(lockTimeout, q, [this, epoch](bool acquired, const ErrorInfo &why) {
        if (epoch != m_epoch) {
            m_lock->release();
            return;
        }
        if (!acquired) {
            qCInfo(lcRefresh) << "refresh lock not acquired:" << why;
            // Waiting longer may help only when someone holds the lock; a lock
            // directory that is not ours is its own, lasting error (finding 4).
            finishRefresh(why.code == Error::Timeout
                                  ? ErrorInfo::make(Error::Timeout,
                                                    QStringLiteral("Another process of this "
                                                                   "application is still "
                                                                   "refreshing the session."))
                                  : why);
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
                      if (result.ok() && (!m_storeBehind || m_record.refreshToken.isEmpty())) {
                          AccountRecord record;
                          const ErrorInfo decoded = decodeAccountRecord(stored.view(), &record);
                          stored.clear();
                          if (decoded.isError() && m_record.refreshToken.isEmpty()) {
                              finishRefresh(decoded); // left as it is: maybe a newer release's
                              return;
                          }
                          if (decoded.isError()) {
                              qCWarning(lcStorage) << "the stored session is unreadable; "
                                                      "using the one in memory";
                              refreshWith(m_record.refreshToken.clone());
                              return;
                          }
                          // Another client's or server's record is never sent anywhere
                          // and never deleted (security review, finding 3).
                          if (const ErrorInfo binding = checkAccountBinding(record, m_config);
                              binding.isError()) {
                              wipeTokens();
                              finishRefresh(binding);
                              return;
                          }
                          // A bound refresh token without its key is dead: the
                          // session ends as for invalid_grant (record removed).
                          if (const ErrorInfo key = checkDpopKey(record); key.isError()) {
                              onRefreshAnswer(key, {});
                              return;
                          }
                          adoptRecord(std::move(record));
                          refreshWith(m_record.refreshToken.clone());
                          return;
                      }
                      if (result.ok()) {
                          refreshWith(m_record.refreshToken.clone()); // memory is newer
                          return;
                      }
                      if (!m_record.refreshToken.isEmpty()
                          && (result.status != SecretStore::Status::NotFound || m_storeBehind)) {
                          // Storage hiccup (or it lags behind): the memory copy is current.
                          qCInfo(lcStorage) << "reading the stored token failed, using memory:"
                                            << result.status;
                          refreshWith(m_record.refreshToken.clone());
                          return;
                      }
                      if (result.status == SecretStore::Status::NotFound) {
                          const bool wasRestoring = m_restoring;
                          wipeTokens();
                          if (wasRestoring) {
                              // Nothing here, but another backend may hold it.
                              finishRefresh(checkBackendUnchanged());
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
    qCDebug(lcRefresh) << "refresh grant" << m_refreshTarget;
    auto answered = [this, epoch, token](const ErrorInfo &error, TokenResponse response) {
        token->clear();
        if (epoch != m_epoch)
            return;
        m_inFlightReply = nullptr;
        onRefreshAnswer(error, std::move(response));
    };
    // One API's token (RFC 8707 §2.2: resource= on the refresh grant), or the
    // session's own, which with per-API tokens names the first resource as
    // the code exchange did (a grant for several resources gives tokens for
    // one at a time).
    const bool named = m_refreshTarget >= 0 || !m_ownResource.resource.isEmpty();
    m_inFlightReply = named
            ? m_transport->refreshForResource(
                    *token,
                    m_refreshTarget >= 0 ? m_apiResources.slots.at(m_refreshTarget) : m_ownResource,
                    q, std::move(answered))
            : m_transport->refresh(*token, q, std::move(answered));
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
            removeStoredRecord([this, epoch, error](const SecretStore::Result &) {
                if (epoch != m_epoch)
                    return;
                setState(Session::State::ReauthenticationRequired);
                finishRefresh(error);
            });
            return;
        }
        setOffline(error.isTransient());
        if (error.isTransient() && !m_record.refreshToken.isEmpty())
            scheduleRetry(error);
        finishRefresh(error);
        return;
    }

    auto pending = std::make_shared<TokenResponse>(std::move(response));
    // What changes in the record: a rotated refresh token, a newly granted
    // scope (RFC 6749 §6 allows narrowing), and a record an earlier release
    // stored bare, which now gets its binding (migration).
    AccountRecord next = m_record.clone();
    const bool rotated = !pending->refreshToken.isEmpty();
    if (rotated)
        next.refreshToken = std::move(pending->refreshToken);
    // An API's token may have a narrower scope (ApiResource::scopes): the grant's stays.
    if (!pending->scope.isEmpty() && m_refreshTarget < 0)
        next.scope = pending->scope;
    const bool migrating = next.legacy;
    if (migrating)
        bindAccountRecord(&next, m_config);
    if (!rotated && !migrating && next.scope == m_record.scope) {
        // The server did not rotate (RFC 6749 §6 allows it): keep the old one.
        ++m_refreshCount;
        installGranted(*pending);
        finishRefresh({});
        return;
    }

    // Store before use: the rotated token is safe before its access token is handed out.
    adoptRecord(std::move(next));
    m_storeBehind = true;
    const quint64 epoch = m_epoch;
    writeRecord(&m_record, [this, epoch, pending](const SecretStore::Result &result) {
        if (epoch != m_epoch)
            return;
        ErrorInfo storeError;
        if (result.ok()) {
            m_storeBehind = false;
        } else {
            // Keep working from memory; the next refresh retries the write.
            storeError = storageError(result,
                                      QStringLiteral("The renewed session could not be stored; "
                                                     "it is kept in memory for now."));
        }
        ++m_refreshCount;
        installGranted(*pending);
        if (storeError.isError())
            emitError(storeError);
        finishRefresh({});
    });
}

void SessionPrivate::finishRefresh(const ErrorInfo &error)
{
    m_lock->release();
    m_refreshInFlight = false;
    const int target = std::exchange(m_refreshTarget, -1);
    m_restoring = false;
    if (!error.isError()) {
        setOffline(false);
        resetBackoff();
    }
    if (error.isError())
        emitError(error);
    if (m_state == Session::State::Refreshing || m_state == Session::State::Restoring) {
        // A kept refresh token keeps the session, also after a transient failure.
        setState(m_record.refreshToken.isEmpty() && m_accessToken.isEmpty()
                         ? Session::State::SignedOut
                         : Session::State::SignedIn);
    }
    if (target >= 0)
        finishResourceGrant(target, error);
    else
        releaseWaiters(error);
}

} // namespace SecureTokens
