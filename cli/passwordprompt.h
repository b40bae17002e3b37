// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace Cli {

//! Reads one line from stdin (without the line break). Used by --password-stdin.
QString readLineFromStdin();

//! Asks for a password on the terminal without echo; empty when stdin is not a terminal.
QString promptPassword(const QString &prompt);

} // namespace Cli
