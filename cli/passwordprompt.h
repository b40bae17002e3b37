// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <optional>

namespace Cli {

//! Reads one line from stdin (without the line break). Used by --password-stdin.
QString readLineFromStdin();

//! Asks for a password on the terminal without echo; empty when stdin is not a terminal.
QString promptPassword(const QString &prompt);

/*!
    Moves $SECURETOKENS_PASSWORD out of the environment, once, at start-up:
    the value is kept for passwordFromEnvironment() and the variable is
    unset, so that no child process (the $BROWSER of `login --browser`, and
    whatever it starts) inherits it (security review, finding 11).
*/
void takePasswordFromEnvironment();

//! The $SECURETOKENS_PASSWORD taken at start-up, handed over once; nullopt when it was not set.
std::optional<QString> passwordFromEnvironment();

} // namespace Cli
