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

/*!
    The accounts `status --all` reports: those stored (the SDK's account
    list) and those configured at login (the settings file), sorted, each
    once. ExitOk, or the exit code of a list that could not be read (printed).
*/
int allAccountNames(QStringList *names);

} // namespace Cli
