// SPDX-License-Identifier: MIT
#pragma once

#include <QHash>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace SecureTokens::Mock {

/*!
    Configuration of a MockAuthServer. Every field has a command-line flag in
    securetokens-mock-server (see docs/mock-server.md).
*/
struct ServerConfig
{
    //! Address to listen on. Loopback by default: this is a test server.
    QHostAddress bind = QHostAddress(QHostAddress::LocalHost);
    //! TCP port; 0 picks a free ephemeral port (read it back with MockAuthServer::port()).
    quint16 port = 0;
    //! Lifetime of access tokens, in seconds.
    qint64 accessTtl = 900;
    //! Lifetime of each refresh token, in seconds (renewed on every rotation).
    qint64 refreshTtl = 30 * 24 * 3600;
    //! Seconds during which a consumed refresh token may be presented again and
    //! yields the same successor (0: any reuse is detected as theft).
    qint64 reuseGrace = 0;
    //! Accounts that can sign in: (name, password).
    QList<QPair<QString, QString>> users {{QStringLiteral("alice"), QStringLiteral("wonderland")}};
    //! Public client ids (RFC 6749 §2.1); loopback redirect URIs on any port are accepted.
    QStringList clients {QStringLiteral("demo")};
    /*!
        Confidential clients (RFC 6749 §2.1): client id → secret. They need not
        be listed in clients too. The token, revocation, device-authorization
        and PAR endpoints require them to authenticate with client_secret_basic
        or client_secret_post (RFC 6749 §2.3.1).
    */
    QHash<QString, QString> clientSecrets;
    /*!
        Revocation (RFC 7009 §2.1) without client authentication is accepted for
        public clients' tokens (Optional), or refused for every token (Required:
        public clients then cannot revoke at all; discovery drops "none" from
        revocation_endpoint_auth_methods_supported).
    */
    enum class RevocationAuth { Optional, Required } revocationAuth = RevocationAuth::Optional;
    /*!
        Private-use URI schemes (RFC 8252 §7.1, e.g. "com.example.app") accepted
        as redirect URIs, in the form SCHEME:/path, for every client. The
        client "demo" also accepts any com.example.* scheme.
    */
    QStringList redirectSchemes;
    //! Exact https redirect URIs accepted for every client (claimed https, RFC 8252 §7.2).
    QStringList redirectUris;
    //! The authorization endpoint only accepts pushed requests (RFC 9126 §5).
    bool requirePar = false;
    //! Lifetime of a pushed authorization request's request_uri, in seconds (RFC 9126 §2.2).
    qint64 parTtl = 60;
    /*!
        Single sign-on: with a browser login state (the st_login cookie) the
        authorization endpoint answers at once, without the form, unless
        prompt=login or max_age asks for a new sign-in. Off: the form is always
        shown (prompt=none still answers silently from a login state).
    */
    bool sso = false;
    //! Lifetime of the browser login state set by a sign-in on /oauth/authorize, in seconds.
    qint64 loginSessionTtl = 8 * 3600;

    //! An extra resource server: /api/* on its own port, for one audience.
    struct ApiListener
    {
        QHostAddress bind = QHostAddress(QHostAddress::LocalHost);
        quint16 port = 0; //!< 0: any free port
        //! Only access tokens whose aud contains this are accepted (RFC 8707, RFC 9068 §4).
        QString audience;
    };
    //! Extra resource servers started by listen() (see MockAuthServer::apiBaseUrls()).
    QList<ApiListener> apiListeners;

    /*!
        DPoP (RFC 9449) proofs are accepted within this many seconds of the
        server's time, either way (§11.1).
    */
    qint64 dpopIatWindow = 60;
    /*!
        DPoP proofs must carry the nonce the server hands out in DPoP-Nonce
        headers (RFC 9449 §8 at the authorization server, §9 at each resource
        server).
    */
    bool dpopNonce = false;
    //! Seconds added to the server's clock (tokens, expiries, DPoP iat checks, Date).
    qint64 clockOffset = 0;
    //! Enables /admin/* (answered to loopback peers only).
    bool admin = false;
    //! File where refresh-token families and the signing key survive a restart
    //! (empty: memory only). Written atomically with mode 0600.
    QString stateFile;
    //! Access-token signature algorithm. Without a state file, RS256 servers in one
    //! process share one generated RSA 2048 key (generation is slow); HS256 servers
    //! each make their own secret.
    enum class Signing { RS256, HS256 } signing = Signing::RS256;

