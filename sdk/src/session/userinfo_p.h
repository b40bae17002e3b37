// SPDX-License-Identifier: MIT
#pragma once

// The OpenID Connect UserInfo answer (Core §5.3): parseUserInfo() is a pure
// function over untrusted input (the answer of a provider endpoint), and
// mergeUserInfo() the one rule for what wins when it disagrees with the
// verified ID token.

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QByteArrayView>
#include <QString>
#include <QVariantMap>

namespace SecureTokens {

/*!
    \internal
    Parses a UserInfo response body (Core §5.3.2): a JSON object with a
    string "sub" equal, character for character, to \a verifiedSubject (the
    verified ID token's), else the answer must not be used. Signed or
    encrypted answers (application/jwt) are not supported: they fail as not
    JSON. Returns MalformedResponse (not an object, no "sub") or
    IdTokenRejected (another subject), leaving \a out untouched then.
*/
SECURETOKENS_EXPORT ErrorInfo parseUserInfo(QByteArrayView body, const QString &verifiedSubject,
                                            QVariantMap *out);

/*!
    \internal
    The claims kept after a UserInfo answer: \a verified (the ID token's
    claims, verified against the provider's keys, and what earlier answers
    added) with the claims of \a userInfo that \a verified lacks. Where both
    name a claim, the verified value stays: the UserInfo answer is
    authenticated only by TLS and the access token, the ID token by the
    provider's signature. The fresh answer itself is what
    Session::userInfoReceived() carries.
*/
SECURETOKENS_EXPORT QVariantMap mergeUserInfo(const QVariantMap &verified,
                                              const QVariantMap &userInfo);

} // namespace SecureTokens
