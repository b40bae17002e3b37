// SPDX-License-Identifier: MIT
#pragma once

// The one secure record kept per account: everything the SDK stores for a
// signed-in user, written, verified, read, locked and wiped as one unit.
// Encoding and decoding are pure functions over untrusted input (a fuzz
// target: the value comes back from a keychain other processes can write).

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace SecureTokens {

struct SessionConfig;

//! Largest record accepted (the storage backends' own limit is 64 KiB).
inline constexpr qsizetype maxAccountRecordBytes = qsizetype(64) * 1024;

/*!
    \internal
    What is stored for one account. Secrets are SecretBytes; the rest is the
    binding (which server and client the tokens belong to) and what the user
    should not lose across a restart (verified identity, granted scope).
*/
struct SECURETOKENS_EXPORT AccountRecord
{
    //! The format this SDK writes. Older versions are read; newer ones are refused.
    static constexpr quint8 currentVersion = 1;

    enum class Kind : quint8 {
        OAuth = 1, //!< refreshToken is an OAuth refresh token
        Cookie = 2, //!< refreshToken is the cookie transport's envelope
    };

    Kind kind = Kind::OAuth;
    //! The issuer the tokens came from (empty when endpoints were set by hand).
    QString issuer;
    //! The token endpoint (for the cookie transport: its refresh URL).
    QString tokenEndpoint;
    QString clientId;

    SecretBytes refreshToken;
    //! A client secret given at sign-in (e.g. Google's "desktop app" clients).
    SecretBytes clientSecret;
    //! The last verified ID token (for RP-initiated logout's id_token_hint).
    SecretBytes idToken;
    //! Verified claims (ID token, userinfo) as a compact JSON object; empty for none.
    QByteArray claimsJson;
    //! The scope the server granted (RFC 6749 §5.1), space-separated.
    QString scope;
    //! A DPoP private key held here (PKCS#8 DER), or empty.
    SecretBytes dpopPrivateKey;
    //! Where a DPoP key held elsewhere lives (e.g. a PKCS#11 URI), or empty.
    QString dpopKeyReference;
    //! SecretStore::backendName() of the store the record was written to.
    QString backend;
    //! When the record was written (seconds since 1970, UTC).
    qint64 updatedAt = 0;

    /*!
        Read from a value an earlier SecureTokens wrote: the bare refresh
        credential, with no binding. It is used once for the server it was
        configured with and rewritten as a record (migration).
    */
    bool legacy = false;

    //! A copy, secrets cloned (each copy is wiped on its own).
    AccountRecord clone() const;
};

/*!
    Encodes \a record: magic "\0STR", the version, then tagged fields
    (tag byte, 32-bit big-endian length, bytes). The buffer is sized exactly
    first, so no reallocation leaves a copy of a secret behind.
*/
SECURETOKENS_EXPORT SecretBytes encodeAccountRecord(const AccountRecord &record);

/*!
    Decodes a stored value. A value that does not start with the magic is a
    legacy value (today's refresh tokens are printable, RFC 6749 Appendix A;
    the cookie envelope starts with "stc1"): \a out gets it as refreshToken
    with legacy set. Fails with StorageFailed (message says why) for a damaged
    record, one from a newer version, an unknown or repeated field, or a
    value over maxAccountRecordBytes; \a out is left untouched then.
*/
SECURETOKENS_EXPORT ErrorInfo decodeAccountRecord(QByteArrayView stored, AccountRecord *out);

/*!
    Whether \a record may be used with \a config: the same client id and the
    same issuer (or, without an issuer, the same token endpoint; for the
    cookie transport, the same refresh URL). A legacy record has no binding
    and matches. Returns AccountMismatch, naming both sides, otherwise.
*/
SECURETOKENS_EXPORT ErrorInfo checkAccountBinding(const AccountRecord &record,
                                                  const SessionConfig &config);

//! Fills the binding fields of \a record (kind, issuer, token endpoint, client id) from \a config.
SECURETOKENS_EXPORT void bindAccountRecord(AccountRecord *record, const SessionConfig &config);

} // namespace SecureTokens