    //! Failed sign-ins per user, or per client, within rateLimitWindow before 429.
    int maxLoginFailures = 5;
    //! Window, in seconds, over which failed sign-ins are counted.
    qint64 rateLimitWindow = 300;
    //! How long, in seconds, a user or client stays locked out once over the limit.
    qint64 lockoutSeconds = 60;
    //! Largest accepted request body, in bytes (larger: 413).
    qint64 maxBodySize = 64 * 1024;
    //! Lifetime of authorization codes, in seconds (RFC 6749 §4.1.2 recommends ≤ 10 min).
    qint64 codeTtl = 60;
    /*!
        Signature of OpenID Connect ID tokens (issued by the authorization_code
        and device_code grants when "openid" is granted). RS256 uses the
        access-token RSA key (no ID tokens when signing is HS256: that key is
        secret); ES256 adds a P-256 key to the JWKS.
    */
    enum class IdTokenAlg { RS256, ES256 } idTokenAlg = IdTokenAlg::RS256;
    //! Lifetime of ID tokens, in seconds.
    qint64 idTokenTtl = 300;
    //! RFC 8628 polling interval announced with device codes, in seconds.
    qint64 deviceInterval = 5;
    //! Lifetime of device codes, in seconds.
    qint64 deviceCodeTtl = 600;
};

class MockAuthServerPrivate;

/*!
    An OAuth 2.0 authorization server and resource server for tests, the demo,
    the CLI and benchmarks. It implements the password, refresh_token and
    authorization_code (+ PKCE S256) grants, RFC 7009 revocation, a cookie-based
    web-app flow, protected /api resources, and an admin API that injects faults.

    Everything runs on the thread that owns the object; construct it, call
    listen(), and talk to baseUrl() over HTTP.

    \note With ServerConfig::admin on, the plaintext of every issued access token
    and of the live refresh token of each family is kept in memory so that
    tokens() can return them for leak-scanning tests.
*/
class MockAuthServer : public QObject
{
    Q_OBJECT
public:
    explicit MockAuthServer(const ServerConfig &config, QObject *parent = nullptr);
    ~MockAuthServer() override;

    //! Starts listening; returns false on failure (see errorString()).
    bool listen();
    QString errorString() const;
    //! The port in use once listening (0 before).
    quint16 port() const;
    //! e.g. http://127.0.0.1:PORT, without a trailing slash; [::1] form for IPv6. Also the issuer.
    QUrl baseUrl() const;

    //! Base URLs of the extra resource servers (ServerConfig::apiListeners, then
    //! addApiListener()), in that order, once listening.
    QList<QUrl> apiBaseUrls() const;
    //! The base URL of the extra resource server for \a audience (empty: none).
    QUrl apiBaseUrl(const QString &audience) const;
    /*!
        Starts another resource server, after listen(): /api/me, /api/items and
        /api/echo on their own port, accepting only access tokens whose aud
        contains \a audience. Returns its base URL, or an empty URL on failure
        (see errorString()).
    */
    QUrl addApiListener(const QString &audience, quint16 port = 0,
                        const QHostAddress &bind = QHostAddress(QHostAddress::LocalHost));

    //! Same JSON as GET /admin/stats.
    QJsonObject stats() const;
    //! Same as POST /admin/faults: faults accumulate.
    void setFaults(const QJsonObject &faults);
    //! Same as DELETE /admin/faults.
    void clearFaults();
    //! Same JSON as GET /admin/tokens (needs ServerConfig::admin to record tokens).
    QJsonObject tokens() const;

private:
    std::unique_ptr<MockAuthServerPrivate> d;
};

} // namespace SecureTokens::Mock
