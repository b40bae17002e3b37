// SPDX-License-Identifier: MIT
// securetokens logout: revoke server-side (RFC 7009) when possible, wipe locally always.
#include "clicommon.h"
#include "clisettings.h"
#include "commands.h"

#include <securetokens/session.h>

#include <QCommandLineParser>
#include <QTextStream>

using namespace SecureTokens;

namespace Cli {

int logout(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(accountOption());
    if (!parseArguments(parser, args,
                        QStringLiteral("Sign out: revoke server-side, wipe locally.")))
        return ExitUsage;
    const QString account = parser.value(accountOption());
    std::optional<AccountSettings> settings = load(account);
    SessionConfig config;
    if (settings) {
        config = settings->config;
    } else {
        config.storageService = storageService();
        config.account = account;
    }
    Session session(config);
    bool done = false;
    QObject::connect(&session, &Session::signedOut, &session, [&] { done = true; });
    session.signOut();
    waitFor(&session, [&] { return done; });
    forget(account);
    const ErrorInfo error = session.lastError();
    if (error.isError() && !isTransient(error.code)) {
        printError(error);
        return exitCodeFor(error.code);
    }
    if (error.isError())
        printError(error); // revocation could not reach the server: still signed out here
    QTextStream(stdout) << account << ": signed out" << Qt::endl;
    return ExitOk;
}

} // namespace Cli
