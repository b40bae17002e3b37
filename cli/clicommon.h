// SPDX-License-Identifier: MIT
#pragma once

#include "exitcodes.h"

#include <securetokens/error.h>
#include <securetokens/session.h>

#include <QCommandLineOption>
#include <QList>
#include <QString>

#include <chrono>
#include <functional>

class QCommandLineOption;
class QCommandLineParser;
class QObject;

namespace Cli {

//! Prints "securetokens: <message>" to stderr.
void printError(const QString &message);
void printError(const SecureTokens::ErrorInfo &error);

/*!
    Runs the event loop until \a done returns true (checked whenever \a session
    changes state or reports an error) or until \a limit passes. Every SDK call
    has its own timeout; the limit only guards against a bug hanging a script.
*/
bool waitFor(SecureTokens::Session *session, const std::function<bool()> &done,
             std::chrono::milliseconds limit = std::chrono::minutes(5));

//! --account NAME (default "default"), shared by every command.
const QCommandLineOption &accountOption();

/*!
    --redirect-host, --redirect-port, --redirect-path: where the loopback
    listener waits, for `login --browser` and for `logout --everywhere`
    (whose post_logout_redirect_uri providers may compare exactly).
*/
QList<QCommandLineOption> redirectOptions();
//! Applies redirectOptions() to \a config; false (printed) on a usage error.
bool redirectFromOptions(const QCommandLineParser &parser, SecureTokens::SessionConfig *config);

/*!
    Parses \a args (args[0] is the command) with \a parser; on a usage error
    prints it and returns false; --help prints the help and exits 0.
*/
bool parseArguments(QCommandLineParser &parser, const QStringList &args,
                    const QString &description);

//! Restores \a session from secure storage; ExitOk when signed in, else prints why.
int restoreOrFail(SecureTokens::Session &session);

//! $SECURETOKENS_TIMEOUT (seconds) as a request timeout, or \a fallback.
std::chrono::milliseconds requestTimeoutFromEnvironment(std::chrono::milliseconds fallback);

} // namespace Cli
