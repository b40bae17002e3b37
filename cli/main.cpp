// SPDX-License-Identifier: MIT
// securetokens: a command-line client of the SecureTokens SDK, and its headless demo.
#include "clicommon.h"
#include "commands.h"
#include "passwordprompt.h"

#include <securetokens/version.h>

#include <QCoreApplication>
#include <QTextStream>

namespace {

const char usage[] = R"(Usage: securetokens <command> [options]

       securetokens --version | --help

Commands:
  login    Sign in and keep the refresh token in secure storage
             --issuer URL | --token-endpoint URL   --client-id ID
             [--revocation-endpoint URL] [--authorization-endpoint URL]
             [--device-authorization-endpoint URL] [--jwks-uri URL]
             [--userinfo-endpoint URL] [--end-session-endpoint URL]
             [--api-origin ORIGIN]... [--scope SCOPES]
             [--username U] [--password-stdin] [--store keychain|memory] [--account NAME]
             [--client-secret-stdin] [--client-auth-method client_secret_basic|post]
             [--dpop off|auto|required] [--dpop-key software|pkcs11
             --pkcs11-module PATH --pkcs11-token LABEL [--pin-stdin]]
           How: the password grant (default); --browser (authorization code + PKCE
           in $BROWSER, else xdg-open/open; the URL is also printed); --device (prints
           a code to enter at a URL on another device); --transport cookie
           --auth-base URL (a web-app backend with a refresh cookie and CSRF header).
           The password is read from stdin (--password-stdin), $SECURETOKENS_PASSWORD
           or a prompt; a client secret from stdin's first line (--client-secret-stdin)
           or $SECURETOKENS_CLIENT_SECRET: never from the command line.
           --dpop-key pkcs11 makes the DPoP key on a PKCS#11 token; its PIN comes
           from a no-echo prompt or the next line of stdin (--pin-stdin, after the
           client secret's and the password's), never from arguments or the
           environment, and is asked for again by each later command that opens
           the key (call, userinfo, logout, accounts remove; --pin-stdin there too).
  status   Whether an account is signed in, as whom, and where the token is kept
             [--account NAME | --all] [--json]
           --all: every stored or configured account, one line (or JSON object) each.
  accounts List the accounts kept in secure storage (no token is read)
             [--json]
           accounts remove NAME [--pin-stdin]: sign NAME out (revoked when
           configured here) and remove it.
  call     Restore the session and send authenticated requests; prints each body
             URL... [--method M] [--data BODY] [--header "Name: value"]... [--parallel]
             [--account NAME] [--pin-stdin]
  logout   Revoke the refresh token server-side (RFC 7009) and wipe it locally
             [--everywhere [--redirect-host H] [--redirect-port N] [--redirect-path P]]
             [--account NAME] [--pin-stdin]
           --everywhere also ends the session at the provider (OpenID Connect
           RP-Initiated Logout) in the browser; its post_logout_redirect_uri is
           the loopback listener given by the --redirect-* options.
  userinfo Restore the session and print the provider's UserInfo answer (JSON,
           OpenID Connect Core §5.3)
             [--account NAME] [--pin-stdin]
  register-scheme SCHEME
           Make this program the handler of a private-use URI scheme (RFC 8252
           7.1) for `login --browser --redirect-uri SCHEME:/callback`; on Linux a
           .desktop file in $XDG_DATA_HOME/applications and `xdg-mime default`
             [--desktop-name NAME]
           Started by the browser with a SCHEME: redirect URL, securetokens hands
           it to the waiting login and exits (0 when the sign-in took it).

Run `securetokens <command> --help` for a command's options.

Configuration given at login goes to $SECURETOKENS_CONFIG (default:
~/.config/securetokens/cli.ini); only the refresh token goes to secure storage
(service $SECURETOKENS_SERVICE, default org.securetokens.cli). No token is ever
printed or written to a file. $SECURETOKENS_TIMEOUT (seconds, default 30) bounds
each request to the authorization server.

Exit codes:
   0  success
   2  usage or configuration error (also: a PKCS#11 token's PIN is needed and
      stdin is not a terminal without --pin-stdin; nothing is changed)
  22  the API answered an HTTP status >= 400 (after the SDK's own retry)
  69  secure storage unavailable, locked or denied
  73  the refresh lock's directory is not private to you (another user's, open
      to others, or a symlink): not retried; set XDG_RUNTIME_DIR or remove it
  75  transient failure (network, timeout, 5xx, 429): the session is kept
  76  the API asks for a stronger or more recent sign-in (RFC 9470) or more
      scope (RFC 6750 3.1): stderr says what; login with it, call again
  77  not signed in, or re-authentication required
   1  any other failure
)";

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("securetokens"));
    QCoreApplication::setOrganizationName(QStringLiteral("SecureTokens"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SECURETOKENS_VERSION_STR));

    // Before anything can start a child process.
    Cli::takePasswordFromEnvironment();

    QStringList args = QCoreApplication::arguments();
    // The browser's second instance: a redirect URL goes to the waiting login.
    if (int forwarded = Cli::ExitOk; Cli::forwardRedirectArgument(args, &forwarded))
        return forwarded;
    if (args.size() < 2 || args.at(1) == QLatin1String("--help")
        || args.at(1) == QLatin1String("-h") || args.at(1) == QLatin1String("help")) {
        QTextStream(stdout) << QLatin1String(usage);
        return args.size() < 2 ? Cli::ExitUsage : Cli::ExitOk;
    }
    if (args.at(1) == QLatin1String("--version")) {
        QTextStream(stdout) << "securetokens " << QCoreApplication::applicationVersion()
                            << Qt::endl;
        return Cli::ExitOk;
    }
    const QString command = args.at(1);
    args.removeAt(0); // QCommandLineParser wants the command name first
    if (command == QLatin1String("login"))
        return Cli::login(args);
    if (command == QLatin1String("status"))
        return Cli::status(args);
    if (command == QLatin1String("call"))
        return Cli::call(args);
    if (command == QLatin1String("logout"))
        return Cli::logout(args);
    if (command == QLatin1String("userinfo"))
        return Cli::userinfo(args);
    if (command == QLatin1String("accounts"))
        return Cli::accounts(args);
    if (command == QLatin1String("register-scheme"))
        return Cli::registerScheme(args);
    Cli::printError(QStringLiteral("unknown command \"%1\"; see securetokens --help").arg(command));
    return Cli::ExitUsage;
}
