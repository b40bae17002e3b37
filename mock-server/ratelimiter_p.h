// SPDX-License-Identifier: MIT
#pragma once

#include <QHash>
#include <QList>
#include <QString>

namespace SecureTokens::Mock {

/*!
    Counts failed sign-ins per key ("user:alice", "client:demo") in a sliding
    window; once a key reaches the limit it is locked out for a while, and
    attempts are refused with 429 and Retry-After (RFC 6585 §4) even with the
    right password, so that guessing cannot continue.
*/
class LoginRateLimiter
{
public:
    LoginRateLimiter(int maxFailures, qint64 windowSeconds, qint64 lockoutSeconds);

    //! Seconds until the key may try again (0: not locked).
    qint64 retryAfter(const QString &key, qint64 nowMs) const;
    //! Records a failure; returns true when this failure starts a lockout.
    bool recordFailure(const QString &key, qint64 nowMs);
    void reset(const QString &key);

private:
    struct Entry
    {
        QList<qint64> failuresMs;
        qint64 lockedUntilMs = 0;
    };

    int m_maxFailures;
    qint64 m_windowMs;
    qint64 m_lockoutMs;
    QHash<QString, Entry> m_entries;
};

} // namespace SecureTokens::Mock
