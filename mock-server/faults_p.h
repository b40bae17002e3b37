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
    bool malformed = false; //!< answer 200 with a truncated JSON body
    //! The body of the answer: "" the RFC 6749 §5.2 JSON error; "html" a
    //! gateway's HTML page; "json" a JSON object without an "error" member.
    QString body;
};

//! Immediate actions a POST /admin/faults asks for, carried out by the server.
struct FaultActions
{
    bool expireAccessTokens = false; //!< "expire_access_tokens"
    bool replayRefreshTokens = false; //!< "replay_refresh_token"
    bool rotateDpopNonces = false; //!< "dpop_nonce_rotate"
};

/*!
    Faults injected through /admin/faults. They accumulate: counters add up and
    refresh_errors entries queue, each consumed by one refresh grant.
*/
class FaultPlan
{
public:
    //! Merges a POST /admin/faults body; returns false (with a reason) when malformed.
    //! The immediate actions are reported in \a actions for the server to carry out.
    bool merge(const QJsonObject &faults, FaultActions *actions, QString *why);
    void clear();

    //! Consumes one pending rejection of a protected request, if any.
    bool takeAccessRejection();
    //! Consumes the next scripted refresh answer, if any.
    bool takeRefreshFault(RefreshFault *fault);
    int refreshDelayMs() const { return m_refreshDelayMs; }

    //! One-shot changes to the next ID token ("id_token_claims", "id_token_kid",
    //! "id_token_tamper"); consumed together by the next ID token issued.
    struct IdTokenFault
    {
        QJsonObject claims; //!< merged over the real claims (null values remove)
        QString kid; //!< replaces the header's kid
        bool tamper = false; //!< corrupts the signature
    };
    bool takeIdTokenFault(IdTokenFault *fault);
    //! Consumes one scripted slow_down answer to a device_code poll.
    bool takeDeviceSlowDown();
    //! Consumes the scripted status of the next userinfo request (0: none).
    int takeUserinfoStatus();

    //! What /api/* demands of the user's authentication until cleared ("step_up", RFC 9470).
    struct StepUp
    {
        QString acrValues; //!< space-separated; empty: any acr
        qint64 maxAge = -1; //!< seconds since auth_time; -1: any
        bool active() const { return !acrValues.isEmpty() || maxAge >= 0; }
    };
    const StepUp &stepUp() const { return m_stepUp; }
    //! The scope /api/* demands until cleared ("require_scope", RFC 6750 §3.1); empty: none.
    QString requiredScope() const { return m_requiredScope; }

    //! Consumes one scripted refusal of a DPoP proof ("dpop_reject", the next
    //! "dpop_reject_times" proofs, default 1): the error code (use_dpop_nonce or
    //! invalid_dpop_proof), or empty.
    QString takeDpopReject();
    //! "dpop_consume_before_nonce": a refresh refused with use_dpop_nonce is rotated first.
    bool dpopConsumeBeforeNonce() const { return m_dpopConsumeBeforeNonce; }
    //! "clock_offset": seconds added to the server's clock.
    qint64 clockOffset() const { return m_clockOffset; }

    QJsonObject toJson() const;

private:
    int m_rejectAccessTokens = 0;
    QList<RefreshFault> m_refreshErrors;
    int m_refreshDelayMs = 0;
    IdTokenFault m_idToken;
    bool m_idTokenPending = false;
    int m_deviceSlowDown = 0;
    int m_userinfoStatus = 0;
    StepUp m_stepUp;
    QString m_requiredScope;
    QString m_dpopReject;
    int m_dpopRejectTimes = 0;
    bool m_dpopConsumeBeforeNonce = false;
    qint64 m_clockOffset = 0;
};

} // namespace SecureTokens::Mock
