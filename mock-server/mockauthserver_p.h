// SPDX-License-Identifier: MIT
#pragma once

#include "mockauthserver.h"

#include "dpop_p.h"
#include "faults_p.h"
#include "httpfrontend_p.h"
#include "idtokensigner_p.h"
#include "jwtsigner_p.h"
#include "ratelimiter_p.h"
#include "refreshtokenstore_p.h"

#include <QHash>
#include <QMap>
#include <QPointer>
#include <QSet>

#include <memory>

namespace SecureTokens::Mock {

//! An authorization code (RFC 6749 §4.1.2) bound to its client, redirect URI and PKCE challenge.
struct AuthorizationCode
{
    QString clientId;
    QString redirectUri;
    QByteArray codeChallenge; //!< BASE64URL(SHA256(verifier)) (RFC 7636 §4.2)
    QString user;
    QString scope;
    qint64 expiresAtMs = 0;
    bool used = false;
    QString familyId; //!< tokens issued from it, revoked if the code is replayed
    QString nonce; //!< OpenID Connect nonce, echoed in the ID token
    QStringList resources; //!< RFC 8707 resources (and Auth0's audience) of the request
    QString acr; //!< authentication context "performed" (the first of acr_values)
    qint64 authTimeMs = 0; //!< when the user signed in (OpenID Connect auth_time)
    bool authClaims = false; //!< acr_values or max_age asked: acr/auth_time go in access tokens
    QByteArray dpopJkt; //!< RFC 9449 §10: the code is redeemed only with a proof of this key
};

//! The browser-side login state set by a sign-in on /oauth/authorize (the st_login cookie).
struct LoginSession
{
    QString user;
    QString acr;
    qint64 authTimeMs = 0;
    qint64 expiresAtMs = 0;
};

//! An authorization request pushed to /oauth/par (RFC 9126), waiting for /oauth/authorize.
struct PushedRequest
{
    QString clientId;
    QHash<QString, QString> params;
    QStringList resources;
    qint64 expiresAtMs = 0;
    bool used = false;
    QByteArray dpopJkt; //!< RFC 9449 §10.1: the key of the PAR request's DPoP proof
};

/*!
    A resource server: the main listener's /api/* and userinfo (no audience:
    any access token of this server), or an extra listener that accepts only
    access tokens whose aud contains its audience.
*/
struct ResourceServer
{
    QString audience;
};

//! What one token response carries besides the family's grant.
struct IssueOptions
{
    QStringList audience; //!< RFC 8707: aud of the access token (empty: the client id)
    QByteArray dpopJkt; //!< RFC 9449 §6: bound to this key thumbprint (token_type DPoP)
    bool openIdGrant = false; //!< add an ID token when "openid" was granted
    QString nonce; //!< OpenID Connect nonce for the ID token
};

//! The outcome of RFC 6749 §2.3 client authentication.
struct ClientAuthentication
{
    QString clientId;
    bool authenticated = false; //!< a confidential client proved its secret
};

//! A token request once the client is known (and its DPoP proof, if any, checked).
struct TokenRequest
{
    QUrlQuery form;
    ClientAuthentication client;
    QByteArray dpopJkt; //!< thumbprint of the valid DPoP proof's key (RFC 9449 §4.3), or empty
    const QString &clientId() const { return client.clientId; }
};

//! Verdict on the parameters of an authorization request (shared by /oauth/authorize and PAR).
struct AuthorizationCheck
{
    QString error; //!< empty when the request is valid
    QString description;
    bool redirectable = true; //!< false: client or redirect_uri not trusted, never redirect
    QString scope; //!< the resolved scope when valid
    bool ok() const { return error.isEmpty(); }
};

//! A device authorization (RFC 8628 §3.2) waiting for, or given, the user's approval.
struct DeviceGrant
{
    enum class Status { Pending, Approved, Denied, Used };
    QString clientId;
    QString scope;
    QString userCode; //!< normalised: upper case, no dash
    qint64 expiresAtMs = 0;
    qint64 lastPollMs = 0;
    Status status = Status::Pending;
    QString user;
};

/*!
    State and endpoints of MockAuthServer. The endpoints live in one file per
    area: oauthendpoints.cpp (discovery, token, revoke), authorizeendpoint.cpp,
    cookieendpoints.cpp, resourceendpoints.cpp, adminendpoints.cpp; the state
    file in statefile.cpp.
*/
class MockAuthServerPrivate
{
public:
    MockAuthServerPrivate(MockAuthServer *q, const ServerConfig &config);

