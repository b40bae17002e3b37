// SPDX-License-Identifier: MIT
// The admin API (only with --admin, only for loopback peers): counters, fault
// injection and the list of issued tokens for leak-scanning tests.
#include "mockauthserver_p.h"

#include "logging_p.h"

#include <QJsonDocument>

namespace SecureTokens::Mock {

void MockAuthServerPrivate::replayRefreshTokens()
{
    // Plays the thief: present an already-consumed token of every live family.
    // A family that never rotated gets its live token used once first (by the
    // "thief"), so that presenting it again is a reuse.
    const qint64 now = nowMs();
    for (const QString &id : refreshTokens.liveFamilyIds(now)) {
        QByteArray consumed = refreshTokens.consumedHashOf(id);
        if (consumed.isEmpty()) {
            consumed = refreshTokens.currentHashOf(id);
            refreshTokens.redeemHash(consumed, now, false);
        }
        const auto result = refreshTokens.redeemHash(consumed, now, false);
        if (result.outcome == RefreshTokenStore::Outcome::ReuseDetected)
            count(QStringLiteral("reuse_detected"));
    }
    saveState();
    qCInfo(lcMockServer, "replayed a consumed refresh token of every live family");
}

void MockAuthServerPrivate::applyFaults(const QJsonObject &json, QString *why, bool *ok)
{
    // A scope nobody can be granted would be a fault no client can ever satisfy.
    const QJsonValue scope = json.value(QStringLiteral("require_scope"));
    if (scope.isString() && !scope.toString().isEmpty()
        && !supportedScopes().contains(scope.toString())) {
        *why = QStringLiteral("require_scope names an unknown scope");
        *ok = false;
        return;
    }
    FaultActions actions;
    *ok = faults.merge(json, &actions, why);
    if (!*ok)
        return;
    qCInfo(lcMockServer, "faults updated");
    if (actions.expireAccessTokens)
        expireAllAccessTokens();
    if (actions.replayRefreshTokens)
        replayRefreshTokens();
    if (actions.rotateDpopNonces) {
        dpop.rotateNonces();
        qCInfo(lcMockServer, "DPoP nonces rotated");
    }
}

Response MockAuthServerPrivate::admin(const Request &request)
{
    const auto notAllowed = [](const QByteArray &allow) {
        Response r = Response::error(405, QStringLiteral("invalid_request"),
                                     QStringLiteral("method not allowed"));
        r.setHeader("Allow", allow);
        return r;
    };
    if (request.path == QLatin1String("/admin/stats")) {
        if (request.method != "GET")
            return notAllowed("GET");
        return Response::json(stats()).noStore();
    }
    if (request.path == QLatin1String("/admin/tokens")) {
        if (request.method != "GET")
            return notAllowed("GET");
        return Response::json(tokens()).noStore();
    }
    if (request.path == QLatin1String("/admin/faults")) {
        if (request.method == "GET")
            return Response::json(faults.toJson()).noStore();
        if (request.method == "DELETE") {
            faults.clear();
            qCInfo(lcMockServer, "faults cleared");
            return Response::json(faults.toJson()).noStore();
        }
        if (request.method != "POST")
            return notAllowed("GET, POST, DELETE");
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject())
            return Response::error(400, QStringLiteral("invalid_request"),
                                   QStringLiteral("expected a JSON object"));
        QString why;
        bool ok = false;
        applyFaults(doc.object(), &why, &ok);
        if (!ok)
            return Response::error(400, QStringLiteral("invalid_request"), why);
        return Response::json(faults.toJson()).noStore();
    }
    return Response::error(404, QStringLiteral("not_found"), QStringLiteral("no such endpoint"));
}

} // namespace SecureTokens::Mock
