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
    QTextStream out(stdout);
    if (error.isError()) {
        // The local wipe happened; the message says what the server was not told.
        printError(error);
        out << account << ": signed out on this device only" << Qt::endl;
        return isTransient(error.code) ? ExitOk : exitCodeFor(error.code);
    }
    const SessionConfig &effective = session.config();
    if (settings && effective.transport == RefreshTransportKind::OAuth
        && effective.revocationEndpoint.isEmpty()) {
        // RFC 7009 needs an endpoint: without one (Entra ID publishes none)
        // nothing reached the server, and the user should know.
        out << account
            << ": signed out on this device only; the server was not told (it has no "
               "revocation endpoint), so its refresh token stays valid there until it expires"
            << Qt::endl;
        return ExitOk;
    }
    out << account << ": signed out" << Qt::endl;
    return ExitOk;
}

} // namespace Cli
