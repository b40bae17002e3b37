// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/securetokens_export.h>

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>

/*!
    \namespace SecureTokens
    Everything SecureTokens exports lives in this namespace.
*/
namespace SecureTokens {
Q_NAMESPACE_EXPORT(SECURETOKENS_EXPORT)

/*!
    The one error enum of the SDK. Every failure, whatever part it comes from,
    reaches the application as one of these values through a single
    \c errorOccurred channel, together with an ErrorInfo.

    Two questions are answered for every value, each by one function:
    \list
    \li endsSession(): the authorization server has said that the refresh
        token is dead (InvalidGrant, InvalidClient), or unusable because its
        DPoP key is gone (DPoPKeyMissing). Only these end a session:
        the stored token is removed and the session needs a new sign-in.
        Every other error keeps the stored refresh token.
    \li isTransient(): trying again later may succeed (network, timeout, 5xx,
        429, a garbled answer, a keychain that is not ready yet). The session
        retries in the background; the CLI exits 75.
    \endlist
    An error that is neither (e.g. InvalidRequest) keeps the session but
    will not be mended by retrying: it is reported as a plain failure.
*/
enum class Error : quint8 {
    NoError = 0,

    // The authorization server said no (RFC 6749 §5.2). Not transient; of
    // these only InvalidGrant and InvalidClient end the session (endsSession()).
    InvalidGrant, //!< invalid_grant: credentials or refresh token rejected, revoked or reused
    InvalidClient, //!< invalid_client: the client id is unknown or not allowed
    InvalidRequest, //!< invalid_request
    UnauthorizedClient, //!< unauthorized_client
    UnsupportedGrantType, //!< unsupported_grant_type
    InvalidScope, //!< invalid_scope
    AccessDenied, //!< access_denied (e.g. the user declined in the browser)

    // The server could not answer now. Transient: the session is kept.
    ServerError, //!< 5xx or error=server_error
    TemporarilyUnavailable, //!< 503 or error=temporarily_unavailable
    RateLimited, //!< 429; retry after ErrorInfo::retryAfterSeconds
    NetworkError, //!< connection refused, reset, DNS, TLS...
    Timeout, //!< no answer within the configured time

    // The server answered something we cannot accept. Transient (the stored
    // token is kept and the refresh retried later); a sign-in fails.
    MalformedResponse, //!< not JSON, missing or ill-typed fields, out-of-range values; a 401/403 without a JSON error code (a gateway's page)
    ResponseTooLarge, //!< the body exceeds the configured limit
    UnexpectedContentType, //!< not application/json
    UnsupportedTokenType, //!< token_type is not Bearer

    // Secure storage (see SecretStore::Status).
    StorageUnavailable, //!< no secure storage backend (no D-Bus, no Secret Service...)
    StorageLocked, //!< the keyring is locked
    StorageAccessDenied, //!< the user or the OS refused access
    StorageTooLarge, //!< the backend cannot hold a value that large
    StorageTimeout, //!< the backend did not answer in time
    StorageFailed, //!< any other storage failure

    // Session and configuration.
    NotSignedIn, //!< the call needs a session and there is none
    ReauthenticationRequired, //!< the session ended server-side; sign in again
    InvalidConfiguration, //!< a SessionConfig value is missing or wrong
    InsecureTransport, //!< plain http to a non-loopback host, refused before sending
    OperationInProgress, //!< a conflicting operation is running
    Cancelled, //!< the application cancelled the operation

    // Requests through AuthenticatedNetworkAccessManager.
    /*!
        A 401 was not retried because the request cannot be sent again safely:
        its body is a sequential QIODevice or larger than the replay limit, or
        its method is not idempotent without an opt-in. The rejected token is
        renewed anyway; the application may resend.
    */
    RequestNotReplayable,

    // Sign-in answers that fail a security check. Not transient: the sign-in fails.
    /*!
        The ID token failed validation (OpenID Connect Core §3.1.3.7): not a
        JWS, an algorithm other than RS256/ES256, no matching key, a bad
        signature, or a wrong iss, aud, azp, exp, iat or nonce. The message
        names the failing check. Also a UserInfo answer whose "sub" is not
        the verified ID token's (OpenID Connect Core §5.3.2): it is not used.
    */
    IdTokenRejected,
    /*!
        The authorization response names another issuer than the one the
        request went to, or none although the provider promised one (RFC 9207:
        a mix-up attack or a misconfiguration).
    */
    IssuerMismatch,

    /*!
        The stored session belongs to another client or server than the one
        configured (another application sharing the storage service and
        account, or a changed configuration). It is never sent anywhere and
        never deleted; sign in for this configuration. The message names both.
    */
    AccountMismatch,

