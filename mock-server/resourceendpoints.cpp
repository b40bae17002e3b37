// SPDX-License-Identifier: MIT
// Protected resources (/api/*) and their access-token checks: Bearer (RFC
// 6750) and DPoP-bound (RFC 9449 §7), the audience of extra resource servers
// (RFC 8707), step-up (RFC 9470) and the required scope.
#include "mockauthserver_p.h"

#include "logging_p.h"

#include <QJsonArray>

namespace SecureTokens::Mock {

namespace {

Response bearerError(int status, const QString &error, const QString &description,
                     const QByteArray &extra = {})
{
    return MockAuthServerPrivate::resourceError("Bearer", status, error, description, extra);
}

} // namespace

Response MockAuthServerPrivate::resourceError(const QByteArray &scheme, int status,
                                              const QString &error, const QString &description,
                                              const QByteArray &extra)
{
    // RFC 6750 §3 / RFC 9449 §7.1: the challenge with an error code and a description;
    // a DPoP one also names the algorithms accepted.
    Response r = Response::error(status, error, description);
    const bool dpopScheme = scheme == "DPoP";
    QByteArray challenge = (dpopScheme ? "DPoP" : "Bearer") + QByteArray(" error=\"")
            + error.toLatin1() + "\", error_description=\"" + description.toLatin1() + '"';
    if (!extra.isEmpty())
        challenge += ", " + extra;
    if (dpopScheme)
        challenge += ", algs=\"ES256\"";
    r.setHeader("WWW-Authenticate", challenge);
    return r;
}

QString MockAuthServerPrivate::checkAccessToken(const QByteArray &token, QJsonObject *claims)
{
    switch (signer->verify(token, claims)) {
    case JwtSigner::Verdict::Valid:
        break;
    case JwtSigner::Verdict::Malformed:
        return QStringLiteral("malformed token");
    case JwtSigner::Verdict::WrongAlgorithm:
        return QStringLiteral("unexpected signature algorithm");
    case JwtSigner::Verdict::BadSignature:
        return QStringLiteral("invalid signature");
    }
    if (claims->value(QStringLiteral("iss")).toString() != issuer())
        return QStringLiteral("wrong issuer");
    const QString jti = claims->value(QStringLiteral("jti")).toString();
    const qint64 now = nowMs();
    const auto record = accessTokens.constFind(jti);
    const qint64 expiresAtMs = record != accessTokens.cend()
            ? record->expiresAtMs
            : qint64(claims->value(QStringLiteral("exp")).toDouble()) * 1000;
    if (expiresAtMs <= now || forcedExpiredAccessTokens.contains(jti))
        return QStringLiteral("token expired");
    if (revokedAccessTokens.contains(jti))
        return QStringLiteral("token revoked");
    // Ending a grant (revocation, reuse detection, code replay) also ends its access tokens.
    if (record != accessTokens.cend()) {
        const TokenFamily *family = refreshTokens.family(record->familyId);
        if (family && family->revoked)
            return QStringLiteral("token revoked");
    }
    return {};
}

void MockAuthServerPrivate::expireAllAccessTokens()
{
    for (auto it = accessTokens.cbegin(); it != accessTokens.cend(); ++it)
        forcedExpiredAccessTokens.insert(it.key());
}

QByteArray MockAuthServerPrivate::accessTokenOf(const Request &request, QByteArray *scheme)
{
    const QByteArray authorization = request.header("Authorization");
    const int space = authorization.indexOf(' ');
    scheme->clear();
    if (space <= 0)
        return {};
    const QByteArray name = authorization.left(space);
    if (name.compare("Bearer", Qt::CaseInsensitive) == 0)
        *scheme = "Bearer";
    else if (name.compare("DPoP", Qt::CaseInsensitive) == 0)
        *scheme = "DPoP";
    else
        return {};
    return authorization.mid(space + 1).trimmed();
}

void MockAuthServerPrivate::countResource(const ResourceServer &server, const QString &what)
{
    if (!server.audience.isEmpty()) {
        audienceCounters[server.audience][what] += 1;
        return;
    }
    count(what == QLatin1String("requests") ? QStringLiteral("protected_requests") : what);
}

bool MockAuthServerPrivate::authorizeResourceRequest(const Request &request,
                                                     const QByteArray &scheme,
                                                     const QByteArray &token,
                                                     const ResourceServer &server,
                                                     QJsonObject *claims, Response *refusal)
{
    if (scheme.isEmpty()) {
        // RFC 6750 §3.1: no credentials at all → a bare challenge, no error code.
        *refusal = Response::json(QJsonObject {{QStringLiteral("error_description"),
                                                QStringLiteral("authentication required")}},
                                  401);
        refusal->setHeader("WWW-Authenticate", "Bearer");
        refusal->noStore();
        return false;
    }
    if (token.isEmpty()) {
        *refusal = bearerError(400, QStringLiteral("invalid_request"),
                               QStringLiteral("empty token"));
        return false;
    }
    const QString problem = checkAccessToken(token, claims);
    if (!problem.isEmpty()) {
        qCInfo(lcMockServer, "protected request refused: %ls", qUtf16Printable(problem));
        *refusal = resourceError(scheme, 401, QStringLiteral("invalid_token"), problem);
        return false;
    }
    // RFC 8707 §2 / RFC 9068 §4: a resource server only takes tokens meant for it.
    if (!server.audience.isEmpty()) {
        const QJsonValue aud = claims->value(QStringLiteral("aud"));
        const bool forUs = aud.isString() ? aud.toString() == server.audience
                                          : aud.toArray().contains(server.audience);
        if (!forUs) {
            qCInfo(lcMockServer, "protected request refused: token for another audience");
            *refusal = resourceError(scheme, 401, QStringLiteral("invalid_token"),
                                     QStringLiteral("the token is not meant for this resource "
                                                    "server (aud)"));
            return false;
        }
    }
    // RFC 9449 §6.1, §7: a token with cnf.jkt is used with the DPoP scheme and a proof of
    // that key, never as a bearer token (§7.2); a DPoP-scheme token must be bound.
    const QByteArray bound = claims->value(QStringLiteral("cnf"))
                                     .toObject()
                                     .value(QStringLiteral("jkt"))
                                     .toString()
                                     .toLatin1();
    if (scheme == "Bearer") {
        if (bound.isEmpty())
            return true;
        count(QStringLiteral("dpop_rejected"));
        *refusal = resourceError("DPoP", 401, QStringLiteral("invalid_token"),
                                 QStringLiteral("a DPoP-bound token cannot be used as a bearer "
                                                "token"));
        return false;
    }
    if (bound.isEmpty()) {
        *refusal = resourceError("DPoP", 401, QStringLiteral("invalid_token"),
                                 QStringLiteral("the token is not DPoP-bound"));
        return false;
    }
    QByteArray jkt;
    if (checkResourceProof(request, token, server, &jkt, refusal) != DpopResult::Valid)
        return false;
    if (jkt != bound) {
        count(QStringLiteral("dpop_rejected"));
        *refusal = resourceError("DPoP", 401, QStringLiteral("invalid_token"),
                                 QStringLiteral("Invalid DPoP key binding"));
        return false;
    }
    return true;
}

Response MockAuthServerPrivate::api(const Request &request)
{
    return api(request, ResourceServer {});
}

Response MockAuthServerPrivate::api(const Request &request, const ResourceServer &server)
{
    countResource(server, QStringLiteral("requests"));
    QByteArray scheme;
    const QByteArray token = accessTokenOf(request, &scheme);
    QJsonObject claims;
    Response refusal;
    if (!scheme.isEmpty() && !token.isEmpty() && faults.takeAccessRejection()) {
        countResource(server, QStringLiteral("unauthorized"));
        count(QStringLiteral("faults_applied"));
        return resourceError(scheme, 401, QStringLiteral("invalid_token"),
                             QStringLiteral("token rejected (injected fault)"));
    }
    if (!authorizeResourceRequest(request, scheme, token, server, &claims, &refusal)) {
        if (refusal.status == 401)
            countResource(server, QStringLiteral("unauthorized"));
        return refusal;
    }
    const QStringList scopes = claims.value(QStringLiteral("scope"))
                                       .toString()
                                       .split(QLatin1Char(' '), Qt::SkipEmptyParts);
    // RFC 9470 §3: the token is fine, the authentication behind it is not (enough).
    if (const FaultPlan::StepUp &stepUp = faults.stepUp(); stepUp.active()) {
        const QString acr = claims.value(QStringLiteral("acr")).toString();
        const bool acrOk = stepUp.acrValues.isEmpty()
                || (!acr.isEmpty() && stepUp.acrValues.split(QLatin1Char(' ')).contains(acr));
        const QJsonValue authTime = claims.value(QStringLiteral("auth_time"));
        const bool ageOk = stepUp.maxAge < 0
                || (authTime.isDouble() && nowMs() / 1000 - authTime.toInteger() <= stepUp.maxAge);
        if (!acrOk || !ageOk) {
            countResource(server, QStringLiteral("unauthorized"));
            count(QStringLiteral("step_up_challenges"));
            QByteArray extra;
            if (!stepUp.acrValues.isEmpty())
                extra += "acr_values=\"" + stepUp.acrValues.toLatin1() + '"';
            if (stepUp.maxAge >= 0) {
                if (!extra.isEmpty())
                    extra += ", ";
                extra += "max_age=\"" + QByteArray::number(stepUp.maxAge) + '"';
            }
            qCInfo(lcMockServer, "protected request refused: step-up authentication required");
            return resourceError(scheme, 401, QStringLiteral("insufficient_user_authentication"),
                                 !acrOk ? QStringLiteral("a different authentication level is "
                                                         "required")
                                        : QStringLiteral("more recent authentication is required"),
                                 extra);
        }
    }
    // RFC 6750 §3.1: the scope this resource needs (the require_scope fault).
    if (const QString needed = faults.requiredScope();
        !needed.isEmpty() && !scopes.contains(needed)) {
        count(QStringLiteral("insufficient_scope"));
        return resourceError(scheme, 403, QStringLiteral("insufficient_scope"),
                             QStringLiteral("the %1 scope is required").arg(needed),
                             "scope=\"" + needed.toLatin1() + '"');
    }
    countResource(server, QStringLiteral("authorized_requests"));
    Response r = resourceAnswer(request, scheme, claims, scopes);
    // RFC 9449 §9: the nonce to use next rides on the answer.
    if (scheme == "DPoP" && config.dpopNonce)
        r.setHeader("DPoP-Nonce", dpop.nonce(nonceContext(server)));
    return r;
}

Response MockAuthServerPrivate::resourceAnswer(const Request &request, const QByteArray &scheme,
                                               const QJsonObject &claims, const QStringList &scopes)
{
    const QString sub = claims.value(QStringLiteral("sub")).toString();
    const auto onlyGet = [&request]() {
        Response r = Response::error(405, QStringLiteral("invalid_request"),
                                     QStringLiteral("method not allowed"));
        r.setHeader("Allow", "GET");
        return r;
    };
    if (request.path == QLatin1String("/api/me")) {
        if (request.method != "GET")
            return onlyGet();
        QString name = sub;
        if (!name.isEmpty())
            name[0] = name[0].toUpper();
        return Response::json(QJsonObject {{QStringLiteral("sub"), sub},
                                           {QStringLiteral("name"), name},
                                           {QStringLiteral("email"),
                                            sub + QStringLiteral("@example.com")}})
                .noStore();
    }
    if (request.path == QLatin1String("/api/items")) {
        if (request.method != "GET")
            return onlyGet();
        if (!scopes.contains(QStringLiteral("items"))) {
            count(QStringLiteral("insufficient_scope"));
            return resourceError(scheme, 403, QStringLiteral("insufficient_scope"),
                                 QStringLiteral("the items scope is required"), "scope=\"items\"");
        }
        QJsonArray items;
        const QStringList names {QStringLiteral("Rotate refresh tokens"),
                                 QStringLiteral("Keep access tokens in memory"),
                                 QStringLiteral("Store refresh tokens in the keychain")};
        for (int i = 0; i < names.size(); ++i) {
            items.append(QJsonObject {{QStringLiteral("id"), i + 1},
                                      {QStringLiteral("title"), names[i]},
                                      {QStringLiteral("owner"), sub}});
        }
        return Response::json(QJsonValue(items)).noStore();
    }
    if (request.path == QLatin1String("/api/echo")) {
        // Echoes everything, Authorization included: tests use it to see what was sent.
        QJsonObject headers;
        for (const auto &h : request.headers()) {
            const QString name = QString::fromLatin1(h.first);
            const QString value = QString::fromLatin1(h.second);
            headers.insert(name,
                           headers.contains(name)
                                   ? headers.value(name).toString() + QStringLiteral(", ") + value
                                   : value);
        }
        return Response::json(
                       QJsonObject {{QStringLiteral("method"), QString::fromLatin1(request.method)},
                                    {QStringLiteral("path"), request.path},
                                    {QStringLiteral("headers"), headers},
                                    {QStringLiteral("body"), QString::fromUtf8(request.body())}})
                .noStore();
    }
    return Response::error(404, QStringLiteral("not_found"), QStringLiteral("no such resource"));
}

} // namespace SecureTokens::Mock
