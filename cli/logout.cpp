// SPDX-License-Identifier: MIT
// securetokens logout: revoke server-side (RFC 7009) when possible, wipe locally always.
#include "browseropener.h"
#include "clicommon.h"
#include "clisettings.h"
#include "commands.h"
#include "pkcs11pin.h"

#include <securetokens/session.h>

#include <QCommandLineParser>
#include <QTextStream>
#include <QUrlQuery>

using namespace SecureTokens;

namespace Cli {

int logout(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(accountOption());
    const QCommandLineOption everywhere(
            QStringLiteral("everywhere"),
            QStringLiteral("Also end the session at the provider (OpenID Connect RP-Initiated "
                           "Logout) in the browser ($BROWSER, else xdg-open/open)."));
    parser.addOption(everywhere);
    parser.addOption(pinStdinOption()); // a DPoP key on a PKCS#11 token
    // --everywhere: where the post_logout_redirect_uri listener waits.
    parser.addOptions(redirectOptions());
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
    const bool atProvider = parser.isSet(everywhere);
    if (!redirectFromOptions(parser, &config) || usePin(parser, &config) != ExitOk)
        return ExitUsage;
    // A wrong PIN must neither remove the record nor leave the key pair on the token.
    if (const int code = checkPinOpensStoredKey(config); code != ExitOk)
        return code;
    if (atProvider) {
        // The URL carries the ID token as id_token_hint: the browser gets it,
        // the terminal gets the URL without it (§2: client_id is enough).
        config.openBrowser = [](const QUrl &url) {
            QUrl shown = url;
            QUrlQuery query(shown);
            query.removeAllQueryItems(QStringLiteral("id_token_hint"));
            shown.setQuery(query);
            return openInBrowserShowing(url, shown);
        };
    }
    Session session(config);
    bool done = false;
    QObject::connect(&session, &Session::signedOut, &session, [&] { done = true; });
    if (atProvider)
        session.signOutWithOptions(Session::SignOutOption::EndProviderSession);
    else
        session.signOut();
    // The provider's page waits for the user: the browser time limit applies.
    waitFor(
            &session, [&] { return done; }, std::chrono::minutes(30));
    forget(account);
    const ErrorInfo error = session.lastError();
    QTextStream out(stdout);
    if (atProvider && error.isError() && error.operation == SessionOperation::SignOut
        && (error.code == Error::StateMismatch || error.code == Error::Timeout
            || error.code == Error::InvalidConfiguration)) {
        // The local sign-out is complete; the provider's may not be.
        printError(error);
        out << account << ": signed out on this device; the provider's session was not ended"
            << Qt::endl;
        // Not 75: nothing is kept to retry with (the local session is gone).
        return error.code == Error::InvalidConfiguration ? ExitUsage : ExitFailure;
    }
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
    out << account << (atProvider ? ": signed out, also at the provider" : ": signed out")
        << Qt::endl;
    return ExitOk;
}

} // namespace Cli
