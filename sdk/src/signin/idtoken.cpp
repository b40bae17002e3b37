// SPDX-License-Identifier: MIT
#include "idtoken_p.h"

#include "session/jwtclaims_p.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <openssl/crypto.h>

#include <algorithm>

namespace SecureTokens {

namespace {

IdTokenResult rejected(const QString &why)
{
    IdTokenResult result;
    result.error = ErrorInfo::make(Error::IdTokenRejected,
                                   QStringLiteral("The ID token was rejected: ") + why);
    return result;
}

bool isKeyTypeFor(const Jwk &key, const QString &alg)
{
    if (alg == QLatin1String("RS256"))
        return key.kty == QLatin1String("RSA");
    if (alg == QLatin1String("ES256"))
        return key.kty == QLatin1String("EC");
    return false;
}

// A NumericDate (RFC 7519 §2): a JSON number of seconds.
bool numericDate(const QJsonObject &claims, QLatin1String name, qint64 *out)
{
    const QJsonValue value = claims.value(name);
    if (!value.isDouble())
        return false;
    const double seconds = value.toDouble();
    if (!(seconds >= 0 && seconds < 1e11))
        return false;
    *out = qint64(seconds);
    return true;
}

/*!
    The key \a kid names that fits \a alg. Without a kid, the one key that
    fits; \a ambiguous is set (and nullptr returned) when several do.
*/
const Jwk *signingKey(const QList<Jwk> &keys, const QJsonValue &kid, const QString &alg,
                      bool *ambiguous)
{
    if (kid.isString()) {
        const auto it = std::find_if(keys.begin(), keys.end(), [&](const Jwk &candidate) {
            return candidate.kid == kid.toString() && isKeyTypeFor(candidate, alg);
        });
        return it == keys.end() ? nullptr : &*it;
    }
    // No kid: acceptable only when exactly one key fits.
    const Jwk *key = nullptr;
    for (const Jwk &candidate : keys) {
        if (!isKeyTypeFor(candidate, alg))
            continue;
        if (key) {
            *ambiguous = true;
            return nullptr;
        }
        key = &candidate;
    }
    return key;
}

//! Why aud and azp do not name the client as they must; empty when they do.
QString audienceProblem(const QJsonObject &claims, const IdTokenExpectations &expected)
{
    const QString &clientId = expected.clientId;
    const QJsonValue aud = claims.value(QLatin1String("aud"));
    QStringList audiences;
    if (aud.isString()) {
        audiences.append(aud.toString());
    } else if (aud.isArray()) {
        for (const auto &v : aud.toArray()) {
            if (!v.isString())
                return QStringLiteral("malformed audience.");
            audiences.append(v.toString());
        }
    }
    if (!audiences.contains(clientId))
        return QStringLiteral("not issued to this client.");
    // OIDC Core §3.1.3.7 item 3: the token must be rejected if it "contains
    // additional audiences not trusted by the Client". azp = us does not make
    // the others trusted (security review, finding 8): only the configured list.
    for (const QString &audience : std::as_const(audiences)) {
        if (audience != clientId && !expected.trustedAudiences.contains(audience))
            return QStringLiteral("untrusted additional audience.");
    }
    const QJsonValue azp = claims.value(QLatin1String("azp"));
    // OIDC Core §3.1.3.7 items 4–5: with several audiences the authorized
    // party must be present, and when present it must be this client.
    if ((audiences.size() > 1 && !azp.isString())
        || (!azp.isUndefined() && azp.toString() != clientId))
        return QStringLiteral("wrong authorized party.");
    return {};
}

} // namespace

IdTokenResult validateIdToken(QByteArrayView token, const QList<Jwk> &keys,
                              const IdTokenExpectations &expected)
{
    const JwtParts parts = splitJwt(token);
    if (!parts.ok)
        return rejected(QStringLiteral("not a compact JWS."));
    QJsonParseError parseError;
    const QJsonDocument header = QJsonDocument::fromJson(parts.header, &parseError);
    if (parseError.error != QJsonParseError::NoError || !header.isObject())
        return rejected(QStringLiteral("malformed header."));
    const QString alg = header.object().value(QLatin1String("alg")).toString();
    if (alg != QLatin1String("RS256") && alg != QLatin1String("ES256"))
        return rejected(QStringLiteral("unsupported algorithm \"%1\".").arg(alg.left(16)));
    if (header.object().contains(QLatin1String("crit")))
        return rejected(QStringLiteral("unsupported critical header.")); // RFC 7515 §4.1.11

    bool ambiguous = false;
    const Jwk *key = signingKey(keys, header.object().value(QLatin1String("kid")), alg, &ambiguous);
    if (ambiguous)
        return rejected(QStringLiteral("no key id and several candidate keys."));
    if (!key) {
        IdTokenResult result = rejected(QStringLiteral("no key of the provider matches."));
        result.unknownKey = true;
        return result;
    }
    if (!key->alg.isEmpty() && key->alg != alg)
        return rejected(QStringLiteral("the key is not for this algorithm."));
    if (!verifyJwsSignature(alg.toLatin1(), key->key.get(), parts.signingInput, parts.signature))
        return rejected(QStringLiteral("bad signature."));

    const QJsonDocument payload = QJsonDocument::fromJson(parts.payload, &parseError);
    if (parseError.error != QJsonParseError::NoError || !payload.isObject())
        return rejected(QStringLiteral("malformed claims."));
    const QJsonObject claims = payload.object();

    if (expected.issuer.isEmpty())
        return rejected(
                QStringLiteral("no issuer to compare iss with (set SessionConfig::issuer)."));
    if (claims.value(QLatin1String("iss")).toString() != expected.issuer
        || !claims.value(QLatin1String("iss")).isString())
        return rejected(QStringLiteral("wrong issuer \"%1\" (expected \"%2\").")
                                .arg(claims.value(QLatin1String("iss")).toString().left(200),
                                     expected.issuer));
    const QString audience = audienceProblem(claims, expected);
    if (!audience.isEmpty())
        return rejected(audience);

    qint64 exp = 0;
    qint64 iat = 0;
    if (!numericDate(claims, QLatin1String("exp"), &exp)
        || !numericDate(claims, QLatin1String("iat"), &iat))
        return rejected(QStringLiteral("missing exp or iat."));
    if (expected.now >= exp + expected.skew)
        return rejected(QStringLiteral("expired."));
    if (iat > expected.now + expected.skew)
        return rejected(QStringLiteral("issued in the future."));
    if (iat > exp)
        return rejected(QStringLiteral("issued after it expires."));

    if (!expected.nonce.isEmpty()) {
        const QByteArray nonce = claims.value(QLatin1String("nonce")).toString().toUtf8();
        if (nonce.size() != expected.nonce.size()
            || CRYPTO_memcmp(nonce.constData(), expected.nonce.constData(), size_t(nonce.size()))
                    != 0)
            return rejected(QStringLiteral("wrong nonce."));
    }
    if (claims.value(QLatin1String("sub")).toString().isEmpty())
        return rejected(QStringLiteral("no subject."));

    if (expected.maxAge >= 0) {
        // OpenID Connect Core §2: auth_time is REQUIRED when max_age was
        // requested; §3.1.3.7 item 13: too long since the user authenticated
        // means the provider did not re-authenticate as asked.
        qint64 authTime = 0;
        if (!numericDate(claims, QLatin1String("auth_time"), &authTime))
            return rejected(QStringLiteral("max_age was requested but auth_time is missing "
                                           "(OpenID Connect Core §2)."));
        if (authTime > expected.now + expected.skew)
            return rejected(QStringLiteral("auth_time is in the future."));
        if (expected.now - authTime > expected.maxAge + expected.skew)
            return rejected(QStringLiteral("auth_time is %1 s ago, more than max_age %2 s "
                                           "(OpenID Connect Core §3.1.3.7 item 13).")
                                    .arg(expected.now - authTime)
                                    .arg(expected.maxAge));
    }
    if (!expected.requiredAcr.isEmpty()) {
        // RFC 9470 §4, OpenID Connect Core §3.1.3.7 item 12: a token of
        // another level would be refused by the resource server again.
        const QJsonValue acr = claims.value(QLatin1String("acr"));
        if (!acr.isString() || !expected.requiredAcr.contains(acr.toString()))
            return rejected(QStringLiteral("acr \"%1\" is not one of the requested \"%2\" "
                                           "(RFC 9470 §4).")
                                    .arg(acr.toString().left(200),
                                         expected.requiredAcr.join(QLatin1Char(' '))));
    }

    IdTokenResult result;
    result.claims = claims;
    return result;
}

} // namespace SecureTokens
