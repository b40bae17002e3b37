// SPDX-License-Identifier: MIT
#pragma once

// The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636
// §4.3, OpenID Connect Core §3.1.2.1, RFC 8707 §2.1), the same whether they
// travel in the browser's URL or in a pushed request (RFC 9126 §2.1).

#include <securetokens/error.h>
#include <securetokens/sessionconfig.h>

#include <QByteArray>
#include <QList>
#include <QPair>

namespace SecureTokens {

//! The one-time values of one sign-in, made by the flow.
struct AuthorizationSecrets
{
    QByteArray redirectUri;
    QByteArray state;
    QByteArray codeChallenge; //!< S256 of the code verifier
    QByteArray nonce; //!< empty without the openid scope
};

/*!
    \internal
    The authorization request's parameters in order: the SDK's own
    (response_type, client_id, redirect_uri, scope, state, code_challenge,
    code_challenge_method, nonce), then prompt (the application's, else
    "consent" when offline_access is asked for, OIDC Core §11), the typed
    fields of SessionConfig and SessionConfig::extraAuthorizationParameters.
    InvalidConfiguration, naming the parameter, for an extra parameter the
    SDK owns or a typed field already sets, or a resource that is not an
    absolute URI without a fragment (RFC 8707 §2). Pure.
*/
ErrorInfo authorizationParameters(const SessionConfig &config, const AuthorizationSecrets &secrets,
                                  QList<QPair<QByteArray, QByteArray>> *out);

/*!
    \internal
    \a fields as an application/x-www-form-urlencoded body (RFC 6749
    Appendix B), sized once so that a secret among them leaves no
    reallocated copy behind. The caller wipes the result when it holds one.
*/
QByteArray formEncode(const QList<QPair<QByteArray, QByteArray>> &fields);

//! The names SessionConfig::extraAuthorizationParameters may not hold.
const QList<QByteArray> &reservedAuthorizationParameters();

} // namespace SecureTokens