    // --- shared helpers (mockauthserver.cpp)
    Response route(const Request &request);
    Response dispatch(const Request &request);
    //! RFC 9110 §5.6.7 IMF-fixdate.
    static QByteArray httpDate(qint64 msecsSinceEpoch);
    //! The server's clock: real time plus --clock-offset and the clock_offset fault.
    qint64 nowMs() const;
    void count(const QString &counter, qint64 n = 1);
    QUrl baseUrl() const;
    //! http://HOST:PORT for a listener (wildcard binds are advertised as loopback).
    static QUrl urlFor(const QHostAddress &bind, quint16 port);
    //! Starts an extra resource server (resourceservers.cpp); empty URL on failure.
    QUrl startApiListener(const ServerConfig::ApiListener &listener);
    //! Everything an extra resource server answers: /api/* for its audience, else 404.
    Response routeApi(const Request &request, const ResourceServer &server);
    QString issuer() const { return baseUrl().toString(); }
    bool isClient(const QString &clientId) const
    {
        return config.clients.contains(clientId) || config.clientSecrets.contains(clientId);
    }
    bool isConfidential(const QString &clientId) const
    {
        return config.clientSecrets.contains(clientId);
    }
    //! RFC 6749 §2.3: identifies (public) or authenticates (confidential) the client of a
    //! request; false with the error answer in \a refusal.
    bool authenticateClient(const Request &request, const QUrlQuery &form,
                            ClientAuthentication *client, Response *refusal);
    //! True when the request carries client credentials or a client_id at all.
    static bool identifiesClient(const Request &request, const QUrlQuery &form);
    //! Redirect URIs accepted for a client: loopback (RFC 8252 §7.3), private-use
    //! schemes (§7.1), exact claimed https URIs (§7.2).
    bool isAllowedRedirect(const QString &clientId, const QString &uri) const;
    //! Checks authorization request parameters (RFC 6749 §4.1.1, RFC 7636, RFC 8707,
    //! OpenID Connect Core §3.1.2.1).
    AuthorizationCheck checkAuthorizationRequest(const QHash<QString, QString> &params,
                                                 const QStringList &resources) const;
    //! The live login state the request's st_login cookie names, or nullptr.
    LoginSession *loginSession(const Request &request);
    //! Starts a login state; returns the Set-Cookie value.
    QByteArray startLoginSession(const QString &user, const QString &acr);
    //! Ends the login state the request names; returns whether there was one.
    bool endLoginSession(const Request &request);
    //! Constant-time check; unknown users cost the same as known ones.
    bool checkPassword(const QString &user, const QString &password) const;
    //! Normalises a requested scope (empty: the default); false if it names an unknown scope.
    bool resolveScope(const QString &requested, QString *scope) const;
    //! Seconds to wait before another sign-in for user/client may be tried (0: allowed).
    qint64 loginRetryAfter(const QString &user, const QString &clientId) const;
    //! Records the outcome of a sign-in attempt for rate limiting and counters.
    void recordLogin(const QString &user, const QString &clientId, bool success);
    QByteArray issueAccessToken(const TokenFamily &family, qint64 *expiresIn,
                                const IssueOptions &options = {});
    //! RFC 6749 §5.1 success body; with an ID token when options.openIdGrant and "openid"
    //! was granted.
    Response tokenResponse(const TokenFamily &family, const QByteArray &refreshToken,
                           const IssueOptions &options = {});
    static const QStringList &supportedScopes();
    /*!
        RFC 8707 §2: the audience of an access token: the token request's
        resource (and Auth0's audience) parameters, each of which must be one
        of \a granted when the grant named any (§2.2), else the granted ones.
        False with an invalid_target answer in \a refusal.
    */
    bool resolveAudience(const QStringList &granted, const QUrlQuery &form, QStringList *audience,
                         Response *refusal) const;
    //! The ID token signer (created on first use); nullptr when ID tokens cannot be issued.
    IdTokenSigner *idTokenSigner();
    QByteArray issueIdToken(const TokenFamily &family, const QString &nonce);
    void revokeFamily(const QString &familyId, const QString &reason);
    QStringList userNames() const;

