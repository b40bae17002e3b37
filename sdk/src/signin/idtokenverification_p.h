// SPDX-License-Identifier: MIT
#pragma once

#include "session/tokenresponse_p.h"

#include <securetokens/error.h>

#include <QByteArray>
#include <QStringList>
#include <QVariantMap>

#include <functional>

class QObject;

namespace SecureTokens {

class SignInFlows;
class SignInHost;

//! What a sign-in asked of the user's authentication, checked in its ID token.
struct AuthenticationRequirements
{
    //! The max_age sent (OpenID Connect Core §3.1.2.1), seconds; -1: none.
    qint64 maxAge = -1;
    //! acr values of which the ID token's "acr" must be one (RFC 9470 §4); empty: any.
    QStringList requiredAcr;
};

/*!
    \internal
    Verifies the ID token in \a response (OpenID Connect Core §3.1.3.7)
    against the provider's JWKS, fetching the set again once for a key id it
    does not know (key rotation): issuer (discovered, else configured, else
    \a issuerHint: the RFC 9207 iss of this sign-in's authorization response
    when no issuer is known, so that the ID token must name the same one), audience
    and azp (our client), exp and iat with the configured skew, \a nonce when
    not empty, auth_time and acr as \a requirements say (OpenID Connect Core
    §3.1.3.7 items 12–13). A response without an ID token passes unless
    \a required (then MalformedResponse). \a done gets the verified claims for display — not the
    spent nonce, nor the token hashes — later, exactly once, unless \a context
    dies.
*/
void verifyIdToken(SignInHost *host, SignInFlows *flows, const TokenResponse &response,
                   bool required, const QByteArray &nonce, QObject *context,
                   std::function<void(const ErrorInfo &error, const QVariantMap &claims)> done,
                   const QString &issuerHint = {},
                   const AuthenticationRequirements &requirements = {});

} // namespace SecureTokens
