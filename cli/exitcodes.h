// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>

namespace Cli {

//! Exit codes (README's table and --help; sysexits.h values where one fits).
enum ExitCode : int {
    ExitOk = 0,
    ExitFailure = 1, //!< anything not covered below
    ExitUsage = 2, //!< bad arguments or configuration
    ExitHttpError = 22, //!< the API answered >= 400 after the SDK's own retry
    ExitStorageUnavailable = 69, //!< secure storage unavailable, locked or denied
    ExitLockDirectoryUnsafe = 73, //!< the refresh lock's directory is not private to the user
    ExitTransient = 75, //!< network, timeout, 5xx, 429: the session is kept
    ExitStepUp = 76, //!< the API asks for a stronger or newer sign-in, or more scope
    ExitNotSignedIn = 77, //!< not signed in, or re-authentication required
};

/*!
    The exit code for an SDK error. Not SecureTokens::isTransient(): that says
    whether the SDK keeps a session and retries (a garbled answer, a locked
    keychain), while 75 promises a script that the same command may work
    later because the network or the server was the problem.
*/
int exitCodeFor(SecureTokens::Error error);

/*!
    The exit code for an error that left a session in place (a refresh for a
    request or a restore failed, the stored token is kept): as exitCodeFor(),
    except that an answer the SDK will retry (SecureTokens::isTransient(): a
    garbled answer, a gateway's page instead of the server's verdict) is 75
    too — the README's "transient failure; the session is kept".
*/
int exitCodeForKeptSession(SecureTokens::Error error);

} // namespace Cli
