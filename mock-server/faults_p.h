// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

namespace SecureTokens::Mock {

//! One scripted answer for a refresh grant (POST /admin/faults "refresh_errors").
struct RefreshFault
{
    int status = 0; //!< HTTP status (0: derived from error)
    QString error; //!< RFC 6749 §5.2 error code (empty: derived from status)
    qint64 retryAfter = -1; //!< Retry-After seconds (-1: none)
    bool drop = false; //!< close the connection without answering
};

/*!
    Faults injected through /admin/faults. They accumulate: counters add up and
    refresh_errors entries queue, each consumed by one refresh grant.
*/
class FaultPlan
{
public:
    //! Merges a POST /admin/faults body; returns false (with a reason) when malformed.
    //! The immediate actions (expire_access_tokens, replay_refresh_token) are
    //! reported through the out flags for the server to carry out.
    bool merge(const QJsonObject &faults, bool *expireAccessTokens, bool *replayRefreshTokens,
               QString *why);
    void clear();

    //! Consumes one pending rejection of a protected request, if any.
    bool takeAccessRejection();
    //! Consumes the next scripted refresh answer, if any.
    bool takeRefreshFault(RefreshFault *fault);
    int refreshDelayMs() const { return m_refreshDelayMs; }

    QJsonObject toJson() const;

private:
    int m_rejectAccessTokens = 0;
    QList<RefreshFault> m_refreshErrors;
    int m_refreshDelayMs = 0;
};

} // namespace SecureTokens::Mock
