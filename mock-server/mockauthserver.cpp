// SPDX-License-Identifier: MIT
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

#include <QDateTime>
#include <QJsonArray>
#include <QLocale>

#include <QMutex>

Q_LOGGING_CATEGORY(lcMockServer, "securetokens.mockserver", QtWarningMsg)

namespace SecureTokens::Mock {

namespace {

const QStringList &counterNames()
{
    static const QStringList names {QStringLiteral("password_grants"),
                                    QStringLiteral("refresh_grants"),
                                    QStringLiteral("authorization_code_grants"),
                                    QStringLiteral("reuse_detected"),
                                    QStringLiteral("grace_reuses"),
                                    QStringLiteral("revocations"),
                                    QStringLiteral("revocation_requests"),
                                    QStringLiteral("protected_requests"),
                                    QStringLiteral("authorized_requests"),
                                    QStringLiteral("unauthorized"),
                                    QStringLiteral("cookie_logins"),
                                    QStringLiteral("cookie_refreshes"),
                                    QStringLiteral("cookie_logouts"),
                                    QStringLiteral("csrf_failures"),
                                    QStringLiteral("login_failures"),
                                    QStringLiteral("rate_limited"),
                                    QStringLiteral("token_errors"),
                                    QStringLiteral("authorization_codes_issued"),
                                    QStringLiteral("id_tokens_issued"),
                                    QStringLiteral("device_authorizations"),
                                    QStringLiteral("device_polls"),
                                    QStringLiteral("device_slow_downs"),
                                    QStringLiteral("device_approvals"),
                                    QStringLiteral("device_grants"),
                                    QStringLiteral("client_auth_failures"),
                                    QStringLiteral("userinfo_requests"),
                                    QStringLiteral("end_sessions"),
                                    QStringLiteral("par_requests"),
                                    QStringLiteral("step_up_challenges"),
                                    QStringLiteral("insufficient_scope"),
                                    QStringLiteral("dpop_proofs"),
                                    QStringLiteral("dpop_rejected"),
                                    QStringLiteral("dpop_nonce_challenges"),
                                    QStringLiteral("par_dpop_proofs"),
                                    QStringLiteral("dpop_bound_codes"),
                                    QStringLiteral("faults_applied"),
                                    QStringLiteral("requests")};
    return names;
}

std::unique_ptr<JwtSigner> processRsaSigner()
{
    static QMutex mutex;
    static QByteArray key; // PEM; the same process already holds it in every signer
    const QMutexLocker lock(&mutex);
    if (key.isEmpty()) {
        const auto signer = JwtSigner::generate(JwtSigner::Algorithm::RS256);
        if (!signer)
            return nullptr;
        key = signer->exportKey();
    }
    return JwtSigner::fromExportedKey(JwtSigner::Algorithm::RS256, key);
}

} // namespace

const QStringList &MockAuthServerPrivate::supportedScopes()
{
    // items:write is for insufficient_scope tests (RFC 6750 §3.1, the require_scope fault).
    static const QStringList scopes {
            QStringLiteral("openid"),         QStringLiteral("profile"),
            QStringLiteral("email"),          QStringLiteral("items"),
            QStringLiteral("offline_access"), QStringLiteral("items:write")};
    return scopes;
}

QUrlQuery parseFormAllowing(const QByteArray &body, const QStringList &repeatable, bool *ok)
{
    bool unused = false;
    const QUrlQuery form = parseForm(body, &unused);
    QStringList seen;
    *ok = true;
    for (const auto &item : form.queryItems()) {
        if (seen.contains(item.first) && !repeatable.contains(item.first))
            *ok = false;
        seen.append(item.first);
    }
    return form;
}

QStringList formValues(const QUrlQuery &form, const QString &key)
{
    return form.allQueryItemValues(key, QUrl::FullyDecoded);
}

QByteArray cookieValue(const Request &request, const QByteArray &name)
{
    for (const QByteArray &part : request.header("Cookie").split(';')) {
        const int eq = part.indexOf('=');
        if (eq > 0 && part.left(eq).trimmed() == name)
            return part.mid(eq + 1).trimmed();
    }
    return {};
}

MockAuthServerPrivate::MockAuthServerPrivate(MockAuthServer *q, const ServerConfig &config)
    : q(q),
      config(config),
      refreshTokens(config.refreshTtl, config.reuseGrace, config.admin),
      rateLimiter(config.maxLoginFailures, config.rateLimitWindow, config.lockoutSeconds)
{
    for (const QString &name : counterNames())
        counters.insert(name, 0);
}

qint64 MockAuthServerPrivate::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch() + (config.clockOffset + faults.clockOffset()) * 1000;
}

