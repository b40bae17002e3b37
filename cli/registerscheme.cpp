// SPDX-License-Identifier: MIT
// securetokens register-scheme: makes this program the handler of a
// private-use URI scheme (RFC 8252 §7.1), and the second instance's side:
// a redirect URL on the command line is forwarded to the waiting `login`.
#include "clicommon.h"
#include "commands.h"
#include "exitcodes.h"

#include <securetokens/schemeredirect.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

using namespace SecureTokens;

namespace Cli {

int registerScheme(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("SCHEME"),
                                 QStringLiteral("The private-use scheme, reverse DNS with a "
                                                "period (com.example.app)."));
    parser.addOption({QStringLiteral("desktop-name"),
                      QStringLiteral("Linux: the .desktop file's name without .desktop "
                                     "(default: SCHEME-redirect)."),
                      QStringLiteral("NAME")});
    if (!parseArguments(parser, args,
                        QStringLiteral("Register this program as the handler of SCHEME for "
                                       "`login --browser --redirect-uri SCHEME:/path`.")))
        return ExitUsage;
    if (parser.positionalArguments().size() != 1) {
        printError(QStringLiteral("register-scheme takes one SCHEME"));
        return ExitUsage;
    }
    SchemeRegistration registration;
    registration.scheme = parser.positionalArguments().constFirst();
    registration.executable = QCoreApplication::applicationFilePath();
    registration.desktopName = parser.value(QStringLiteral("desktop-name"));
    registration.displayName = QStringLiteral("securetokens sign-in (%1)").arg(registration.scheme);
    const ErrorInfo error = registerUriScheme(registration);
    if (error.isError()) {
        printError(error);
        return error.code == Error::InvalidConfiguration ? ExitUsage : ExitFailure;
    }
    QTextStream(stdout) << "Registered " << registration.executable << " for "
                        << registration.scheme << ": URLs" << Qt::endl;
    return ExitOk;
}

bool forwardRedirectArgument(const QStringList &args, int *exitCode)
{
    // The .desktop file's Exec line gives the URL as the one argument (%u).
    ErrorInfo outcome;
    if (args.size() != 2 || !forwardRedirect(args, {}, &outcome))
        return false;
    if (outcome.isError()) {
        printError(outcome);
        *exitCode = ExitFailure;
    } else {
        QTextStream(stdout) << "Redirect handed to the waiting sign-in." << Qt::endl;
        *exitCode = ExitOk;
    }
    return true;
}

} // namespace Cli
