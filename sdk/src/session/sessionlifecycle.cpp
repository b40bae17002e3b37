// SPDX-License-Identifier: MIT
// The session and the world around it: the two refresh timers, the
// application's lifecycle (Qt::ApplicationState, forwarded by the app or the
// QML module: the core does not link QtGui) and network reachability
// (QNetworkInformation, or the app's own source).
#include "session_p.h"

#include "core/logging.h"

#include <QNetworkInformation>

#include <utility>

namespace SecureTokens {

void SessionPrivate::setUpTimers()
{
    Q_Q(Session);
    m_proactiveTimer.setSingleShot(true);
    // Timers run on a monotonic clock: wall-clock jumps do not move them.
    m_proactiveTimer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&m_proactiveTimer, &QTimer::timeout, q, [this] {
        if (m_suspended) {
            // A suspended mobile app may be frozen mid-grant, leaving the
            // rotated refresh token's fate unknown: renewed on activation.
            qCDebug(lcRefresh) << "proactive refresh held while suspended";
        } else if ((m_state == Session::State::SignedIn) && !m_refreshInFlight) {
            qCDebug(lcRefresh) << "proactive refresh before expiry";
            startRefresh();
        } else if (m_refreshInFlight && m_refreshTarget >= 0) {
            m_renewOwnToken = true; // after the API's grant (startNextGrant())
        }
    });
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&m_retryTimer, &QTimer::timeout, q, [this] {
        if (m_state == Session::State::SignedIn && !m_refreshInFlight && !m_suspended) {
            qCDebug(lcRefresh) << "retrying refresh, attempt" << m_retryAttempt;
            startRefresh();
        }
    });
}

void SessionPrivate::noteProactiveDue(qint64 inMs)
{
    if (inMs < 0) {
        m_proactiveDue = QDeadlineTimer(QDeadlineTimer::Forever);
        m_proactiveDueAt = QDateTime();
        return;
    }
    m_proactiveDue = QDeadlineTimer(inMs, Qt::PreciseTimer);
    m_proactiveDueAt = QDateTime::currentDateTimeUtc().addMSecs(inMs);
}

bool SessionPrivate::proactiveRefreshOverdue() const
{
    if (!hasUsableAccessToken())
        return true;
    return m_proactiveDue.hasExpired()
            || (m_proactiveDueAt.isValid() && QDateTime::currentDateTimeUtc() >= m_proactiveDueAt);
}

void SessionPrivate::followNetworkInformation()
{
    Q_Q(Session);
    // Only a backend the application chose to load: loading one here would
    // start platform monitoring in every process that links the SDK.
    QNetworkInformation *info = QNetworkInformation::instance();
    if (!info)
        return;
    QObject::connect(info, &QNetworkInformation::reachabilityChanged, q,
                     [q](QNetworkInformation::Reachability reachability) {
                         q->setNetworkReachable(
                                 reachability != QNetworkInformation::Reachability::Disconnected
                                 && reachability != QNetworkInformation::Reachability::Unknown);
                     });
}

void Session::setApplicationState(Qt::ApplicationState state)
{
    Q_D(Session);
    if (state == Qt::ApplicationSuspended) {
        d->m_suspended = true;
        return;
    }
    if (state != Qt::ApplicationActive)
        return; // Inactive (a dialog in front), Hidden: the timers keep running
    const bool wasSuspended = std::exchange(d->m_suspended, false);
    if (d->m_state != State::SignedIn || d->m_refreshInFlight || d->m_signingOut)
        return;
    // Offline: a desktop window coming to the front is no news about the
    // network, so the backoff stands; a mobile app back from the background
    // may be on another network by now.
    const bool retryNow = d->m_offline && wasSuspended;
    if (!retryNow && !d->proactiveRefreshOverdue())
        return;
    if (d->m_offline && !retryNow)
        return; // the backoff decides, as it would have without the app's news
    qCDebug(lcRefresh) << "application active: renewing the access token";
    d->resetBackoff();
    d->startRefresh();
}

void Session::setNetworkReachable(bool reachable)
{
    Q_D(Session);
    if (!reachable || !d->m_offline || d->m_suspended)
        return;
    if (d->m_state != State::SignedIn || d->m_refreshInFlight || d->m_signingOut)
        return;
    qCDebug(lcRefresh) << "network reachable again: retrying the refresh now";
    d->resetBackoff();
    d->startRefresh();
}

} // namespace SecureTokens