void MockAuthServerPrivate::count(const QString &counter, qint64 n)
{
    counters[counter] += n;
}

QUrl MockAuthServerPrivate::baseUrl() const
{
    return urlFor(config.bind, port);
}

QUrl MockAuthServerPrivate::urlFor(const QHostAddress &bind, quint16 port)
{
    QHostAddress host = bind;
    // A wildcard bind is reachable on loopback; advertise that.
    if (host == QHostAddress(QHostAddress::AnyIPv4) || host == QHostAddress(QHostAddress::Any))
        host = QHostAddress(QHostAddress::LocalHost);
    else if (host == QHostAddress(QHostAddress::AnyIPv6))
        host = QHostAddress(QHostAddress::LocalHostIPv6);
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(host.toString()); // QUrl adds the brackets for IPv6
    url.setPort(port);
    return url;
}

bool MockAuthServerPrivate::checkPassword(const QString &user, const QString &password) const
{
    // Compare digests so both sides have the same length; CRYPTO_memcmp keeps it constant-time.
    QByteArray expected = Crypto::sha256(QByteArrayLiteral("no such user: never matches"));
    bool known = false;
    for (const auto &entry : config.users) {
        if (entry.first == user) {
            expected = Crypto::sha256(entry.second.toUtf8());
            known = true;
        }
    }
    const bool match = Crypto::constantTimeEquals(Crypto::sha256(password.toUtf8()), expected);
    return known && match;
}

bool MockAuthServerPrivate::resolveScope(const QString &requested, QString *scope) const
{
    const QStringList parts = requested.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (parts.isEmpty()) {
        *scope = QStringLiteral("openid profile email items");
        return true;
    }
    for (const QString &p : parts) {
        if (!supportedScopes().contains(p))
            return false;
    }
    QStringList unique = parts;
    unique.removeDuplicates();
    *scope = unique.join(QLatin1Char(' '));
    return true;
}

qint64 MockAuthServerPrivate::loginRetryAfter(const QString &user, const QString &clientId) const
{
    const qint64 now = nowMs();
    return qMax(rateLimiter.retryAfter(QStringLiteral("user:") + user, now),
                rateLimiter.retryAfter(QStringLiteral("client:") + clientId, now));
}

void MockAuthServerPrivate::recordLogin(const QString &user, const QString &clientId, bool success)
{
    if (success) {
        rateLimiter.reset(QStringLiteral("user:") + user);
        return;
    }
    count(QStringLiteral("login_failures"));
    const qint64 now = nowMs();
    const bool userLocked = rateLimiter.recordFailure(QStringLiteral("user:") + user, now);
    const bool clientLocked = rateLimiter.recordFailure(QStringLiteral("client:") + clientId, now);
    if (userLocked || clientLocked)
        qCInfo(lcMockServer, "too many failed sign-ins: temporary lockout started");
}

