// SPDX-License-Identifier: MIT
#pragma once

#include "mockauthserver.h"

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
    static qint64 nowMs();
    void count(const QString &counter, qint64 n = 1);
    QUrl baseUrl() const;
    QString issuer() const { return baseUrl().toString(); }
    bool isClient(const QString &clientId) const { return config.clients.contains(clientId); }
    //! Constant-time check; unknown users cost the same as known ones.
    bool checkPassword(const QString &user, const QString &password) const;
    //! Normalises a requested scope (empty: the default); false if it names an unknown scope.
    bool resolveScope(const QString &requested, QString *scope) const;
    //! Seconds to wait before another sign-in for user/client may be tried (0: allowed).
    qint64 loginRetryAfter(const QString &user, const QString &clientId) const;
    //! Records the outcome of a sign-in attempt for rate limiting and counters.
    void recordLogin(const QString &user, const QString &clientId, bool success);
    QByteArray issueAccessToken(const TokenFamily &family, qint64 *expiresIn);
    //! RFC 6749 §5.1 success body; with an ID token when \a openIdGrant and "openid" was granted.
    Response tokenResponse(const TokenFamily &family, const QByteArray &refreshToken,
                           bool openIdGrant = false, const QString &nonce = {});
    //! The ID token signer (created on first use); nullptr when ID tokens cannot be issued.
    IdTokenSigner *idTokenSigner();
    QByteArray issueIdToken(const TokenFamily &family, const QString &nonce);
    void revokeFamily(const QString &familyId, const QString &reason);
    QStringList userNames() const;

    // --- endpoints
    Response discovery(const Request &request);
    Response jwks(const Request &request);
    Response token(const Request &request);
    Response passwordGrant(const QUrlQuery &form, const QString &clientId);
    Response refreshGrant(const QUrlQuery &form, const QString &clientId);
    Response authorizationCodeGrant(const QUrlQuery &form, const QString &clientId);
    Response revoke(const Request &request);
    // RFC 8628 (deviceendpoints.cpp)
    Response deviceAuthorization(const Request &request);
    Response deviceCodeGrant(const QUrlQuery &form, const QString &clientId);
    Response devicePage(const Request &request);
    Response authorize(const Request &request);
    Response cookieLogin(const Request &request);
    Response cookieRefresh(const Request &request);
    Response cookieLogout(const Request &request);
    Response api(const Request &request);
    Response admin(const Request &request);

    //! Applies the next scripted refresh fault, if any (before anything is consumed).
    bool takeRefreshFault(Response *response);
    //! Adds the configured refresh delay to a refresh answer.
    Response delayed(Response response) const;

    //! Outcome of checking a bearer token; empty description when valid.
    QString checkAccessToken(const QByteArray &token, QJsonObject *claims);
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
    QHash<QByteArray, AuthorizationCode> codes; // by SHA-256 of the code
    std::unique_ptr<IdTokenSigner> idSigner;
    bool idSignerTried = false;
    QHash<QByteArray, DeviceGrant> deviceGrants; // by SHA-256 of the device code
};

} // namespace SecureTokens::Mock
