// SPDX-License-Identifier: MIT
// Per-API access tokens (SessionConfig::apiResources, RFC 8707): one slot per
// resource, each with its own token, generation, deadline and waiters. The
// grants themselves are the session's one refresh (sessionrefresh.cpp) with a
// target: one refresh-token grant on the wire per Session, under the
// cross-process lock, a rotated refresh token stored before use; a slot's
// grant waits behind one in flight, and everyone who needs that slot's token
// joins its one grant (docs/networking.md, "Per-API tokens").
#include "session_p.h"

#include "dpopproof_p.h"

#include "core/invokelater.h"
#include "core/logging.h"

#include <utility>

namespace SecureTokens {

bool SessionPrivate::hasUsableAccessToken(int slot) const
{
    if (slot < 0)
        return hasUsableAccessToken();
    const ResourceToken &t = m_resourceTokens[std::size_t(slot)];
    if (t.token.isEmpty() || t.stale)
        return false;
    if (t.deadline.isForever())
        return true;
    // Not a token that dies on its way to the server.
    return t.deadline.remainingTime() > t.sendMarginMs;
}

bool SessionPrivate::canSendNow(int slot) const
{
    if (slot < 0)
        return canSendNow();
    // Another slot's grant (or the session's own refresh) does not hold this
    // API's requests back: its token is not being replaced.
    const bool signedIn
            = m_state == Session::State::SignedIn || m_state == Session::State::Refreshing;
    return signedIn && !m_signingOut && m_refreshTarget != slot && hasUsableAccessToken(slot);
}

bool SessionPrivate::readyToSend(int slot)
{
    if (!canSendNow(slot))
        return false;
    ResourceToken &t = m_resourceTokens[std::size_t(slot)];
    if (!t.queued && !t.renewAt.isForever() && t.renewAt.hasExpired()) {
        // Renewed on its next use once due, not by a timer per API: the
        // current token still goes out meanwhile.
        qCDebug(lcRefresh) << "API token due for renewal";
        t.queued = true;
        startNextGrant();
    }
    return true;
}

void SessionPrivate::withUsableToken(int slot, QObject *context, TokenCallback done)
{
    if (slot < 0) {
        withUsableToken(context, std::move(done));
        return;
    }
    const bool canRefresh = m_state == Session::State::SignedIn
            || m_state == Session::State::Refreshing || m_state == Session::State::Restoring
            || m_state == Session::State::SigningIn;
    ErrorInfo error;
    if (!canRefresh || m_signingOut)
        error = ErrorInfo::make(m_state == Session::State::ReauthenticationRequired
                                        ? Error::ReauthenticationRequired
                                        : Error::NotSignedIn,
                                QStringLiteral("There is no signed-in session."));
    else if (m_apiResources.slots.at(slot).error.isError())
        error = m_apiResources.slots.at(slot).error;
    else if (m_refreshTarget != slot && m_retryTimer.isActive() && !m_refreshInFlight)
        error = m_backoffError; // backing off after a transient failure: answer promptly
    if (error.isError() || canSendNow(slot)) {
        invokeLater(context, [done = std::move(done), error] { done(error); });
        return;
    }
    ResourceToken &t = m_resourceTokens[std::size_t(slot)];
    t.waiters.push_back({context, std::move(done)});
    if (m_refreshTarget == slot)
        return; // joins the grant on the wire
    t.queued = true;
    startNextGrant();
}

void SessionPrivate::onUnauthorized(int slot, quint64 sentGeneration, QObject *context,
                                    TokenCallback done)
{
    if (slot < 0) {
        onUnauthorized(sentGeneration, context, std::move(done));
        return;
    }
    ResourceToken &t = m_resourceTokens[std::size_t(slot)];
    if (m_refreshTarget == slot) {
        t.waiters.push_back({context, std::move(done)}); // its grant is on the wire
        return;
    }
    const bool signedIn
            = m_state == Session::State::SignedIn || m_state == Session::State::Refreshing;
    if (sentGeneration != t.generation || !signedIn || m_signingOut) {
        // A newer token exists, or there is no session to renew it.
        withUsableToken(slot, context, std::move(done));
        return;
    }
    if (m_retryTimer.isActive() && !m_refreshInFlight) {
        // Renewal backs off after a transient failure: answer with it
        // rather than replay a token the server has just refused.
        const ErrorInfo error = m_backoffError;
        invokeLater(context, [done = std::move(done), error] { done(error); });
        return;
    }
    // Not sent again; the 401s of one storm all wait for one grant.
    qCDebug(lcRefresh) << "API token rejected, renewing it";
    t.stale = true;
    t.waiters.push_back({context, std::move(done)});
    t.queued = true;
    startNextGrant();
}

void SessionPrivate::startNextGrant()
{
    if (m_refreshInFlight || m_signingOut || m_state != Session::State::SignedIn)
        return;
    if (!m_waiters.empty() || m_renewOwnToken) {
        // The session's own token was wanted while an API's grant was on the wire.
        if (m_waiters.empty() || !canSendNow()) {
            startRefresh(m_waiters.empty() ? SessionOperation::Refresh : SessionOperation::Request);
            return;
        }
        releaseWaiters({});
        return;
    }
    for (std::size_t i = 0; i < m_resourceTokens.size(); ++i) {
        ResourceToken &t = m_resourceTokens[i];
        if (!t.queued)
            continue;
        t.queued = false;
        startRefresh(t.waiters.empty() ? SessionOperation::Refresh : SessionOperation::Request,
                     int(i));
        return;
    }
}

void SessionPrivate::settleResourceWaiters(const ErrorInfo &error)
{
    if (!error.isError()) {
        startNextGrant();
        return;
    }
    // The grant everyone queued behind failed (or the session ended): the
    // APIs' waiters learn it now rather than after grants of their own.
    for (ResourceToken &t : m_resourceTokens) {
        t.queued = false;
        std::vector<Waiter> waiters;
        waiters.swap(t.waiters);
        for (Waiter &waiter : waiters) {
            if (waiter.context)
                waiter.done(error);
        }
    }
}

void SessionPrivate::finishResourceGrant(int slot, const ErrorInfo &error)
{
    std::vector<Waiter> waiters;
    waiters.swap(m_resourceTokens[std::size_t(slot)].waiters);
    for (Waiter &waiter : waiters) {
        if (waiter.context)
            waiter.done(error);
    }
    if (m_state == Session::State::SignedIn) {
        startNextGrant(); // invalid_target, a 5xx: only this API's requests failed
        return;
    }
    // The grant ended the session (invalid_grant) or found it gone.
    releaseWaiters(error.isError()
                           ? error
                           : ErrorInfo::make(Error::NotSignedIn,
                                             QStringLiteral("There is no signed-in session.")));
}

void SessionPrivate::installGranted(TokenResponse &response)
{
    if (m_refreshTarget >= 0)
        installResourceToken(m_refreshTarget, response);
    else
        installAccessToken(response);
}

void SessionPrivate::installResourceToken(int slot, TokenResponse &response)
{
    Q_Q(Session);
    ResourceToken &t = m_resourceTokens[std::size_t(slot)];
    t.token = std::move(response.accessToken);
    t.dpop = response.dpopBound;
    t.ath = response.dpopBound ? Internal::dpopAccessTokenHash(t.token.view()) : QByteArray();
    t.stale = false;
    t.generation = ++m_resourceSerial;
    const qint64 lifetimeMs = response.expiresIn * 1000;
    if (lifetimeMs > 0) {
        // As for the session's own token: expires_in on the monotonic clock.
        const qint64 leadMs = refreshLeadMs(lifetimeMs);
        t.deadline = QDeadlineTimer(lifetimeMs, Qt::PreciseTimer);
        t.renewAt = QDeadlineTimer(lifetimeMs - leadMs, Qt::PreciseTimer);
        t.sendMarginMs = std::min<qint64>(1000, leadMs);
    } else {
        t.deadline = QDeadlineTimer(QDeadlineTimer::Forever);
        t.renewAt = QDeadlineTimer(QDeadlineTimer::Forever);
    }
    // The manager lets go of the Authorization values it built (the old
    // token's bytes are wiped by their last owner).
    Q_EMIT q->accessTokenChanged();
}

void SessionPrivate::wipeResourceTokens()
{
    for (ResourceToken &t : m_resourceTokens) {
        t.token.clear();
        t.dpop = false;
        t.ath.clear();
        t.stale = false;
        t.deadline = QDeadlineTimer(QDeadlineTimer::Forever);
        t.renewAt = QDeadlineTimer(QDeadlineTimer::Forever);
        t.generation = ++m_resourceSerial;
    }
}

} // namespace SecureTokens
