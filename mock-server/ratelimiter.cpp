// SPDX-License-Identifier: MIT
#include "ratelimiter_p.h"

namespace SecureTokens::Mock {

LoginRateLimiter::LoginRateLimiter(int maxFailures, qint64 windowSeconds, qint64 lockoutSeconds)
    : m_maxFailures(qMax(1, maxFailures)),
      m_windowMs(windowSeconds * 1000),
      m_lockoutMs(lockoutSeconds * 1000)
{ }

qint64 LoginRateLimiter::retryAfter(const QString &key, qint64 nowMs) const
{
    const auto it = m_entries.constFind(key);
    if (it == m_entries.cend() || it->lockedUntilMs <= nowMs)
        return 0;
    return qMax<qint64>(1, (it->lockedUntilMs - nowMs + 999) / 1000);
}

bool LoginRateLimiter::recordFailure(const QString &key, qint64 nowMs)
{
    Entry &e = m_entries[key];
    e.failuresMs.erase(std::remove_if(e.failuresMs.begin(), e.failuresMs.end(),
                                      [&](qint64 t) { return nowMs - t > m_windowMs; }),
                       e.failuresMs.end());
    e.failuresMs.append(nowMs);
    if (e.failuresMs.size() >= m_maxFailures && e.lockedUntilMs <= nowMs) {
        e.lockedUntilMs = nowMs + m_lockoutMs;
        e.failuresMs.clear(); // after the lockout, the count starts again
        return true;
    }
    return false;
}

void LoginRateLimiter::reset(const QString &key)
{
    m_entries.remove(key);
}

} // namespace SecureTokens::Mock
