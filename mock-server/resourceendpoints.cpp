// SPDX-License-Identifier: MIT
// Protected resources (/api/*) and bearer-token checks (RFC 6750).
#include "mockauthserver_p.h"

#include "logging_p.h"

#include <QJsonArray>

namespace SecureTokens::Mock {

namespace {

//! RFC 6750 §3: the challenge with an error code and a description.
Response bearerError(int status, const QString &error, const QString &description,
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

Response MockAuthServerPrivate::api(const Request &request)
{
    count(QStringLiteral("protected_requests"));
    const QByteArray authorization = request.header("Authorization");
    const int space = authorization.indexOf(' ');
    const bool bearer
            = space > 0 && authorization.left(space).compare("Bearer", Qt::CaseInsensitive) == 0;
    if (!bearer) {
        // RFC 6750 §3.1: no credentials at all → a bare challenge, no error code.
        count(QStringLiteral("unauthorized"));
        Response r = Response::json(QJsonObject {{QStringLiteral("error_description"),
                                                  QStringLiteral("authentication required")}},
                                    401);
        r.setHeader("WWW-Authenticate", "Bearer");
        return r.noStore();
    }
    const QByteArray token = authorization.mid(space + 1).trimmed();
    if (token.isEmpty())
        return bearerError(400, QStringLiteral("invalid_request"), QStringLiteral("empty token"));
    if (faults.takeAccessRejection()) {
        count(QStringLiteral("unauthorized"));
        count(QStringLiteral("faults_applied"));
        return bearerError(401, QStringLiteral("invalid_token"),
                           QStringLiteral("token rejected (injected fault)"));
    }
    QJsonObject claims;
    const QString problem = checkAccessToken(token, &claims);
    if (!problem.isEmpty()) {
        count(QStringLiteral("unauthorized"));
        qCInfo(lcMockServer, "protected request refused: %ls", qUtf16Printable(problem));
        return bearerError(401, QStringLiteral("invalid_token"), problem);
    }
    count(QStringLiteral("authorized_requests"));

    const QString sub = claims.value(QStringLiteral("sub")).toString();
    const QStringList scopes = claims.value(QStringLiteral("scope"))
                                       .toString()
                                       .split(QLatin1Char(' '), Qt::SkipEmptyParts);
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
        if (!scopes.contains(QStringLiteral("items")))
            return bearerError(403, QStringLiteral("insufficient_scope"),
                               QStringLiteral("the items scope is required"), "scope=\"items\"");
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
