// SPDX-License-Identifier: MIT
#pragma once

#include "session/tokenresponse_p.h"

#include <securetokens/error.h>

#include <QByteArray>
#include <QVariantMap>

#include <functional>

class QObject;

namespace SecureTokens {

class SignInFlows;
class SignInHost;

/*!
    \internal
    Verifies the ID token in \a response (OpenID Connect Core §3.1.3.7)
    against the provider's JWKS, fetching the set again once for a key id it
    does not know (key rotation): issuer (discovered, else configured, else
    \a issuerHint: the RFC 9207 iss of this sign-in's authorization response
    when no issuer is known, so that the ID token must name the same one), audience
    and azp (our client), exp and iat with the configured skew, \a nonce when
    not empty. A response without an ID token passes unless \a required (then
    MalformedResponse). \a done gets the verified claims for display — not the
    spent nonce, nor the token hashes — later, exactly once, unless \a context
    dies.
*/
void verifyIdToken(SignInHost *host, SignInFlows *flows, const TokenResponse &response,
                   bool required, const QByteArray &nonce, QObject *context,
                   std::function<void(const ErrorInfo &error, const QVariantMap &claims)> done,
                   const QString &issuerHint = {});

} // namespace SecureTokens
