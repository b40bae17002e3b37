// SPDX-License-Identifier: MIT
// securetokens userinfo: the provider's UserInfo answer for the signed-in user
// (OpenID Connect Core §5.3), as JSON on stdout.
#include "clicommon.h"
#include "clisettings.h"
#include "commands.h"
#include "pkcs11pin.h"

#include <securetokens/session.h>

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

using namespace SecureTokens;

namespace Cli {

int userinfo(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(accountOption());
    parser.addOption(pinStdinOption()); // a DPoP key on a PKCS#11 token
    if (!parseArguments(parser, args,
                        QStringLiteral("Print the provider's UserInfo answer for the signed-in "
                                       "user (JSON).")))
        return ExitUsage;
    const QString account = parser.value(accountOption());
    std::optional<AccountSettings> settings = load(account);
    if (!settings) {
        printError(QStringLiteral("not signed in; run `securetokens login` first"));
        return ExitNotSignedIn;
    }
    if (usePin(parser, &settings->config) != ExitOk) // a DPoP key on a PKCS#11 token
        return ExitUsage;
    Session session(settings->config);
    if (const int code = restoreOrFail(session); code != ExitOk)
        return code;

    bool answered = false;
    QVariantMap answer;
    ErrorInfo failure;
    QObject scope; // the connections below end with this function
    QObject::connect(&session, &Session::userInfoReceived, &scope, [&](const QVariantMap &info) {
        answer = info;
        answered = true;
    });
    QObject::connect(&session, &Session::userInfoFailed, &scope, [&](const ErrorInfo &error) {
        failure = error;
        answered = true;
    });
    session.fetchUserInfo();
    waitFor(&session, [&] { return answered; });
    if (!answered) {
        printError(QStringLiteral("userinfo did not answer"));
        return ExitFailure;
    }
    if (failure.isError()) {
        printError(failure);
        // The session is kept either way; a refused answer (4xx, another
        // subject) will not mend itself: exit 1, not 75 (README's table).
        return exitCodeFor(failure.code);
    }
    QTextStream(stdout)
            << QJsonDocument(QJsonObject::fromVariantMap(answer)).toJson(QJsonDocument::Compact)
            << Qt::endl;
    return ExitOk;
}

} // namespace Cli
