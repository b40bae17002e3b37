// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/sessionconfig.h>

#include <QString>

class QCommandLineOption;
class QCommandLineParser;

namespace Cli {

/*!
    --pin-stdin: the PKCS#11 token's PIN is the next line of stdin (after a
    client secret's and a password's), for login and every command that
    opens a stored session whose DPoP key is on a token.
*/
const QCommandLineOption &pinStdinOption();

//! True when this program was built with SECURETOKENS_PKCS11.
bool pkcs11Supported();

/*!
    For a DPoP key on a PKCS#11 token (\a config's dpopKeyStore): installs
    the PIN provider. The PIN is asked for when the SDK first needs it
    (lazily), once per process: read from stdin with --pin-stdin, else from
    the terminal without echo ("PIN for token LABEL: "); never from the
    command line, the environment or a file. It is kept in a SecretBytes
    until the process exits. Returns ExitOk, or ExitUsage (printed) before
    anything is touched when this build has no PKCS#11 support or no PIN can
    be had (no --pin-stdin and stdin is not a terminal). Accounts with a
    software key: --pin-stdin is a usage error, nothing else happens.
*/
int usePin(const QCommandLineParser &parser, SecureTokens::SessionConfig *config);

//! Whether the PIN was asked for in this process.
bool pinWasAsked();

/*!
    After \a error: when the token refused the PIN this process gave it,
    says so and that nothing stored was changed.
*/
void explainPinRefusal(const SecureTokens::ErrorInfo &error);

/*!
    `logout` of an account whose DPoP key is on a token: opens the stored
    record's key with the PIN before anything is signed out, so that a wrong
    PIN neither removes the record nor leaves the key pair on the token.
    ExitOk when the key opened, or the token or the key is gone (the
    sign-out goes on and warns), or there is no such record; else the exit
    code of the error it printed.
*/
int checkPinOpensStoredKey(const SecureTokens::SessionConfig &config);

/*!
    The RFC 7512 URI of the DPoP key on a token that the account's secure
    record names (no PIN in it), read without opening the token; empty when
    the record holds none or cannot be read.
*/
QString storedKeyReference(const QString &account);

} // namespace Cli
