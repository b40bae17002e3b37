// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

namespace Cli {

// Each command parses its own arguments (args[0] is the command name) and
// returns the process exit code (see ExitCode).
int login(const QStringList &args);
int status(const QStringList &args);
int call(const QStringList &args);
int logout(const QStringList &args);
int userinfo(const QStringList &args);
int accounts(const QStringList &args);
int registerScheme(const QStringList &args);

/*!
    The browser started this process with a private-use scheme redirect URL
    (a scheme registered with register-scheme): forwards it to the waiting
    `login` (SecureTokens::forwardRedirect()), sets \a exitCode (0 when
    the sign-in took it, 1 when it was refused or nobody waits) and returns
    true. False: no such URL, run the command as usual.
*/
bool forwardRedirectArgument(const QStringList &args, int *exitCode);

/*!
    The accounts `status --all` reports: those stored (the SDK's account
    list) and those configured at login (the settings file), sorted, each
    once. ExitOk, or the exit code of a list that could not be read (printed).
*/
int allAccountNames(QStringList *names);

} // namespace Cli