    /*!
        The directory of the cross-process refresh lock is not private to this
        user: owned by someone else, open to other users, or a symbolic link
        (e.g. another user created it first in a shared temp directory when
        \c XDG_RUNTIME_DIR is unset). Nothing is created or locked there. Not
        transient (waiting does not mend it) and the session is kept; the
        message names the directory. Set \c XDG_RUNTIME_DIR, or remove the
        directory.
    */
    LockDirectoryUnsafe,

    /*!
        The browser came back with a \c state this application did not send
        (RFC 6749 §10.12; OpenID Connect RP-Initiated Logout 1.0 §3): a
        forged or stale redirect. Reported by the provider-session sign-out
        (Session::SignOutOption::EndProviderSession), which has signed out
        locally already. Not transient.
    */
    StateMismatch,

    /*!
        The stored session is DPoP-bound (RFC 9449) but its key is missing or
        cannot be decoded (a damaged record, a key store that lost it), or the
        configuration requires DPoP and the stored session has no key. A bound
        refresh token is useless without its key, so this ends the session
        like InvalidGrant: the record is removed and the user signs in again.
        The message says which of these it was.
    */
    DPoPKeyMissing,

    /*!
        invalid_target (RFC 8707 §2): the authorization server refused the
        resource (or audience) an access token was asked for, e.g. one the
        grant does not cover (SessionConfig::apiResources). Only the requests
        to that API fail; the session and its refresh token are kept. Not
        transient: the configuration or the grant has to change.
    */
    InvalidTarget,

    // What an API answered a request through AuthenticatedNetworkAccessManager
    // (the reply's ErrorAttribute and ErrorInfoAttribute). Neither ends the
    // session nor is transient: the user has to do something first.
    /*!
        The API answered 401 with \c insufficient_user_authentication (RFC
        9470 §3): the access token is fine, but the user's authentication is
        not strong or recent enough. ErrorInfo::acrValues and
        ErrorInfo::maxAgeSeconds say what the API asked for. The request was
        not retried and nothing was refreshed (a refreshed token carries the
        same authentication); the Session emits stepUpRequired(), once for a
        burst of such answers. Session::stepUp() signs in again with them,
        after which the application sends the request again.
    */
    StepUpRequired,
    /*!
        The API answered 401 or 403 with \c insufficient_scope (RFC 6750
        §3.1): the access token lacks a scope the request needs, named in
        ErrorInfo::requiredScopes when the server said which.
        Session::requestScopes() asks the user for more.
    */
    InsufficientScope,

