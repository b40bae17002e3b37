// SPDX-License-Identifier: MIT
#include "exitcodes.h"

using namespace SecureTokens;

namespace Cli {

int exitCodeFor(Error error)
{
    // Every value spelled out, no default: a new Error is a compiler warning
    // here (-Wswitch) until its exit code is chosen; tst_cli_exitcodes walks
    // them all against the README's table.
    switch (error) {
    case Error::NoError:
        return ExitOk;
    // README: 75 is network, timeout, 5xx and 429, nothing else.
    case Error::ServerError:
    case Error::TemporarilyUnavailable:
    case Error::RateLimited:
    case Error::NetworkError:
    case Error::Timeout:
        return ExitTransient;
    case Error::StorageUnavailable:
    case Error::StorageLocked:
    case Error::StorageAccessDenied:
    case Error::StorageTooLarge:
    case Error::StorageTimeout:
    case Error::StorageFailed:
    // README: the session is in another backend, kept there; like a locked
    // keyring, the storage has to change, not the sign-in.
    case Error::StorageBackendChanged:
        return ExitStorageUnavailable;
    case Error::NotSignedIn:
    case Error::ReauthenticationRequired:
    case Error::InvalidGrant:
    case Error::AccessDenied:
    case Error::AccountMismatch:
    case Error::DPoPKeyMissing:
        return ExitNotSignedIn;
    case Error::InvalidConfiguration:
    case Error::InsecureTransport:
        return ExitUsage;
    case Error::LockDirectoryUnsafe:
        return ExitLockDirectoryUnsafe;
    // README: the API wants more than the session has (RFC 9470, RFC 6750
    // §3.1); a refresh cannot give it, a sign-in with more can.
    case Error::StepUpRequired:
    case Error::InsufficientScope:
        return ExitStepUp;
    case Error::InvalidClient:
    case Error::InvalidRequest:
    case Error::UnauthorizedClient:
    case Error::UnsupportedGrantType:
    case Error::InvalidScope:
    // A garbled or refused answer (a 4xx from a metadata or JWKS URL among
    // them) will not mend itself: docs/providers.md says exit 1.
    case Error::MalformedResponse:
    case Error::ResponseTooLarge:
    case Error::UnexpectedContentType:
    case Error::UnsupportedTokenType:
    case Error::OperationInProgress:
    case Error::Cancelled:
    case Error::RequestNotReplayable:
    case Error::IdTokenRejected:
    case Error::IssuerMismatch:
    case Error::StateMismatch:
    // The grant does not cover that API: a configuration to change, no retry.
    case Error::InvalidTarget:
        return ExitFailure;
    }
    return ExitFailure;
}

int exitCodeForKeptSession(Error error)
{
    const int code = exitCodeFor(error);
    return code == ExitFailure && isTransient(error) ? ExitTransient : code;
}

} // namespace Cli