    // --- endpoints
    Response discovery(const Request &request);
    Response jwks(const Request &request);
    Response token(const Request &request);
    Response passwordGrant(const TokenRequest &request);
    Response refreshGrant(const TokenRequest &request);
    Response authorizationCodeGrant(const TokenRequest &request);
    Response revoke(const Request &request);
    //! RFC 9449 at the token endpoint: fills tokenRequest->dpopJkt from a valid proof;
    //! false with the refusal (and the dpop_consume_before_nonce fault carried out).
    bool checkTokenRequestProof(const Request &request, TokenRequest *tokenRequest,
                                Response *refusal);
    // RFC 8628 (deviceendpoints.cpp)
    Response deviceAuthorization(const Request &request);
    Response deviceCodeGrant(const TokenRequest &request);
    Response devicePage(const Request &request);
    Response authorize(const Request &request);
    Response cookieLogin(const Request &request);
    Response cookieRefresh(const Request &request);
    Response cookieLogout(const Request &request);
    Response api(const Request &request);
    Response admin(const Request &request);
    // OpenID Connect Core §5.3 (userinfo.cpp)
    Response userinfo(const Request &request);
    // OpenID Connect RP-Initiated Logout 1.0 (logout.cpp)
    Response endSession(const Request &request);
    // RFC 9126 (par.cpp)
    Response pushedAuthorization(const Request &request);
    //! The pushed request a request_uri names, if it is live and bound to \a clientId.
    PushedRequest *pushedRequest(const QString &requestUri, const QString &clientId);

    //! Applies the next scripted refresh fault, if any (before anything is consumed).
    bool takeRefreshFault(Response *response);
    //! Adds the configured refresh delay to a refresh answer.
    Response delayed(Response response) const;

    //! Outcome of checking a bearer token; empty description when valid.
    QString checkAccessToken(const QByteArray &token, QJsonObject *claims);
    //! The access token of an "Authorization: Bearer|DPoP TOKEN" header; \a scheme
    //! gets "Bearer", "DPoP", or stays empty without such a header.
    static QByteArray accessTokenOf(const Request &request, QByteArray *scheme);
    //! Checks the credentials of a protected-resource request (RFC 6750 §2-3) for
    //! \a server; false with the 400/401 answer in \a refusal.
    bool authorizeResourceRequest(const Request &request, const QByteArray &scheme,
                                  const QByteArray &token, const ResourceServer &server,
                                  QJsonObject *claims, Response *refusal);
    Response api(const Request &request, const ResourceServer &server);
    //! The answer of /api/me, /api/items, /api/echo once the token is accepted.
    Response resourceAnswer(const Request &request, const QByteArray &scheme,
                            const QJsonObject &claims, const QStringList &scopes);
    //! A resource-server error (RFC 6750 §3, RFC 9449 §7.1): the challenge in the
    //! scheme the client used ("DPoP" adds algs), \a extra appended.
    static Response resourceError(const QByteArray &scheme, int status, const QString &error,
                                  const QString &description, const QByteArray &extra = {});