    /*!
        A storage error: the stored session was written to another secure
        storage backend than the one in use now (on Linux, KWallet and the
        Secret Service: QtKeychain chooses from the desktop session and
        QTKEYCHAIN_BACKEND). The current backend has nothing for the account;
        the other still holds it, untouched. Not transient and not a sign-out:
        start under the backend the message names (e.g. the same desktop, or
        QTKEYCHAIN_BACKEND), or sign in again, which stores the session in the
        current backend. See docs/platforms.md, "Which backend holds a session".
    */
    StorageBackendChanged,
};
Q_ENUM_NS(Error)

/*!
    The Session operation an error belongs to (ErrorInfo::operation), so that
    an application can tell a failed sign-in from a failed background refresh
    without tracking what it started.
*/
enum class SessionOperation : quint8 {
    None = 0, //!< not reported by a Session operation (or not known)
    SignIn, //!< signInWithPassword(), signInWithBrowser(), signInWithDeviceCode(), cookie login
    Restore, //!< restore(): reading the stored session and its first refresh
    Refresh, //!< renewing the access token (on demand, proactive, or after a 401)
    SignOut, //!< signOut(): revocation, local wipe, provider sign-out
    Request, //!< an API request through AuthenticatedNetworkAccessManager
    UserInfo, //!< fetchUserInfo() (OpenID Connect Core §5.3), also the one after sign-in
    Discovery, //!< discoverEndpoints()
};
Q_ENUM_NS(SessionOperation)

/*!
    An Error together with what is known about it: a human-readable message,
    the HTTP status and the RFC 6749 §5.2 fields when the server sent them.
    Never holds a token.
*/
struct SECURETOKENS_EXPORT ErrorInfo
{
    Q_GADGET
    //! The code member, for QML and other meta-object readers.
    Q_PROPERTY(SecureTokens::Error code MEMBER code FINAL)
    Q_PROPERTY(QString message MEMBER message FINAL)
    Q_PROPERTY(QString oauthError MEMBER oauthError FINAL)
    Q_PROPERTY(QString oauthErrorDescription MEMBER oauthErrorDescription FINAL)
    Q_PROPERTY(QUrl oauthErrorUri MEMBER oauthErrorUri FINAL)
    Q_PROPERTY(int httpStatus MEMBER httpStatus FINAL)
    Q_PROPERTY(int retryAfterSeconds MEMBER retryAfterSeconds FINAL)
    //! The operation that failed, for QML and other meta-object readers.
    Q_PROPERTY(SecureTokens::SessionOperation operation MEMBER operation FINAL)
    //! Whether a session existed and was kept through the failure.
    Q_PROPERTY(bool sessionKept MEMBER sessionKept FINAL)
    //! isTransient(), for QML and other meta-object readers.
    Q_PROPERTY(bool transient READ isTransient FINAL)
    //! The acr_values a step-up challenge asked for (Error::StepUpRequired).
    Q_PROPERTY(QStringList acrValues MEMBER acrValues FINAL)
    //! The max_age a step-up challenge asked for; -1 when none.
    Q_PROPERTY(int maxAgeSeconds MEMBER maxAgeSeconds FINAL)
    //! The scope an insufficient_scope challenge named (Error::InsufficientScope).
    Q_PROPERTY(QStringList requiredScopes MEMBER requiredScopes FINAL)

public:
    Error code = Error::NoError; //!< what failed; NoError when nothing did
    QString message; //!< for developers and logs; never contains a secret
    QString oauthError; //!< RFC 6749 §5.2 "error", when the server sent one
    QString oauthErrorDescription; //!< RFC 6749 §5.2 "error_description"
    QUrl oauthErrorUri; //!< RFC 6749 §5.2 "error_uri"
    int httpStatus = 0; //!< 0 when no HTTP response was received
    int retryAfterSeconds = -1; //!< from Retry-After; -1 when absent
    //! What the Session was doing; SessionOperation::None outside a Session.
    SessionOperation operation = SessionOperation::None;
    /*!
        True when a session (a refresh token, or an access token) existed
        and is still held after this error: the user stays signed in.
        describe(const ErrorInfo &) says "your session is kept" only then.
    */
    bool sessionKept = false;
    /*!
        Error::StepUpRequired: the challenge's \c acr_values (RFC 9470 §3),
        the acceptable authentication context classes in order of preference;
        empty when it named none.
    */
    QStringList acrValues;
    /*!
        Error::StepUpRequired: the challenge's \c max_age (RFC 9470 §3), the
        seconds allowed since the user last authenticated; -1 when it named
        none (or none that is a non-negative number).
    */
    int maxAgeSeconds = -1;
    //! Error::InsufficientScope: the challenge's \c scope (RFC 6750 §3); empty when none.
    QStringList requiredScopes;

    //! True unless code is NoError.
    bool isError() const { return code != Error::NoError; }
    //! See SecureTokens::isTransient(): retrying later may succeed.
    bool isTransient() const;
    //! See SecureTokens::endsSession(): the refresh token is dead.
    bool endsSession() const;

    //! An ErrorInfo with only \a code and \a message set (no HTTP or OAuth details).
    static ErrorInfo make(Error code, const QString &message)
    {
        ErrorInfo e;
        e.code = code;
        e.message = message;
        return e;
    }
};

/*!
    True when trying again later may succeed: network errors, timeouts, 5xx,
    429, answers that could not be understood, and secure storage that is not
    ready (locked, unavailable, slow). The stored refresh token is kept.
*/
SECURETOKENS_EXPORT bool isTransient(Error error);

/*!
    True for the errors that end a session: the authorization server answered
    with invalid_grant (the refresh token is invalid, expired, revoked or
    reused) or invalid_client (RFC 6749 §5.2). The session removes the stored
    refresh token before it reports the error and moves to
    Session::State::ReauthenticationRequired. No other error deletes it.
*/
SECURETOKENS_EXPORT bool endsSession(Error error);

/*!
    A short English sentence for an error, meant for people, not for parsing.
    It does not know whether a session survived: see describe(const ErrorInfo &).
*/
SECURETOKENS_EXPORT QString describe(Error error);

/*!
    describe(error.code), followed by "Your session is kept." when
    error.sessionKept and the error is transient (the session retries by
    itself): said only when there is a session to keep.
*/
SECURETOKENS_EXPORT QString describe(const ErrorInfo &error);

} // namespace SecureTokens

SECURETOKENS_EXPORT QDebug operator<<(QDebug debug, const SecureTokens::ErrorInfo &error);

Q_DECLARE_METATYPE(SecureTokens::ErrorInfo)
