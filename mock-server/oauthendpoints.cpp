// SPDX-License-Identifier: MIT
// Discovery (RFC 8414 / OpenID Connect Discovery), JWKS, the token endpoint
// (RFC 6749 §4.1.3, §4.3, §6) and revocation (RFC 7009).
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace SecureTokens::Mock {

namespace {

Response methodNotAllowed(const QByteArray &allow)
{
    Response r = Response::error(405, QStringLiteral("invalid_request"),
                                 QStringLiteral("method not allowed"));
    r.setHeader("Allow", allow);
    return r;
}

Response invalidRequest(const QString &why)
{
    return Response::error(400, QStringLiteral("invalid_request"), why);
}

Response invalidGrant(const QString &why)
{
    return Response::error(400, QStringLiteral("invalid_grant"), why);
}

} // namespace

Response MockAuthServerPrivate::discovery(const Request &request)
{
    if (request.method != "GET")
        return methodNotAllowed("GET");
    const QString base = issuer();
    // Client authentication methods (RFC 8414 §2): the secret-based ones once a
    // confidential client exists (or revocation demands authentication).
    const bool revocationAuthRequired
            = config.revocationAuth == ServerConfig::RevocationAuth::Required;
    QJsonArray tokenAuthMethods {QStringLiteral("none")};
    QJsonArray revocationAuthMethods;
    if (!revocationAuthRequired)
        revocationAuthMethods.append(QStringLiteral("none"));
    if (!config.clientSecrets.isEmpty() || revocationAuthRequired) {
        for (const char *method : {"client_secret_basic", "client_secret_post"}) {
            tokenAuthMethods.append(QLatin1String(method));
            revocationAuthMethods.append(QLatin1String(method));
        }
    }
    return Response::json(QJsonObject {
            {QStringLiteral("issuer"), base},
            {QStringLiteral("authorization_endpoint"), base + QStringLiteral("/oauth/authorize")},
            {QStringLiteral("token_endpoint"), base + QStringLiteral("/oauth/token")},
            {QStringLiteral("revocation_endpoint"), base + QStringLiteral("/oauth/revoke")},
            {QStringLiteral("device_authorization_endpoint"),
             base + QStringLiteral("/oauth/device_authorization")},
            {QStringLiteral("jwks_uri"), base + QStringLiteral("/.well-known/jwks.json")},
            {QStringLiteral("userinfo_endpoint"), base + QStringLiteral("/oauth/userinfo")},
            {QStringLiteral("end_session_endpoint"), base + QStringLiteral("/oauth/logout")},
            {QStringLiteral("pushed_authorization_request_endpoint"),
             base + QStringLiteral("/oauth/par")},
            {QStringLiteral("require_pushed_authorization_requests"), config.requirePar},
            {QStringLiteral("grant_types_supported"),
             QJsonArray {QStringLiteral("authorization_code"), QStringLiteral("refresh_token"),
                         QStringLiteral("password"),
                         QStringLiteral("urn:ietf:params:oauth:grant-type:device_code")}},
            {QStringLiteral("response_types_supported"), QJsonArray {QStringLiteral("code")}},
            {QStringLiteral("code_challenge_methods_supported"),
             QJsonArray {QStringLiteral("S256")}},
            {QStringLiteral("token_endpoint_auth_methods_supported"), tokenAuthMethods},
            {QStringLiteral("revocation_endpoint_auth_methods_supported"), revocationAuthMethods},
            {QStringLiteral("prompt_values_supported"),
             QJsonArray {QStringLiteral("none"), QStringLiteral("login")}},
            {QStringLiteral("claims_supported"),
             QJsonArray {QStringLiteral("sub"), QStringLiteral("name"),
                         QStringLiteral("preferred_username"), QStringLiteral("email"),
                         QStringLiteral("email_verified"), QStringLiteral("acr"),
                         QStringLiteral("auth_time")}},
            {QStringLiteral("scopes_supported"), QJsonArray::fromStringList(supportedScopes())},
            {QStringLiteral("id_token_signing_alg_values_supported"),
             QJsonArray {idTokenSigner() ? idTokenSigner()->algorithmName()
                                         : signer->algorithmName()}},
            {QStringLiteral("subject_types_supported"), QJsonArray {QStringLiteral("public")}},
            {QStringLiteral("dpop_signing_alg_values_supported"),
             QJsonArray {QStringLiteral("ES256")}},
            {QStringLiteral("authorization_response_iss_parameter_supported"), true}});
}

Response MockAuthServerPrivate::jwks(const Request &request)
{
    if (request.method != "GET")
        return methodNotAllowed("GET");
    QJsonObject set = signer->jwks();
    // An ES256 ID-token key comes after the access-token key.
    if (IdTokenSigner *idTokens = idTokenSigner(); idTokens && !idTokens->extraJwk().isEmpty()) {
        QJsonArray keys = set.value(QStringLiteral("keys")).toArray();
        keys.append(idTokens->extraJwk());
        set.insert(QStringLiteral("keys"), keys);
    }
    return Response::json(set);
}

Response MockAuthServerPrivate::token(const Request &request)
{
    if (request.method != "POST")
        return methodNotAllowed("POST");
    // RFC 6749 §3.2: parameters are form-encoded; anything else is refused.
    if (request.mediaType() != "application/x-www-form-urlencoded") {
        count(QStringLiteral("token_errors"));
        return invalidRequest(QStringLiteral("expected application/x-www-form-urlencoded"));
    }
    bool ok = false;
    // RFC 8707 §2: resource may be repeated; nothing else may.
    TokenRequest tokenRequest;
    tokenRequest.form = parseFormAllowing(request.body(), {QStringLiteral("resource")}, &ok);
    if (!ok) {
        count(QStringLiteral("token_errors"));
        return invalidRequest(QStringLiteral("repeated parameter"));
    }
    const QUrlQuery &form = tokenRequest.form;
    const QString grantType = formValue(form, QStringLiteral("grant_type"));
    Response r;
    if (grantType.isEmpty()) {
        r = invalidRequest(QStringLiteral("missing grant_type"));
    } else if (!authenticateClient(request, form, &tokenRequest.client, &r)) {
        // r holds the refusal (RFC 6749 §5.2 invalid_request / invalid_client)
    } else if (!checkTokenRequestProof(request, &tokenRequest, &r)) {
        // r holds invalid_dpop_proof or use_dpop_nonce (RFC 9449 §5, §8)
    } else if (grantType == QLatin1String("password")) {
        r = passwordGrant(tokenRequest);
    } else if (grantType == QLatin1String("refresh_token")) {
        r = refreshGrant(tokenRequest);
    } else if (grantType == QLatin1String("authorization_code")) {
        r = authorizationCodeGrant(tokenRequest);
    } else if (grantType == QLatin1String("urn:ietf:params:oauth:grant-type:device_code")) {
        r = deviceCodeGrant(tokenRequest);
    } else {
        r = Response::error(400, QStringLiteral("unsupported_grant_type"),
                            QStringLiteral("grant type not supported"));
    }
    if (r.status >= 400)
        count(QStringLiteral("token_errors"));
    // RFC 9449 §8.2: the nonce to use next comes with every answer to a DPoP request.
    if (config.dpopNonce && !dpopHeaders(request).isEmpty() && r.header("DPoP-Nonce").isEmpty())
        r.setHeader("DPoP-Nonce", dpop.nonce(QStringLiteral("as")));
    return r;
}

bool MockAuthServerPrivate::checkTokenRequestProof(const Request &request,
                                                   TokenRequest *tokenRequest, Response *refusal)
{
    bool nonceProblem = false;
    if (checkServerProof(request, &tokenRequest->dpopJkt, refusal, &nonceProblem)
        != DpopResult::Refused)
        return true;
    // The fault mimics servers that rotate the refresh token before they ask for a
    // nonce: the client's retry with the same token is then a reuse.
    const QByteArray refreshToken
            = formValue(tokenRequest->form, QStringLiteral("refresh_token")).toLatin1();
    if (nonceProblem && faults.dpopConsumeBeforeNonce()
        && formValue(tokenRequest->form, QStringLiteral("grant_type"))
                == QLatin1String("refresh_token")) {
        const TokenFamily *family = refreshTokens.familyOf(refreshToken);
        if (family && family->clientId == tokenRequest->clientId()) {
            const auto result = refreshTokens.redeem(refreshToken, nowMs());
            if (result.outcome == RefreshTokenStore::Outcome::Rotated) {
                count(QStringLiteral("faults_applied"));
                saveState();
                qCInfo(lcMockServer, "refresh token rotated before use_dpop_nonce (fault)");
            }
        }
    }
    return false;
}

Response MockAuthServerPrivate::passwordGrant(const TokenRequest &request)
{
    const QUrlQuery &form = request.form;
    const QString &clientId = request.clientId();
    const QString user = formValue(form, QStringLiteral("username"));
    const QString password = formValue(form, QStringLiteral("password"));
    if (user.isEmpty() || !form.hasQueryItem(QStringLiteral("password")))
        return invalidRequest(QStringLiteral("missing username or password"));
    QString scope;
    if (!resolveScope(formValue(form, QStringLiteral("scope")), &scope))
        return Response::error(400, QStringLiteral("invalid_scope"),
                               QStringLiteral("unknown scope"));
    IssueOptions issue;
    Response refusal;
    if (!resolveAudience({}, form, &issue.audience, &refusal))
        return refusal;
    if (const qint64 wait = loginRetryAfter(user, clientId)) {
        count(QStringLiteral("rate_limited"));
        Response r = Response::error(429, QStringLiteral("temporarily_unavailable"),
                                     QStringLiteral("too many failed sign-ins; try later"));
        r.setHeader("Retry-After", QByteArray::number(wait));
        return r;
    }
    const bool good = checkPassword(user, password);
    recordLogin(user, clientId, good);
    if (!good) {
        qCInfo(lcMockServer, "password grant refused: bad credentials");
        return invalidGrant(QStringLiteral("invalid username or password"));
    }
    TokenFamily family;
    family.user = user;
    family.clientId = clientId;
    family.scope = scope;
    family.origin = QStringLiteral("password");
    family.resources = issue.audience;
    // Like Keycloak, Okta and Auth0: an ID token when "openid" is granted.
    issue.openIdGrant = true;
    // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key.
    issue.dpopJkt = request.dpopJkt;
    if (!request.client.authenticated)
        family.dpopJkt = request.dpopJkt;
    const QByteArray refresh = refreshTokens.createFamily(family, nowMs());
    saveState();
    count(QStringLiteral("password_grants"));
    qCInfo(lcMockServer, "password grant: tokens issued");
    return tokenResponse(*refreshTokens.familyOf(refresh), refresh, issue);
}

bool MockAuthServerPrivate::takeRefreshFault(Response *response)
{
    RefreshFault fault;
    if (!faults.takeRefreshFault(&fault))
        return false;
    count(QStringLiteral("faults_applied"));
    qCInfo(lcMockServer, "refresh fault injected");
    if (fault.drop) {
        response->drop = true;
        return true;
    }
    if (fault.malformed) {
        // A JSON answer cut short, as from a broken proxy: the token is not consumed.
        *response = Response();
        response->setHeader("Content-Type", "application/json");
        response->body = QByteArrayLiteral("{\"access_token\": \"");
        response->noStore();
        return true;
    }
    if (fault.body == QLatin1String("html")) {
        // A gateway or proxy in front of the server refusing the request with
        // its own page: no RFC 6749 §5.2 body at all.
        *response = Response::html(QStringLiteral("<html><head><title>%1</title></head><body>"
                                                  "<h1>%1</h1><p>injected fault</p></body></html>")
                                           .arg(fault.status),
                                   fault.status);
        if (fault.status == 401)
            response->setHeader("WWW-Authenticate", "Basic realm=\"gateway\"");
    } else if (fault.body == QLatin1String("json")) {
        // JSON, but not an RFC 6749 error: no "error" member.
        *response = Response::json(
                QJsonObject {{QStringLiteral("message"), QStringLiteral("injected fault")}},
                fault.status);
        response->noStore();
    } else {
        *response = Response::error(fault.status, fault.error, QStringLiteral("injected fault"));
    }
    if (fault.retryAfter >= 0)
        response->setHeader("Retry-After", QByteArray::number(fault.retryAfter));
    return true;
}

Response MockAuthServerPrivate::delayed(Response response) const
{
    response.delayMs = faults.refreshDelayMs();
    return response;
}

Response MockAuthServerPrivate::refreshGrant(const TokenRequest &request)
{
    const QUrlQuery &form = request.form;
    const QString &clientId = request.clientId();
    const QByteArray token = formValue(form, QStringLiteral("refresh_token")).toLatin1();
    if (token.isEmpty())
        return invalidRequest(QStringLiteral("missing refresh_token"));
    // A faulted refresh answers before anything is consumed: the token stays valid.
    Response fault;
    if (takeRefreshFault(&fault))
        return delayed(fault);
    const TokenFamily *family = refreshTokens.familyOf(token);
    // RFC 6749 §6: the token must have been issued to this client.
    if (!family || family->clientId != clientId)
        return delayed(invalidGrant(QStringLiteral("unknown refresh token")));
    // RFC 9449 §5: a bound refresh token needs a proof of its key; refused before
    // anything is consumed, so a client that lost track of its key loses nothing more.
    if (!family->dpopJkt.isEmpty() && family->dpopJkt != request.dpopJkt) {
        count(QStringLiteral("dpop_rejected"));
        return delayed(Response::error(
                400, QStringLiteral("invalid_dpop_proof"),
                request.dpopJkt.isEmpty()
                        ? QStringLiteral("the refresh token is DPoP-bound: a proof is required")
                        : QStringLiteral("the refresh token is bound to another DPoP key")));
    }
    // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
    QString scope = family->scope;
    const QString requested = formValue(form, QStringLiteral("scope"));
    if (!requested.isEmpty()) {
        const QStringList granted = family->scope.split(QLatin1Char(' '));
        for (const QString &s : requested.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
            if (!granted.contains(s))
                return delayed(Response::error(400, QStringLiteral("invalid_scope"),
                                               QStringLiteral("scope exceeds the original grant")));
        }
        scope = requested.simplified();
    }
    // RFC 8707 §2.2: a token for one of the grant's resources; checked before the rotation.
    IssueOptions issue;
    Response refusal;
    if (!resolveAudience(family->resources, form, &issue.audience, &refusal))
        return delayed(refusal);
    const auto result = refreshTokens.redeem(token, nowMs());
    switch (result.outcome) {
    case RefreshTokenStore::Outcome::Rotated:
    case RefreshTokenStore::Outcome::GraceReplay: {
        saveState();
        count(QStringLiteral("refresh_grants"));
        if (result.outcome == RefreshTokenStore::Outcome::GraceReplay)
            count(QStringLiteral("grace_reuses"));
        TokenFamily issued = result.family;
        issued.scope = scope;
        issue.dpopJkt = request.dpopJkt;
        // A public client that starts using DPoP binds the grant from now on (§5).
        if (issued.dpopJkt.isEmpty() && !request.dpopJkt.isEmpty()
            && !request.client.authenticated) {
            refreshTokens.setDpopJkt(issued.id, request.dpopJkt);
            saveState();
        }
        return delayed(tokenResponse(issued, result.token, issue));
    }
    case RefreshTokenStore::Outcome::ReuseDetected:
        saveState();
        count(QStringLiteral("reuse_detected"));
        qCWarning(lcMockServer, "refresh token reuse detected: family revoked");
        return delayed(invalidGrant(QStringLiteral("refresh token reuse detected")));
    case RefreshTokenStore::Outcome::Revoked:
        return delayed(invalidGrant(QStringLiteral("refresh token revoked")));
    case RefreshTokenStore::Outcome::Expired:
        return delayed(invalidGrant(QStringLiteral("refresh token expired")));
    case RefreshTokenStore::Outcome::Unknown:
        break;
    }
    return delayed(invalidGrant(QStringLiteral("unknown refresh token")));
}

Response MockAuthServerPrivate::authorizationCodeGrant(const TokenRequest &request)
{
    const QUrlQuery &form = request.form;
    const QString &clientId = request.clientId();
    const QByteArray code = formValue(form, QStringLiteral("code")).toLatin1();
    const QString redirectUri = formValue(form, QStringLiteral("redirect_uri"));
    const QByteArray verifier = formValue(form, QStringLiteral("code_verifier")).toLatin1();
    if (code.isEmpty() || redirectUri.isEmpty())
        return invalidRequest(QStringLiteral("missing code or redirect_uri"));
    // RFC 7636 §4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].
    static const QRegularExpression verifierSyntax(QStringLiteral("^[A-Za-z0-9\\-._~]{43,128}$"));
    if (!verifierSyntax.match(QString::fromLatin1(verifier)).hasMatch())
        return invalidRequest(QStringLiteral("missing or malformed code_verifier"));
    const auto it = codes.find(Crypto::sha256(code));
    if (it == codes.end())
        return invalidGrant(QStringLiteral("unknown authorization code"));
    if (it->used) {
        // RFC 6749 §4.1.2: a replayed code revokes what was issued from it.
        if (!it->familyId.isEmpty())
            revokeFamily(it->familyId, QStringLiteral("code_reuse"));
        qCWarning(lcMockServer, "authorization code replayed: tokens issued from it revoked");
        return invalidGrant(QStringLiteral("authorization code already used"));
    }
    // One attempt per code: a failed exchange still burns it.
    it->used = true;
    if (nowMs() >= it->expiresAtMs)
        return invalidGrant(QStringLiteral("authorization code expired"));
    if (it->clientId != clientId)
        return invalidGrant(QStringLiteral("code was issued to another client"));
    if (it->redirectUri != redirectUri) // RFC 6749 §4.1.3: identical to the one authorized
        return invalidGrant(QStringLiteral("redirect_uri does not match"));
    // RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge.
    if (!Crypto::constantTimeEquals(Crypto::base64Url(Crypto::sha256(verifier)), it->codeChallenge))
        return invalidGrant(QStringLiteral("PKCE verification failed"));
    // RFC 9449 §10: a code bound to a key (dpop_jkt, or a PAR proof) needs a proof of it.
    if (!it->dpopJkt.isEmpty() && it->dpopJkt != request.dpopJkt) {
        count(QStringLiteral("dpop_rejected"));
        return Response::error(400, QStringLiteral("invalid_dpop_proof"),
                               QStringLiteral("the code is bound to another DPoP key"));
    }
    IssueOptions issue;
    issue.openIdGrant = true;
    issue.nonce = it->nonce;
    issue.dpopJkt = request.dpopJkt;
    Response refusal;
    if (!resolveAudience(it->resources, form, &issue.audience, &refusal))
        return refusal;
    TokenFamily family;
    family.user = it->user;
    family.clientId = clientId;
    family.scope = it->scope;
    family.origin = QStringLiteral("authorization_code");
    family.resources = it->resources;
    family.acr = it->acr;
    family.authTimeMs = it->authTimeMs;
    family.authClaims = it->authClaims;
    if (!request.client.authenticated)
        family.dpopJkt = request.dpopJkt;
    const QByteArray refresh = refreshTokens.createFamily(family, nowMs());
    const TokenFamily *created = refreshTokens.familyOf(refresh);
    it->familyId = created->id;
    saveState();
    count(QStringLiteral("authorization_code_grants"));
    qCInfo(lcMockServer, "authorization code exchanged: tokens issued");
    return tokenResponse(*created, refresh, issue);
}

Response MockAuthServerPrivate::revoke(const Request &request)
{
    if (request.method != "POST")
        return methodNotAllowed("POST");
    if (request.mediaType() != "application/x-www-form-urlencoded")
        return invalidRequest(QStringLiteral("expected application/x-www-form-urlencoded"));
    bool ok = false;
    const QUrlQuery form = parseForm(request.body(), &ok);
    if (!ok)
        return invalidRequest(QStringLiteral("repeated parameter"));
    const QByteArray token = formValue(form, QStringLiteral("token")).toLatin1();
    if (token.isEmpty())
        return invalidRequest(QStringLiteral("missing token"));
    // RFC 7009 §2.1: a confidential client authenticates; a public one may name itself.
    ClientAuthentication client;
    Response refusal;
    const bool identified = identifiesClient(request, form);
    if (identified && !authenticateClient(request, form, &client, &refusal))
        return refusal;
    const auto authenticationRequired = [this](const QString &why) {
        count(QStringLiteral("client_auth_failures"));
        Response r = Response::error(401, QStringLiteral("invalid_client"), why);
        r.setHeader("WWW-Authenticate", "Basic realm=\"securetokens-mock\"");
        return r;
    };
    // A DPoP proof, if sent, must be valid (RFC 9449 §4.3); revocation does not need one.
    QByteArray jkt;
    if (checkServerProof(request, &jkt, &refusal) == DpopResult::Refused)
        return refusal;
    if (config.revocationAuth == ServerConfig::RevocationAuth::Required && !client.authenticated)
        return authenticationRequired(
                QStringLiteral("client authentication is required for revocation"));
    const QString clientId = client.clientId;
    count(QStringLiteral("revocation_requests"));
    // The hint only says where to look first (RFC 7009 §2.1); both kinds are tried.
    const QString hint = formValue(form, QStringLiteral("token_type_hint"));
    Q_UNUSED(hint);

    if (const TokenFamily *family = refreshTokens.familyOf(token)) {
        if (isConfidential(family->clientId) && !client.authenticated)
            return authenticationRequired(QStringLiteral("the token's client must authenticate"));
        if (!clientId.isEmpty() && family->clientId != clientId)
            return Response::error(400, QStringLiteral("unauthorized_client"),
                                   QStringLiteral("token was issued to another client"));
        if (!family->revoked) {
            // RFC 7009 §2.1: revoking a refresh token ends its grant (the family).
            revokeFamily(family->id, QStringLiteral("revoked"));
            count(QStringLiteral("revocations"));
            qCInfo(lcMockServer, "refresh token revoked");
        }
        return Response().noStore();
    }
    QJsonObject claims;
    if (signer->verify(token, &claims) == JwtSigner::Verdict::Valid) {
        // The owner is client_id: with resource indicators aud names the API (RFC 8707).
        const QString owner = claims.value(QStringLiteral("client_id")).toString();
        if (isConfidential(owner) && !client.authenticated)
            return authenticationRequired(QStringLiteral("the token's client must authenticate"));
        if (!clientId.isEmpty() && owner != clientId)
            return Response::error(400, QStringLiteral("unauthorized_client"),
                                   QStringLiteral("token was issued to another client"));
        const QString jti = claims.value(QStringLiteral("jti")).toString();
        if (!revokedAccessTokens.contains(jti)) {
            revokedAccessTokens.insert(jti);
            count(QStringLiteral("revocations"));
            qCInfo(lcMockServer, "access token revoked");
        }
    }
    // RFC 7009 §2.2: unknown or invalid tokens also get 200.
    return Response().noStore();
}

} // namespace SecureTokens::Mock
