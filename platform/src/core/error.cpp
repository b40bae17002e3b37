// SPDX-License-Identifier: MIT
#include <securetokens/error.h>

#include <QDebug>

namespace SecureTokens {

bool isTransient(Error error)
{
    switch (error) {
    case Error::ServerError:
    case Error::TemporarilyUnavailable:
    case Error::RateLimited:
    case Error::NetworkError:
    case Error::Timeout:
    // A garbled answer says nothing about the refresh token's validity: keep it.
    case Error::MalformedResponse:
    case Error::ResponseTooLarge:
    case Error::UnexpectedContentType:
    case Error::UnsupportedTokenType:
    case Error::StorageLocked:
    case Error::StorageTimeout:
    case Error::StorageUnavailable:
        return true;
    default:
        return false;
    }
}

bool endsSession(Error error)
{
    // Only a definitive answer about the grant itself ends a session (RFC 6749
    // §5.2): the refresh token is invalid, expired, revoked or reused, or the
    // client is not allowed. Everything else may pass and must keep the token.
    // A DPoP-bound refresh token without its key is as dead (RFC 9449 §5).
    return error == Error::InvalidGrant || error == Error::InvalidClient
            || error == Error::DPoPKeyMissing;
}

bool ErrorInfo::isTransient() const
{
    return SecureTokens::isTransient(code);
}

bool ErrorInfo::endsSession() const
{
    return SecureTokens::endsSession(code);
}

QString describe(Error error)
{
    switch (error) {
    case Error::NoError:
        return QStringLiteral("No error.");
    case Error::InvalidGrant:
        return QStringLiteral("The sign-in was rejected or has expired. Please sign in again.");
    case Error::InvalidClient:
        return QStringLiteral("This application is not registered with the sign-in server.");
    case Error::InvalidRequest:
        return QStringLiteral("The sign-in server rejected the request as malformed.");
    case Error::UnauthorizedClient:
        return QStringLiteral("This application may not use this way of signing in.");
    case Error::UnsupportedGrantType:
        return QStringLiteral("The sign-in server does not support this way of signing in.");
    case Error::InvalidScope:
        return QStringLiteral("The requested permissions are not available.");
    case Error::AccessDenied:
        return QStringLiteral("Access was denied.");
    case Error::ServerError:
        return QStringLiteral("The sign-in server had a problem.");
    case Error::TemporarilyUnavailable:
        return QStringLiteral("The sign-in server is temporarily unavailable.");
    case Error::RateLimited:
        return QStringLiteral("Too many attempts; please wait a moment.");
    case Error::NetworkError:
        return QStringLiteral("The server cannot be reached.");
    case Error::Timeout:
        return QStringLiteral("The server did not answer in time.");
    case Error::MalformedResponse:
        return QStringLiteral("The server sent an answer that could not be understood.");
    case Error::ResponseTooLarge:
        return QStringLiteral("The server sent an answer that is too large.");
    case Error::UnexpectedContentType:
        return QStringLiteral("The server sent an answer of an unexpected type.");
    case Error::UnsupportedTokenType:
        return QStringLiteral("The server issued a kind of token this application cannot use.");
    case Error::StorageUnavailable:
        return QStringLiteral("No secure storage (keychain) is available on this system.");
    case Error::StorageLocked:
        return QStringLiteral("The keychain is locked. Unlock it to stay signed in.");
    case Error::StorageAccessDenied:
        return QStringLiteral("Access to the keychain was denied.");
    case Error::StorageTooLarge:
        return QStringLiteral("The keychain cannot hold the sign-in data.");
    case Error::StorageTimeout:
        return QStringLiteral("The keychain did not answer in time.");
    case Error::StorageFailed:
        return QStringLiteral("The keychain reported an error.");
    case Error::NotSignedIn:
        return QStringLiteral("You are not signed in.");
    case Error::ReauthenticationRequired:
        return QStringLiteral("Your session has ended. Please sign in again.");
    case Error::InvalidConfiguration:
        return QStringLiteral("The application's sign-in settings are incomplete or wrong.");
    case Error::InsecureTransport:
        return QStringLiteral("Refused to send credentials over an unencrypted connection.");
    case Error::OperationInProgress:
        return QStringLiteral("Another sign-in operation is already running.");
    case Error::Cancelled:
        return QStringLiteral("The operation was cancelled.");
    case Error::RequestNotReplayable:
        return QStringLiteral("The server rejected the request's sign-in, and the request could "
                              "not be sent again automatically.");
    case Error::IdTokenRejected:
        return QStringLiteral("The sign-in server's identity token did not pass the security "
                              "checks. The sign-in was refused.");
    case Error::IssuerMismatch:
        return QStringLiteral("The sign-in answer came from a different server than the one "
                              "asked. The sign-in was refused.");
    case Error::AccountMismatch:
        return QStringLiteral("The stored sign-in belongs to another application or server; "
                              "it was not used. Please sign in.");
    case Error::StateMismatch:
        return QStringLiteral("The browser came back with an answer this application did not "
                              "ask for; it was ignored.");
    case Error::DPoPKeyMissing:
        return QStringLiteral("The key this sign-in was bound to is missing or damaged, so the "
                              "stored session cannot be used. Please sign in again.");
    case Error::InvalidTarget:
        return QStringLiteral("The sign-in server does not issue access for this service to "
                              "this sign-in.");
    case Error::LockDirectoryUnsafe:
        return QStringLiteral("The directory for this application's sign-in lock is not "
                              "private to you; nothing was changed. Set XDG_RUNTIME_DIR or "
                              "remove that directory.");
    case Error::StepUpRequired:
        return QStringLiteral("This needs a stronger or more recent sign-in. Please sign in "
                              "again to continue.");
    case Error::InsufficientScope:
        return QStringLiteral("This needs a permission the sign-in did not grant.");
    case Error::StorageBackendChanged:
        return QStringLiteral("Your sign-in is kept in another secure storage than the one in "
                              "use now. Start the application as before, or sign in again.");
    }
    return QStringLiteral("Unknown error.");
}

QString describe(const ErrorInfo &error)
{
    QString text = describe(error.code);
    // "Kept" only when there is something to keep (a failed first sign-in
    // has no session), and only for what the session retries by itself.
    if (error.sessionKept && error.isTransient())
        text += QStringLiteral(" Your session is kept.");
    return text;
}

} // namespace SecureTokens

QDebug operator<<(QDebug debug, const SecureTokens::ErrorInfo &error)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "ErrorInfo(" << error.code;
    if (error.httpStatus)
        debug << ", http " << error.httpStatus;
    if (!error.oauthError.isEmpty())
        debug << ", " << error.oauthError;
    if (!error.message.isEmpty())
        debug << ", " << error.message;
    debug << ')';
    return debug;
}
