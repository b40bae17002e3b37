// SPDX-License-Identifier: MIT
// Client authentication (RFC 6749 §2.3): public clients identify themselves
// with client_id; confidential clients (ServerConfig::clientSecrets) prove
// their secret with client_secret_basic or client_secret_post (§2.3.1).
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

namespace SecureTokens::Mock {

namespace {

//! Appendix B of RFC 6749: the id and the secret are form-urlencoded before Basic encoding.
QString formDecode(const QByteArray &text)
{
    QByteArray raw = text;
    raw.replace('+', ' ');
    return QUrl::fromPercentEncoding(raw);
}

//! The credentials of an "Authorization: Basic ..." header; false when malformed.
bool basicCredentials(const QByteArray &authorization, QString *id, QString *secret)
{
    const QByteArray encoded = authorization.mid(authorization.indexOf(' ') + 1).trimmed();
    const auto decoded = QByteArray::fromBase64Encoding(
            encoded, QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || encoded.isEmpty())
        return false;
    const QByteArray pair = *decoded;
    const int colon = pair.indexOf(':');
    if (colon <= 0)
        return false;
    *id = formDecode(pair.left(colon));
    *secret = formDecode(pair.mid(colon + 1));
    return !id->isEmpty();
}

bool isBasic(const QByteArray &authorization)
{
    const int space = authorization.indexOf(' ');
    return space > 0 && authorization.left(space).compare("Basic", Qt::CaseInsensitive) == 0;
}

} // namespace

bool MockAuthServerPrivate::identifiesClient(const Request &request, const QUrlQuery &form)
{
    return form.hasQueryItem(QStringLiteral("client_id"))
            || form.hasQueryItem(QStringLiteral("client_secret"))
            || isBasic(request.header("Authorization"));
}

bool MockAuthServerPrivate::authenticateClient(const Request &request, const QUrlQuery &form,
                                               ClientAuthentication *client, Response *refusal)
{
    const auto fail = [&](int status, const QString &error, const QString &why, bool challenge) {
        if (status == 401 && challenge)
            count(QStringLiteral("client_auth_failures"));
        *refusal = Response::error(status, error, why);
        // RFC 6749 §5.2: a 401 names the scheme the client can authenticate with.
        if (challenge)
            refusal->setHeader("WWW-Authenticate", "Basic realm=\"securetokens-mock\"");
        qCInfo(lcMockServer, "client authentication refused: %ls", qUtf16Printable(why));
        return false;
    };
    // RFC 6749 §2.3.1: the credentials "MUST NOT be included in the request URI".
    if (QUrlQuery(request.raw.url()).hasQueryItem(QStringLiteral("client_secret")))
        return fail(400, QStringLiteral("invalid_request"),
                    QStringLiteral("client_secret must not be sent in the request URI"), false);
    const QByteArray authorization = request.header("Authorization");
    const bool basic = isBasic(authorization);
    const bool postSecret = form.hasQueryItem(QStringLiteral("client_secret"));
    const QString bodyId = formValue(form, QStringLiteral("client_id"));
    QString basicId;
    QString basicSecret;
    if (basic && !basicCredentials(authorization, &basicId, &basicSecret))
        return fail(401, QStringLiteral("invalid_client"),
                    QStringLiteral("malformed Basic credentials"), true);
    // RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request".
    if (basic && postSecret)
        return fail(400, QStringLiteral("invalid_request"),
                    QStringLiteral("more than one client authentication method"), false);
    if (basic && !bodyId.isEmpty() && bodyId != basicId)
        return fail(400, QStringLiteral("invalid_request"),
                    QStringLiteral("client_id differs from the authenticated client"), false);
    const QString id = basic ? basicId : bodyId;
    if (id.isEmpty())
        return fail(400, QStringLiteral("invalid_request"), QStringLiteral("missing client_id"),
                    false);
    if (!isClient(id))
        return fail(401, QStringLiteral("invalid_client"), QStringLiteral("unknown client"), basic);
    const QString secret = basic ? basicSecret : formValue(form, QStringLiteral("client_secret"));
    client->clientId = id;
    client->authenticated = false;
    if (!isConfidential(id)) {
        // A public client has no secret (RFC 6749 §2.1); Basic with an empty password
        // only identifies it.
        if (!secret.isEmpty())
            return fail(401, QStringLiteral("invalid_client"),
                        QStringLiteral("public client: no secret is registered"), true);
        return true;
    }
    // RFC 6749 §2.3.1: password authentication is protected against brute force.
    const QString limiterKey = QStringLiteral("secret:") + id;
    if (const qint64 wait = rateLimiter.retryAfter(limiterKey, nowMs())) {
        count(QStringLiteral("rate_limited"));
        *refusal = Response::error(429, QStringLiteral("temporarily_unavailable"),
                                   QStringLiteral("too many failed client authentications"));
        refusal->setHeader("Retry-After", QByteArray::number(wait));
        return false;
    }
    if (!basic && !postSecret)
        return fail(401, QStringLiteral("invalid_client"),
                    QStringLiteral("client authentication required (client_secret_basic or "
                                   "client_secret_post)"),
                    true);
    // Digests have equal lengths, so the comparison is constant-time whatever the secret.
    const bool good
            = Crypto::constantTimeEquals(Crypto::sha256(secret.toUtf8()),
                                         Crypto::sha256(config.clientSecrets.value(id).toUtf8()));
    if (!good) {
        rateLimiter.recordFailure(limiterKey, nowMs());
        return fail(401, QStringLiteral("invalid_client"),
                    QStringLiteral("client authentication failed"), true);
    }
    rateLimiter.reset(limiterKey);
    client->authenticated = true;
    return true;
}

} // namespace SecureTokens::Mock
