// SPDX-License-Identifier: MIT
// The OpenID Connect UserInfo endpoint (Core §5.3): GET or POST with an access
// token (RFC 6750 §2.1 header or §2.2 form body, or a DPoP-bound token with
// its proof, RFC 9449 §7); answers the user's claims by granted scope (§5.4).
#include "mockauthserver_p.h"

#include "logging_p.h"

namespace SecureTokens::Mock {

namespace {

Response bearerChallenge(int status, const QString &error, const QString &description,
                         const QByteArray &extra = {})
{
    Response r = Response::error(status, error, description);
    QByteArray challenge = "Bearer error=\"" + error.toLatin1() + "\", error_description=\""
            + description.toLatin1() + '"';
    if (!extra.isEmpty())
        challenge += ", " + extra;
    r.setHeader("WWW-Authenticate", challenge);
    return r;
}

} // namespace

Response MockAuthServerPrivate::userinfo(const Request &request)
{
    count(QStringLiteral("userinfo_requests"));
    if (request.method != "GET" && request.method != "POST") {
        Response r = Response::error(405, QStringLiteral("invalid_request"),
                                     QStringLiteral("method not allowed"));
        r.setHeader("Allow", "GET, POST");
        return r;
    }
    if (const int status = faults.takeUserinfoStatus()) {
        count(QStringLiteral("faults_applied"));
        const QString why = QStringLiteral("injected fault");
        if (status == 401)
            return bearerChallenge(401, QStringLiteral("invalid_token"), why);
        if (status == 403)
            return bearerChallenge(403, QStringLiteral("insufficient_scope"), why,
                                   "scope=\"openid\"");
        return Response::error(status,
                               status == 503 || status == 429
                                       ? QStringLiteral("temporarily_unavailable")
                                       : status >= 500 ? QStringLiteral("server_error")
                                                       : QStringLiteral("invalid_request"),
                               why);
    }
    // RFC 6750 §2: the header, or (POST only) the form body, never both.
    QByteArray scheme;
    QByteArray token = accessTokenOf(request, &scheme);
    if (request.method == "POST" && request.mediaType() == "application/x-www-form-urlencoded") {
        bool ok = false;
        const QUrlQuery form = parseForm(request.body(), &ok);
        if (form.hasQueryItem(QStringLiteral("access_token"))) {
            if (!ok || !scheme.isEmpty())
                return bearerChallenge(400, QStringLiteral("invalid_request"),
                                       QStringLiteral("more than one way of sending the token"));
            token = formValue(form, QStringLiteral("access_token")).toLatin1();
            scheme = "Bearer";
        }
    }
    QJsonObject claims;
    Response refusal;
    if (!authorizeResourceRequest(request, scheme, token, ResourceServer {}, &claims, &refusal))
        return refusal;
    const QStringList scopes = claims.value(QStringLiteral("scope"))
                                       .toString()
                                       .split(QLatin1Char(' '), Qt::SkipEmptyParts);
    // Core §5.3: the token must come from an OpenID Connect request.
    if (!scopes.contains(QLatin1String("openid")))
        return resourceError(scheme, 403, QStringLiteral("insufficient_scope"),
                             QStringLiteral("the openid scope is required"), "scope=\"openid\"");
    const QString sub = claims.value(QStringLiteral("sub")).toString();
    // Core §5.4: claims by scope; the same values as in the ID token.
    QJsonObject info {{QStringLiteral("sub"), sub}};
    if (scopes.contains(QLatin1String("profile"))) {
        info.insert(QStringLiteral("name"), displayName(sub));
        info.insert(QStringLiteral("preferred_username"), sub);
    }
    if (scopes.contains(QLatin1String("email"))) {
        info.insert(QStringLiteral("email"), emailOf(sub));
        info.insert(QStringLiteral("email_verified"), true);
    }
    qCInfo(lcMockServer, "userinfo answered");
    Response r = Response::json(info).noStore();
    if (scheme == "DPoP" && config.dpopNonce) // RFC 9449 §9
        r.setHeader("DPoP-Nonce", dpop.nonce(nonceContext(ResourceServer {})));
    return r;
}

} // namespace SecureTokens::Mock