QByteArray MockAuthServerPrivate::issueAccessToken(const TokenFamily &family, qint64 *expiresIn,
                                                   const IssueOptions &options)
{
    const qint64 now = nowMs();
    const qint64 expiresAtMs = now + config.accessTtl * 1000;
    const QString jti = QString::fromLatin1(Crypto::base64Url(Crypto::randomBytes(16)));
    // RFC 8707 §2 / RFC 9068 §3: aud names the resource(s); without one, the client as before.
    QJsonValue aud = family.clientId;
    if (options.audience.size() == 1)
        aud = options.audience.first();
    else if (options.audience.size() > 1)
        aud = QJsonArray::fromStringList(options.audience);
    // exp is rounded up so a client never sees a token as valid after the server stops accepting
    // it.
    QJsonObject claims {{QStringLiteral("iss"), issuer()},
                        {QStringLiteral("sub"), family.user},
                        {QStringLiteral("aud"), aud},
                        {QStringLiteral("client_id"), family.clientId},
                        {QStringLiteral("iat"), now / 1000},
                        {QStringLiteral("exp"), (expiresAtMs + 999) / 1000},
                        {QStringLiteral("jti"), jti},
                        {QStringLiteral("scope"), family.scope}};
    // RFC 9470 §4 / RFC 9068 §2.2.1: how and when the user signed in, when asked for.
    if (family.authClaims) {
        claims.insert(QStringLiteral("auth_time"),
                      (family.authTimeMs > 0 ? family.authTimeMs : family.createdAtMs) / 1000);
        if (!family.acr.isEmpty())
            claims.insert(QStringLiteral("acr"), family.acr);
    }
    // RFC 9449 §6.1: a DPoP-bound token names its key's thumbprint.
    if (!options.dpopJkt.isEmpty())
        claims.insert(QStringLiteral("cnf"),
                      QJsonObject {{QStringLiteral("jkt"), QString::fromLatin1(options.dpopJkt)}});
    const QByteArray token = signer->sign(claims);
    accessTokens.insert(jti, AccessRecord {family.id, expiresAtMs});
    if (config.admin)
        issuedAccessTokens.append(token);
    *expiresIn = config.accessTtl;
    return token;
}

Response MockAuthServerPrivate::tokenResponse(const TokenFamily &family,
                                              const QByteArray &refreshToken,
                                              const IssueOptions &options)
{
    qint64 expiresIn = 0;
    const QByteArray access = issueAccessToken(family, &expiresIn, options);
    // RFC 9449 §5: token_type DPoP says the access token is bound to the proof's key.
    QJsonObject body {
            {QStringLiteral("access_token"), QString::fromLatin1(access)},
            {QStringLiteral("token_type"),
             options.dpopJkt.isEmpty() ? QStringLiteral("Bearer") : QStringLiteral("DPoP")},
            {QStringLiteral("expires_in"), expiresIn},
            {QStringLiteral("refresh_token"), QString::fromLatin1(refreshToken)},
            {QStringLiteral("scope"), family.scope}};
    // OpenID Connect Core §3.1.3.3: an ID token when "openid" was granted.
    if (options.openIdGrant
        && family.scope.split(QLatin1Char(' ')).contains(QLatin1String("openid"))) {
        const QByteArray idToken = issueIdToken(family, options.nonce);
        if (!idToken.isEmpty())
            body.insert(QStringLiteral("id_token"), QString::fromLatin1(idToken));
        if (!idToken.isEmpty() && config.admin)
            issuedIdTokens.append(idToken);
    }
    if (config.admin && !issuedRefreshTokens.contains(refreshToken))
        issuedRefreshTokens.append(refreshToken); // a reuse-grace answer repeats one
    return Response::json(body).noStore();
}

IdTokenSigner *MockAuthServerPrivate::idTokenSigner()
{
    if (!idSignerTried) {
        idSignerTried = true;
        if (config.idTokenAlg == ServerConfig::IdTokenAlg::ES256)
            idSigner = IdTokenSigner::es256();
        else if (signer && signer->algorithm() == JwtSigner::Algorithm::RS256)
            idSigner = IdTokenSigner::rs256(signer->exportKey(), signer->keyId());
    }
    return idSigner.get();
}

QByteArray MockAuthServerPrivate::issueIdToken(const TokenFamily &family, const QString &nonce)
{
    IdTokenSigner *idTokens = idTokenSigner();
    if (!idTokens)
        return {};
    const qint64 now = nowMs() / 1000;
    // OpenID Connect Core §2: auth_time is when the user signed in, kept across refreshes.
    const qint64 authTime = family.authTimeMs > 0 ? family.authTimeMs / 1000 : now;
    QJsonObject claims {{QStringLiteral("iss"), issuer()},
                        {QStringLiteral("sub"), family.user},
                        {QStringLiteral("aud"), family.clientId},
                        {QStringLiteral("iat"), now},
                        {QStringLiteral("auth_time"), authTime},
                        {QStringLiteral("exp"), now + config.idTokenTtl},
                        {QStringLiteral("name"), displayName(family.user)},
                        {QStringLiteral("email"), emailOf(family.user)}};
    if (!family.acr.isEmpty())
        claims.insert(QStringLiteral("acr"), family.acr);
    if (!nonce.isEmpty())
        claims.insert(QStringLiteral("nonce"), nonce);
    FaultPlan::IdTokenFault fault;
    if (faults.takeIdTokenFault(&fault)) {
        count(QStringLiteral("faults_applied"));
        for (auto it = fault.claims.begin(); it != fault.claims.end(); ++it) {
            if (it.value().isNull())
                claims.remove(it.key());
            else
                claims.insert(it.key(), it.value());
        }
        QByteArray token = idTokens->sign(claims, fault.kid);
        if (fault.tamper) {
            // Flip one bit of the signature's first byte (still valid base64url).
            const qsizetype dot = token.lastIndexOf('.');
            token[dot + 1] = token[dot + 1] == 'A' ? 'B' : 'A';
        }
        count(QStringLiteral("id_tokens_issued"));
        return token;
    }
    count(QStringLiteral("id_tokens_issued"));
    return idTokens->sign(claims);
}

