// SPDX-License-Identifier: MIT
// Web-app-style session: the refresh token travels in an HttpOnly, Secure,
// SameSite=Strict cookie scoped to /auth (RFC 6265bis), and state-changing
// calls need a CSRF token in a header (double-submit, bound to the family).
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

#include <QJsonDocument>

namespace SecureTokens::Mock {

namespace {

const QByteArray cookieName = QByteArrayLiteral("refresh_token");
const QByteArray cookieAttributes
        = QByteArrayLiteral("; HttpOnly; Secure; SameSite=Strict; Path=/auth");

QByteArray refreshCookie(const Request &request)
{
    for (const QByteArray &part : request.header("Cookie").split(';')) {
        const int eq = part.indexOf('=');
        if (eq > 0 && part.left(eq).trimmed() == cookieName)
            return part.mid(eq + 1).trimmed();
    }
    return {};
}

void setRefreshCookie(Response &r, const QByteArray &token, qint64 maxAge)
{
    r.headers.append({"Set-Cookie",
                      cookieName + '=' + token + cookieAttributes
                              + "; Max-Age=" + QByteArray::number(maxAge)});
}

void clearRefreshCookie(Response &r)
{
    r.headers.append({"Set-Cookie", cookieName + '=' + cookieAttributes + "; Max-Age=0"});
}

Response methodNotAllowed()
{
    Response r = Response::error(405, QStringLiteral("invalid_request"),
                                 QStringLiteral("method not allowed"));
    r.setHeader("Allow", "POST");
    return r;
}

Response csrfFailure(const QString &why)
{
    return Response::error(403, QStringLiteral("csrf_failed"), why);
}

} // namespace

Response MockAuthServerPrivate::cookieLogin(const Request &request)
{
    if (request.method != "POST")
        return methodNotAllowed();
    if (request.mediaType() != "application/json")
        return Response::error(400, QStringLiteral("invalid_request"),
                               QStringLiteral("expected application/json"));
    const QJsonDocument doc = QJsonDocument::fromJson(request.body());
    const QJsonObject body = doc.object();
    const QString user = body.value(QStringLiteral("username")).toString();
    const QJsonValue password = body.value(QStringLiteral("password"));
    if (!doc.isObject() || user.isEmpty() || !password.isString())
        return Response::error(400, QStringLiteral("invalid_request"),
                               QStringLiteral("username and password required"));
    const QString clientId = body.value(QStringLiteral("client_id"))
                                     .toString(config.clients.value(0, QStringLiteral("web")));
    if (!isClient(clientId))
        return Response::error(401, QStringLiteral("invalid_client"),
                               QStringLiteral("unknown client"));
    if (const qint64 wait = loginRetryAfter(user, clientId)) {
        count(QStringLiteral("rate_limited"));
        Response r = Response::error(429, QStringLiteral("temporarily_unavailable"),
                                     QStringLiteral("too many failed sign-ins; try later"));
        r.setHeader("Retry-After", QByteArray::number(wait));
        return r;
    }
    const bool good = checkPassword(user, password.toString());
    recordLogin(user, clientId, good);
    if (!good)
        return Response::error(401, QStringLiteral("invalid_grant"),
                               QStringLiteral("invalid username or password"));

    TokenFamily family;
    family.user = user;
    family.clientId = clientId;
    family.scope = QStringLiteral("openid profile email items");
    family.origin = QStringLiteral("cookie");
    const QByteArray csrf = Crypto::newOpaqueToken();
    family.csrfHash = Crypto::sha256(csrf);
    const QByteArray refresh = refreshTokens.createFamily(family, nowMs());
    saveState();
    count(QStringLiteral("cookie_logins"));
    qCInfo(lcMockServer, "cookie sign-in: session started");

    qint64 expiresIn = 0;
    const QByteArray access = issueAccessToken(*refreshTokens.familyOf(refresh), &expiresIn);
    Response r = Response::json(
            QJsonObject {{QStringLiteral("access_token"), QString::fromLatin1(access)},
                         {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                         {QStringLiteral("expires_in"), expiresIn},
                         {QStringLiteral("csrf_token"), QString::fromLatin1(csrf)}});
    setRefreshCookie(r, refresh, config.refreshTtl);
    return r.noStore();
}

Response MockAuthServerPrivate::cookieRefresh(const Request &request)
{
    if (request.method != "POST")
        return methodNotAllowed();
    const QByteArray csrf = request.header("X-CSRF-Token");
    if (csrf.isEmpty()) {
        count(QStringLiteral("csrf_failures"));
        return csrfFailure(QStringLiteral("missing X-CSRF-Token header"));
    }
    const QByteArray token = refreshCookie(request);
    if (token.isEmpty())
        return Response::error(401, QStringLiteral("invalid_grant"),
                               QStringLiteral("missing refresh cookie"));
    const TokenFamily *family = refreshTokens.familyOf(token);
    if (!family) {
        Response r = Response::error(401, QStringLiteral("invalid_grant"),
                                     QStringLiteral("unknown refresh cookie"));
        clearRefreshCookie(r);
        return r;
    }
    if (!Crypto::constantTimeEquals(Crypto::sha256(csrf), family->csrfHash)) {
        count(QStringLiteral("csrf_failures"));
        return csrfFailure(QStringLiteral("X-CSRF-Token does not match the session"));
    }
    // Same fault script as the token endpoint; a faulted refresh consumes nothing.
    Response fault;
    if (takeRefreshFault(&fault))
        return delayed(fault);

    const auto result = refreshTokens.redeem(token, nowMs());
    if (result.outcome == RefreshTokenStore::Outcome::Rotated
        || result.outcome == RefreshTokenStore::Outcome::GraceReplay) {
        const QByteArray newCsrf = Crypto::newOpaqueToken();
        refreshTokens.setCsrfHash(result.family.id, Crypto::sha256(newCsrf));
        saveState();
        count(QStringLiteral("cookie_refreshes"));
        if (result.outcome == RefreshTokenStore::Outcome::GraceReplay)
            count(QStringLiteral("grace_reuses"));
        qint64 expiresIn = 0;
        const QByteArray access = issueAccessToken(result.family, &expiresIn);
        Response r = Response::json(
                QJsonObject {{QStringLiteral("access_token"), QString::fromLatin1(access)},
                             {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                             {QStringLiteral("expires_in"), expiresIn},
                             {QStringLiteral("csrf_token"), QString::fromLatin1(newCsrf)}});
        setRefreshCookie(r, result.token, config.refreshTtl);
        return delayed(r.noStore());
    }
    QString why = QStringLiteral("refresh cookie no longer valid");
    if (result.outcome == RefreshTokenStore::Outcome::ReuseDetected) {
        saveState();
        count(QStringLiteral("reuse_detected"));
        qCWarning(lcMockServer, "refresh cookie reuse detected: family revoked");
        why = QStringLiteral("refresh token reuse detected");
    } else if (result.outcome == RefreshTokenStore::Outcome::Expired) {
        why = QStringLiteral("refresh token expired");
    }
    Response r = Response::error(401, QStringLiteral("invalid_grant"), why);
    clearRefreshCookie(r);
    return delayed(r);
}

Response MockAuthServerPrivate::cookieLogout(const Request &request)
{
    if (request.method != "POST")
        return methodNotAllowed();
    const QByteArray csrf = request.header("X-CSRF-Token");
    if (csrf.isEmpty()) {
        count(QStringLiteral("csrf_failures"));
        return csrfFailure(QStringLiteral("missing X-CSRF-Token header"));
    }
    const QByteArray token = refreshCookie(request);
    if (const TokenFamily *family = token.isEmpty() ? nullptr : refreshTokens.familyOf(token)) {
        if (!Crypto::constantTimeEquals(Crypto::sha256(csrf), family->csrfHash)) {
            count(QStringLiteral("csrf_failures"));
            return csrfFailure(QStringLiteral("X-CSRF-Token does not match the session"));
        }
        revokeFamily(family->id, QStringLiteral("logout"));
    }
    count(QStringLiteral("cookie_logouts"));
    qCInfo(lcMockServer, "cookie sign-out");
    Response r = Response::json(QJsonObject {{QStringLiteral("signed_out"), true}});
    clearRefreshCookie(r);
    return r.noStore();
}

} // namespace SecureTokens::Mock
