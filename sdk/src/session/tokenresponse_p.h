// SPDX-License-Identifier: MIT
#pragma once

// Parsing of token-endpoint answers (RFC 6749 §5.1 success, §5.2 error). Pure functions over
// untrusted server input: no I/O, no globals, bounded work. Each one is a fuzz target (fuzz/).

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

namespace SecureTokens {

//! Bounds applied to a token-endpoint answer before and while it is parsed.
struct TokenResponseLimits
{
    qint64 maxBodyBytes = qint64(64) * 1024;
    qsizetype maxTokenBytes = qsizetype(16) * 1024; //!< per token field (and for "scope")
    qint64 minExpiresIn = 1; //!< seconds
    qint64 maxExpiresIn = 10LL * 365 * 24 * 3600; //!< seconds
    //! A DPoP proof went with the request: token_type "DPoP" is accepted (RFC 9449 §5).
    bool acceptDpop = false;
};

//! A successful token response (RFC 6749 §5.1).
struct TokenResponse
{
    SecretBytes accessToken;
    SecretBytes refreshToken; //!< empty when the server did not send one (keep the old one)
    SecretBytes idToken; //!< empty when absent
    qint64 expiresIn = -1; //!< seconds; -1 when absent (lifetime unknown)
    QString scope; //!< granted scope, empty when absent
    bool dpopBound = false; //!< token_type was "DPoP" (RFC 9449 §5): bound to the proof's key
};

/*!
    Parses a token-endpoint HTTP answer with status \a httpStatus, Content-Type
    header value \a contentType and body \a body.

    On success returns an ErrorInfo with Error::NoError and fills \a out. On
    failure returns the error (with httpStatus set and, for RFC 6749 §5.2
    answers, the oauthError* fields) and leaves \a out untouched.

    \a body is wiped before returning, in all cases: when it owned its buffer it
    keeps its size and holds only zero bytes; when its buffer was shared with
    another QByteArray (which cannot be wiped without wiping a detached copy)
    it is cleared instead, and wiping stays the other owner's job.

    Residual copies, documented in docs/security-model.md: Qt's JSON parser
    keeps its own copy of every string until this function returns.

    Access-token lifetime comes only from "expires_in", never from the
    contents of a JWT access token.
*/
SECURETOKENS_EXPORT ErrorInfo parseTokenResponse(int httpStatus, QByteArrayView contentType,
                                                 QByteArray &body, TokenResponse *out,
                                                 const TokenResponseLimits &limits = {});

/*!
    Maps an RFC 6749 §5.2 (and §4.1.2.1 access_denied) error code to an Error.
    An empty or unknown code maps by \a httpStatus: 503 → TemporarilyUnavailable,
    other 5xx → ServerError, 429 → RateLimited, 401 → InvalidClient, other 4xx →
    InvalidRequest, anything else → MalformedResponse.

    A definitive code (invalid_grant...) inside a 5xx or 429 answer is not
    trusted to end a session: such answers always map to a transient error.
*/
SECURETOKENS_EXPORT Error errorFromOAuthCode(QStringView oauthError, int httpStatus);

} // namespace SecureTokens