QString MockAuthServerPrivate::displayName(const QString &user)
{
    QString name = user;
    if (!name.isEmpty())
        name[0] = name[0].toUpper();
    return name;
}

QString MockAuthServerPrivate::emailOf(const QString &user)
{
    return user + QStringLiteral("@example.test");
}

void MockAuthServerPrivate::revokeFamily(const QString &familyId, const QString &reason)
{
    if (refreshTokens.revokeFamily(familyId, reason))
        saveState();
}

QStringList MockAuthServerPrivate::userNames() const
{
    QStringList names;
    for (const auto &entry : config.users)
        names.append(entry.first);
    return names;
}

QByteArray MockAuthServerPrivate::httpDate(qint64 msecsSinceEpoch)
{
    // RFC 9110 §5.6.7: IMF-fixdate, always in English and GMT.
    return QLocale::c()
            .toString(QDateTime::fromMSecsSinceEpoch(msecsSinceEpoch, Qt::UTC),
                      QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
            .toLatin1();
}

Response MockAuthServerPrivate::route(const Request &request)
{
    // RFC 9110 §6.6.1: every answer says when it was made, on the server's clock.
    Response r = dispatch(request);
    r.setHeader("Date", httpDate(nowMs()));
    return r;
}

Response MockAuthServerPrivate::dispatch(const Request &request)
{
    count(QStringLiteral("requests"));
    const QString &path = request.path;
    if (path == QLatin1String("/.well-known/openid-configuration")
        || path == QLatin1String("/.well-known/oauth-authorization-server"))
        return discovery(request);
    if (path == QLatin1String("/.well-known/jwks.json"))
        return jwks(request);
    if (path == QLatin1String("/oauth/token"))
        return token(request);
    if (path == QLatin1String("/oauth/revoke"))
        return revoke(request);
    if (path == QLatin1String("/oauth/authorize"))
        return authorize(request);
    if (path == QLatin1String("/oauth/device_authorization"))
        return deviceAuthorization(request);
    if (path == QLatin1String("/oauth/userinfo"))
        return userinfo(request);
    if (path == QLatin1String("/oauth/logout"))
        return endSession(request);
    if (path == QLatin1String("/oauth/par"))
        return pushedAuthorization(request);
    if (path == QLatin1String("/device"))
        return devicePage(request);
    if (path == QLatin1String("/auth/login"))
        return cookieLogin(request);
    if (path == QLatin1String("/auth/refresh"))
        return cookieRefresh(request);
    if (path == QLatin1String("/auth/logout"))
        return cookieLogout(request);
    if (path.startsWith(QLatin1String("/api/")))
        return api(request);
    // The admin API does not exist unless enabled, and only for this machine.
    if (path.startsWith(QLatin1String("/admin/")) && config.admin && request.peer().isLoopback())
        return admin(request);
    return Response::error(404, QStringLiteral("not_found"), QStringLiteral("no such endpoint"));
}

QJsonObject MockAuthServerPrivate::stats() const
{
    QJsonObject out;
    for (auto it = counters.cbegin(); it != counters.cend(); ++it)
        out.insert(it.key(), it.value());
    out.insert(QStringLiteral("live_families"), refreshTokens.liveFamilyIds(nowMs()).size());
    out.insert(QStringLiteral("families"), refreshTokens.familyCount());
    out.insert(QStringLiteral("faults"), faults.toJson());
    // Per extra resource server (--api-listen): requests, authorized_requests, unauthorized.
    QJsonObject audiences;
    for (auto it = audienceCounters.cbegin(); it != audienceCounters.cend(); ++it) {
        QJsonObject counters;
        for (auto c = it->cbegin(); c != it->cend(); ++c)
            counters.insert(c.key(), c.value());
        audiences.insert(it.key(), counters);
    }
    out.insert(QStringLiteral("audiences"), audiences);
    return out;
}

QJsonObject MockAuthServerPrivate::tokens() const
{
    QJsonArray access;
    for (const QByteArray &t : issuedAccessTokens)
        access.append(QString::fromLatin1(t));
    QJsonArray refresh;
    for (const QByteArray &t : refreshTokens.livePlaintexts())
        refresh.append(QString::fromLatin1(t));
    QJsonArray issuedRefresh;
    for (const QByteArray &t : issuedRefreshTokens)
        issuedRefresh.append(QString::fromLatin1(t));
    QJsonArray id;
    for (const QByteArray &t : issuedIdTokens)
        id.append(QString::fromLatin1(t));
    return QJsonObject {{QStringLiteral("access_tokens"), access},
                        {QStringLiteral("refresh_tokens"), refresh},
                        {QStringLiteral("issued_refresh_tokens"), issuedRefresh},
                        {QStringLiteral("id_tokens"), id}};
}

// ---------------------------------------------------------------------------

MockAuthServer::MockAuthServer(const ServerConfig &config, QObject *parent)
    : QObject(parent), d(std::make_unique<MockAuthServerPrivate>(this, config))
{ }

MockAuthServer::~MockAuthServer()
{
    for (const auto &api : d->apiFrontends)
        delete api.http;
    delete d->http;
}

bool MockAuthServer::listen()
{
    if (d->http) {
        d->errorString = QStringLiteral("already listening");
        return false;
    }
    if (!d->loadState(&d->errorString))
        return false;
    if (!d->signer) {
        const bool rsa = d->config.signing == ServerConfig::Signing::RS256;
        // Making an RSA key costs 0.1–0.4 s. Servers without a state file share
        // one per process, so test suites that start many servers stay fast;
        // a server with a state file always makes (and persists) its own.
        if (rsa && d->config.stateFile.isEmpty())
            d->signer = processRsaSigner();
        else
            d->signer = JwtSigner::generate(rsa ? JwtSigner::Algorithm::RS256
                                                : JwtSigner::Algorithm::HS256);
        if (!d->signer) {
            d->errorString = QStringLiteral("could not generate a signing key");
            return false;
        }
        d->saveState();
    }
    auto *http = new HttpFrontend(
            d->config.maxBodySize, [this](const Request &r) { return d->route(r); }, this);
    QString why;
    const quint16 port = http->listenOn(d->config.bind, d->config.port, &why);
    if (port == 0) {
        d->errorString = QStringLiteral("cannot listen on %1 port %2: %3")
                                 .arg(d->config.bind.toString())
                                 .arg(d->config.port)
                                 .arg(why);
        delete http;
        return false;
    }
    d->http = http;
    d->port = port;
    qCInfo(lcMockServer, "listening on port %u", unsigned(port));
    for (const auto &listener : d->config.apiListeners) {
        if (d->startApiListener(listener).isEmpty())
            return false;
    }
    return true;
}

QString MockAuthServer::errorString() const
{
    return d->errorString;
}

quint16 MockAuthServer::port() const
{
    return d->port;
}

QUrl MockAuthServer::baseUrl() const
{
    return d->baseUrl();
}

QJsonObject MockAuthServer::stats() const
{
    return d->stats();
}

void MockAuthServer::setFaults(const QJsonObject &faults)
{
    QString why;
    bool ok = false;
    d->applyFaults(faults, &why, &ok);
    if (!ok)
        qCWarning(lcMockServer, "faults refused: %ls", qUtf16Printable(why));
}

void MockAuthServer::clearFaults()
{
    d->faults.clear();
}

QJsonObject MockAuthServer::tokens() const
{
    return d->tokens();
}

} // namespace SecureTokens::Mock
