// SPDX-License-Identifier: MIT
#include "faults_p.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <utility>

namespace SecureTokens::Mock {

bool FaultPlan::merge(const QJsonObject &faults, FaultActions *actions, QString *why)
{
    static const QStringList known {QStringLiteral("reject_access_tokens"),
                                    QStringLiteral("refresh_errors"),
                                    QStringLiteral("refresh_delay_ms"),
                                    QStringLiteral("expire_access_tokens"),
                                    QStringLiteral("replay_refresh_token"),
                                    QStringLiteral("id_token_claims"),
                                    QStringLiteral("id_token_kid"),
                                    QStringLiteral("id_token_tamper"),
                                    QStringLiteral("device_slow_down"),
                                    QStringLiteral("userinfo_status"),
                                    QStringLiteral("step_up"),
                                    QStringLiteral("require_scope"),
                                    QStringLiteral("dpop_nonce_rotate"),
                                    QStringLiteral("dpop_reject"),
                                    QStringLiteral("dpop_reject_times"),
                                    QStringLiteral("dpop_consume_before_nonce"),
                                    QStringLiteral("clock_offset")};
    for (auto it = faults.begin(); it != faults.end(); ++it) {
        if (!known.contains(it.key())) {
            *why = QStringLiteral("unknown fault: ") + it.key();
            return false;
        }
    }
    // Validate everything before changing anything, so a bad request has no effect.
    const QJsonValue reject = faults.value(QStringLiteral("reject_access_tokens"));
    if (!reject.isUndefined() && (!reject.isDouble() || reject.toInt(-1) < 0)) {
        *why = QStringLiteral("reject_access_tokens must be a non-negative integer");
        return false;
    }
    const QJsonValue delay = faults.value(QStringLiteral("refresh_delay_ms"));
    if (!delay.isUndefined() && (!delay.isDouble() || delay.toInt(-1) < 0)) {
        *why = QStringLiteral("refresh_delay_ms must be a non-negative integer");
        return false;
    }
    const QJsonValue idClaims = faults.value(QStringLiteral("id_token_claims"));
    const QJsonValue idKid = faults.value(QStringLiteral("id_token_kid"));
    const QJsonValue idTamper = faults.value(QStringLiteral("id_token_tamper"));
    const QJsonValue slowDown = faults.value(QStringLiteral("device_slow_down"));
    if ((!idClaims.isUndefined() && !idClaims.isObject())
        || (!idKid.isUndefined() && !idKid.isString())
        || (!idTamper.isUndefined() && !idTamper.isBool())
        || (!slowDown.isUndefined() && (!slowDown.isDouble() || slowDown.toInt(-1) < 0))) {
        *why = QStringLiteral("id_token_claims must be an object, id_token_kid a string, "
                              "id_token_tamper a boolean, device_slow_down a count");
        return false;
    }
    const QJsonValue userinfo = faults.value(QStringLiteral("userinfo_status"));
    if (!userinfo.isUndefined()
        && (!userinfo.isDouble() || userinfo.toInt(-1) < 400 || userinfo.toInt(-1) > 599)) {
        *why = QStringLiteral("userinfo_status must be a 4xx or 5xx status");
        return false;
    }
    // Values that go into a WWW-Authenticate quoted-string: printable, no '"' or '\\'.
    static const QRegularExpression quotable(
            QStringLiteral("^[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]*$"));
    const QJsonValue stepUp = faults.value(QStringLiteral("step_up"));
    StepUp newStepUp;
    if (stepUp.isObject()) {
        const QJsonObject o = stepUp.toObject();
        const QJsonValue acr = o.value(QStringLiteral("acr_values"));
        const QJsonValue maxAge = o.value(QStringLiteral("max_age"));
        const bool acrOk = acr.isUndefined()
                || (acr.isString() && quotable.match(acr.toString()).hasMatch());
        const bool maxAgeOk
                = maxAge.isUndefined() || (maxAge.isDouble() && maxAge.toInteger(-1) >= 0);
        if (!acrOk || !maxAgeOk || (acr.isUndefined() && maxAge.isUndefined())
            || o.size() != int(!acr.isUndefined()) + int(!maxAge.isUndefined())) {
            *why = QStringLiteral("step_up needs acr_values (a string) and/or max_age (seconds)");
            return false;
        }
        newStepUp.acrValues = acr.toString().simplified();
        newStepUp.maxAge = maxAge.isUndefined() ? -1 : maxAge.toInteger();
    } else if (!stepUp.isUndefined() && !stepUp.isNull()) {
        *why = QStringLiteral("step_up must be an object or null");
        return false;
    }
    const QJsonValue scope = faults.value(QStringLiteral("require_scope"));
    static const QRegularExpression scopeToken(QStringLiteral("^[\\x21\\x23-\\x5B\\x5D-\\x7E]*$"));
    if (!scope.isUndefined() && !scope.isNull()
        && (!scope.isString() || !scopeToken.match(scope.toString()).hasMatch())) {
        *why = QStringLiteral(
                "require_scope must be one scope (RFC 6749 §3.3 scope-token) or null");
        return false;
    }
    const QJsonValue rotate = faults.value(QStringLiteral("dpop_nonce_rotate"));
    const QJsonValue dpopReject = faults.value(QStringLiteral("dpop_reject"));
    const QJsonValue rejectTimes = faults.value(QStringLiteral("dpop_reject_times"));
    const QJsonValue consume = faults.value(QStringLiteral("dpop_consume_before_nonce"));
    const QJsonValue clock = faults.value(QStringLiteral("clock_offset"));
    if ((!rotate.isUndefined() && !rotate.isBool()) || (!consume.isUndefined() && !consume.isBool())
        || (!dpopReject.isUndefined() && dpopReject.toString() != QLatin1String("use_dpop_nonce")
            && dpopReject.toString() != QLatin1String("invalid_dpop_proof"))
        || (!rejectTimes.isUndefined()
            && (dpopReject.isUndefined() || rejectTimes.toInt(0) < 1
                || rejectTimes.toDouble() != double(rejectTimes.toInt())))
        || (!clock.isUndefined()
            && (!clock.isDouble() || clock.toDouble() != double(clock.toInteger())))) {
        *why = QStringLiteral("dpop_nonce_rotate and dpop_consume_before_nonce must be booleans, "
                              "dpop_reject use_dpop_nonce or invalid_dpop_proof, "
                              "dpop_reject_times a positive integer with dpop_reject, "
                              "clock_offset whole seconds");
        return false;
    }
    QList<RefreshFault> queued;
    const QJsonValue errors = faults.value(QStringLiteral("refresh_errors"));
    if (!errors.isUndefined()) {
        if (!errors.isArray()) {
            *why = QStringLiteral("refresh_errors must be an array");
            return false;
        }
        for (const QJsonValue &v : errors.toArray()) {
            const QJsonObject o = v.toObject();
            RefreshFault f;
            f.drop = o.value(QStringLiteral("drop")).toBool();
            f.malformed = o.value(QStringLiteral("malformed")).toBool();
            f.status = o.value(QStringLiteral("status")).toInt(0);
            f.error = o.value(QStringLiteral("error")).toString();
            f.retryAfter = o.value(QStringLiteral("retry_after")).toInteger(-1);
            f.body = o.value(QStringLiteral("body")).toString();
            if (!f.body.isEmpty() && f.body != QLatin1String("html")
                && f.body != QLatin1String("json")) {
                *why = QStringLiteral("refresh_errors body must be \"html\" or \"json\"");
                return false;
            }
            if (!f.drop && !f.malformed && f.error.isEmpty()
                && (f.status < 400 || f.status > 599)) {
                *why = QStringLiteral("each refresh_errors entry needs drop, malformed, error or "
                                      "a 4xx/5xx status");
                return false;
            }
            if (f.status == 0)
                f.status = f.error == QLatin1String("invalid_client") ? 401 : 400;
            if (f.error.isEmpty()) {
                f.error = (f.status == 503 || f.status == 429)
                        ? QStringLiteral("temporarily_unavailable")
                        : f.status >= 500 ? QStringLiteral("server_error")
                                          : QStringLiteral("invalid_request");
            }
            queued.append(f);
        }
    }
    m_rejectAccessTokens += reject.toInt(0);
    m_refreshErrors.append(queued);
    if (!delay.isUndefined())
        m_refreshDelayMs = delay.toInt();
    if (!idClaims.isUndefined() || !idKid.isUndefined() || !idTamper.isUndefined()) {
        m_idTokenPending = true;
        const QJsonObject extra = idClaims.toObject();
        for (auto it = extra.begin(); it != extra.end(); ++it)
            m_idToken.claims.insert(it.key(), it.value());
        if (idKid.isString())
            m_idToken.kid = idKid.toString();
        m_idToken.tamper = m_idToken.tamper || idTamper.toBool();
    }
    m_deviceSlowDown += slowDown.toInt(0);
    if (!userinfo.isUndefined())
        m_userinfoStatus = userinfo.toInt();
    if (!stepUp.isUndefined())
        m_stepUp = newStepUp;
    if (!scope.isUndefined())
        m_requiredScope = scope.toString();
    if (!dpopReject.isUndefined()) {
        m_dpopReject = dpopReject.toString();
        m_dpopRejectTimes = rejectTimes.toInt(1);
    }
    if (!consume.isUndefined())
        m_dpopConsumeBeforeNonce = consume.toBool();
    if (!clock.isUndefined())
        m_clockOffset = clock.toInteger();
    actions->rotateDpopNonces = rotate.toBool();
    actions->expireAccessTokens = faults.value(QStringLiteral("expire_access_tokens")).toBool();
    actions->replayRefreshTokens = faults.value(QStringLiteral("replay_refresh_token")).toBool();
    return true;
}

void FaultPlan::clear()
{
    m_rejectAccessTokens = 0;
    m_refreshErrors.clear();
    m_refreshDelayMs = 0;
    m_idToken = {};
    m_idTokenPending = false;
    m_deviceSlowDown = 0;
    m_userinfoStatus = 0;
    m_stepUp = {};
    m_requiredScope.clear();
    m_dpopReject.clear();
    m_dpopRejectTimes = 0;
    m_dpopConsumeBeforeNonce = false;
    m_clockOffset = 0;
}

QString FaultPlan::takeDpopReject()
{
    if (m_dpopReject.isEmpty())
        return {};
    const QString reject = m_dpopReject;
    if (--m_dpopRejectTimes <= 0)
        m_dpopReject.clear();
    return reject;
}

int FaultPlan::takeUserinfoStatus()
{
    return std::exchange(m_userinfoStatus, 0);
}

bool FaultPlan::takeIdTokenFault(IdTokenFault *fault)
{
    if (!m_idTokenPending)
        return false;
    *fault = m_idToken;
    m_idToken = {};
    m_idTokenPending = false;
    return true;
}

bool FaultPlan::takeDeviceSlowDown()
{
    if (m_deviceSlowDown <= 0)
        return false;
    --m_deviceSlowDown;
    return true;
}

bool FaultPlan::takeAccessRejection()
{
    if (m_rejectAccessTokens <= 0)
        return false;
    --m_rejectAccessTokens;
    return true;
}

bool FaultPlan::takeRefreshFault(RefreshFault *fault)
{
    if (m_refreshErrors.isEmpty())
        return false;
    *fault = m_refreshErrors.takeFirst();
    return true;
}

QJsonObject FaultPlan::toJson() const
{
    QJsonArray errors;
    for (const RefreshFault &f : m_refreshErrors) {
        QJsonObject o {{QStringLiteral("status"), f.status}, {QStringLiteral("error"), f.error}};
        if (f.drop)
            o.insert(QStringLiteral("drop"), true);
        if (f.malformed)
            o.insert(QStringLiteral("malformed"), true);
        if (f.retryAfter >= 0)
            o.insert(QStringLiteral("retry_after"), f.retryAfter);
        if (!f.body.isEmpty())
            o.insert(QStringLiteral("body"), f.body);
        errors.append(o);
    }
    QJsonValue stepUpJson(QJsonValue::Null);
    if (m_stepUp.active()) {
        QJsonObject o;
        if (!m_stepUp.acrValues.isEmpty())
            o.insert(QStringLiteral("acr_values"), m_stepUp.acrValues);
        if (m_stepUp.maxAge >= 0)
            o.insert(QStringLiteral("max_age"), m_stepUp.maxAge);
        stepUpJson = o;
    }
    return QJsonObject {
            {QStringLiteral("reject_access_tokens"), m_rejectAccessTokens},
            {QStringLiteral("refresh_errors"), errors},
            {QStringLiteral("refresh_delay_ms"), m_refreshDelayMs},
            {QStringLiteral("id_token_pending"), m_idTokenPending},
            {QStringLiteral("device_slow_down"), m_deviceSlowDown},
            {QStringLiteral("userinfo_status"), m_userinfoStatus},
            {QStringLiteral("step_up"), stepUpJson},
            {QStringLiteral("require_scope"),
             m_requiredScope.isEmpty() ? QJsonValue(QJsonValue::Null)
                                       : QJsonValue(m_requiredScope)},
            {QStringLiteral("dpop_reject"),
             m_dpopReject.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(m_dpopReject)},
            {QStringLiteral("dpop_reject_times"), m_dpopReject.isEmpty() ? 0 : m_dpopRejectTimes},
            {QStringLiteral("dpop_consume_before_nonce"), m_dpopConsumeBeforeNonce},
            {QStringLiteral("clock_offset"), m_clockOffset}};
}

} // namespace SecureTokens::Mock
