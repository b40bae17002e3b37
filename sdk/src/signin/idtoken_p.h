// SPDX-License-Identifier: MIT
#pragma once

// OpenID Connect ID token validation (OpenID Connect Core 1.0 §3.1.3.7,
// RFC 8725 JWT best practices). Pure: the keys and the clock are inputs.

#include "jwks_p.h"

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace SecureTokens {

//! What an ID token must match.
struct IdTokenExpectations
{
    QString issuer; //!< exact "iss"
    QString clientId; //!< must be in "aud"; "azp" must equal it when present
    //! Other entries "aud" may hold (SessionConfig::trustedAudiences); any other is rejected
    QStringList trustedAudiences;
    QByteArray nonce; //!< exact "nonce" when non-empty (browser flow); ignored when empty
    qint64 now = 0; //!< seconds since the epoch
    qint64 skew = 120; //!< allowed clock difference, seconds
    /*!
        The request's max_age (OpenID Connect Core §3.1.2.1), seconds; -1: none.
        Then "auth_time" must be present (§2) and at most maxAge + skew old
        (§3.1.3.7 item 13).
    */
    qint64 maxAge = -1;
    /*!
        When not empty, "acr" must be one of these (RFC 9470 §4: the
        authentication level a resource server demanded, asked for again).
    */
    QStringList requiredAcr;
};

//! The outcome of validateIdToken().
struct IdTokenResult
{
    ErrorInfo error; //!< NoError when valid
    QJsonObject claims; //!< the payload, when valid
    bool unknownKey = false; //!< no key in the set matches the token's kid: refetch the set once
};

/*!
    Validates \a token: a compact JWS (at most maxJwtBytes) whose header "alg"
    is RS256 or ES256 ("none", HS256 and the rest are refused: the algorithm
    is never chosen by the token alone, RFC 8725 §3.1); the key is chosen by
    "kid" (or the only key of the right type when there is no kid) and must be
    of the algorithm's type, with a matching "alg" when the JWK names one;
    then iss, aud/azp, exp and iat (with the skew), nonce and a non-empty sub.
*/
SECURETOKENS_EXPORT IdTokenResult validateIdToken(QByteArrayView token, const QList<Jwk> &keys,
                                                  const IdTokenExpectations &expected);

} // namespace SecureTokens