    // --- DPoP (dpopchecks.cpp)
    enum class DpopResult { Absent, Valid, Refused };
    /*!
        RFC 9449 §4.3 at an authorization-server endpoint (token, revocation,
        PAR): checks the request's proof, if it has one. Refused: 400
        invalid_dpop_proof or use_dpop_nonce (with DPoP-Nonce) in \a refusal,
        and \a nonceProblem set for the latter.
    */
    DpopResult checkServerProof(const Request &request, QByteArray *jkt, Response *refusal,
                                bool *nonceProblem = nullptr);
    /*!
        RFC 9449 §7 at a resource: the proof that must come with a DPoP-bound
        \a token. Refused: the 401 (WWW-Authenticate: DPoP ...) in \a refusal.
    */
    DpopResult checkResourceProof(const Request &request, const QByteArray &token,
                                  const ResourceServer &server, QByteArray *jkt, Response *refusal);
    //! The DPoP headers of a request (RFC 9449 §4.3 wants exactly one).
    static QList<QByteArray> dpopHeaders(const Request &request);
    //! The URI the request was sent to, for htu (RFC 9449 §4.3 9).
    QUrl requestUri(const Request &request) const;
    static QString nonceContext(const ResourceServer &server);
    //! Counts a protected-resource event: \a what is "requests", "authorized_requests"
    //! or "unauthorized".
    void countResource(const ResourceServer &server, const QString &what);
    //! What the ID token and userinfo say about a user.
    static QString displayName(const QString &user);
    static QString emailOf(const QString &user);
    void expireAllAccessTokens();
    void replayRefreshTokens();
    void applyFaults(const QJsonObject &faults, QString *why, bool *ok);

    QJsonObject stats() const;
    QJsonObject tokens() const;

    // --- state file (statefile.cpp)
    bool loadState(QString *error);
    void saveState();

    MockAuthServer *q;
    ServerConfig config;
    QPointer<HttpFrontend> http;
    std::unique_ptr<JwtSigner> signer;
    RefreshTokenStore refreshTokens;
    LoginRateLimiter rateLimiter;
    FaultPlan faults;
    DpopVerifier dpop;
    QString errorString;
    quint16 port = 0;
    QMap<QString, qint64> counters;

    struct AccessRecord
    {
        QString familyId;
        qint64 expiresAtMs = 0;
    };
    QHash<QString, AccessRecord> accessTokens; // by jti
    QSet<QString> revokedAccessTokens; // jti
    QSet<QString> forcedExpiredAccessTokens; // jti (expire_access_tokens fault)
    QList<QByteArray> issuedAccessTokens; // plaintext, only with admin (leak scans)
    QList<QByteArray> issuedRefreshTokens; // every one answered, rotated-away too (admin only)
    QList<QByteArray> issuedIdTokens; // the same for ID tokens (admin only)
    QHash<QByteArray, AuthorizationCode> codes; // by SHA-256 of the code
    std::unique_ptr<IdTokenSigner> idSigner;
    bool idSignerTried = false;
    QHash<QByteArray, DeviceGrant> deviceGrants; // by SHA-256 of the device code
    QHash<QByteArray, LoginSession> loginSessions; // by SHA-256 of the st_login cookie
    QHash<QByteArray, PushedRequest> pushedRequests; // by SHA-256 of the request_uri
    QMap<QString, QMap<QString, qint64>> audienceCounters; // by audience, then counter
    struct ApiFrontend
    {
        QPointer<HttpFrontend> http;
        QString audience;
        QUrl baseUrl;
    };
    QList<ApiFrontend> apiFrontends;
};

//! parseForm() that lets the parameters in \a repeatable appear more than once
//! (RFC 8707 §2: resource may be repeated); ok=false when another one is.
QUrlQuery parseFormAllowing(const QByteArray &body, const QStringList &repeatable, bool *ok);
//! Every value of a parameter, fully decoded.
QStringList formValues(const QUrlQuery &form, const QString &key);
//! The value of cookie \a name in the request's Cookie header.
QByteArray cookieValue(const Request &request, const QByteArray &name);

} // namespace SecureTokens::Mock
