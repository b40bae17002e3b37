// SPDX-License-Identifier: MIT
// securetokens accounts: the accounts kept in secure storage, listed without
// reading their tokens (the SDK's account list, AccountDirectory); removing one.
#include "clicommon.h"
#include "clisettings.h"
#include "commands.h"
#include "pkcs11pin.h"

#include <securetokens/accountdirectory.h>

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <algorithm>

using namespace SecureTokens;

namespace Cli {

namespace {

//! The CLI's secure storage (login --store keychain): where the list lives.
SessionConfig storedConfig()
{
    SessionConfig config;
    config.storageService = storageService();
    config.storagePolicy = StoragePolicy::Required;
    return config;
}

ErrorInfo listStored(QList<StoredAccount> *accounts)
{
    AccountDirectory directory(storedConfig());
    QEventLoop loop;
    ErrorInfo failure;
    directory.list(&loop, [&](const ErrorInfo &error, const QList<StoredAccount> &listed) {
        failure = error;
        *accounts = listed;
        loop.quit();
    });
    loop.exec(); // the store's calls have their own timeouts
    return failure;
}

QJsonObject toJson(const StoredAccount &account)
{
    QJsonObject out {{QStringLiteral("account"), account.account}};
    auto put = [&out](const char *key, const QString &value) {
        if (!value.isEmpty())
            out.insert(QLatin1String(key), value);
    };
    put("sub", account.subject);
    put("name", account.name);
    put("email", account.email);
    put("issuer", account.issuer.toString());
    put("token_endpoint", account.tokenEndpoint.toString());
    put("client_id", account.clientId);
    if (account.updatedAt.isValid())
        out.insert(QStringLiteral("updated_at"), account.updatedAt.toString(Qt::ISODate));
    return out;
}

int removeAccount(const QString &account, bool pinFromStdin)
{
    if (load(account)) {
        // Configured here: sign out as `logout` does (revoked at the server,
        // RFC 7009, then wiped locally, which also takes it off the list).
        QStringList args {QStringLiteral("logout"), QStringLiteral("--account"), account};
        if (pinFromStdin) // a DPoP key on a PKCS#11 token
            args.append(QStringLiteral("--pin-stdin"));
        return logout(args);
    }
    // Stored by something else (an app on the same storage service): wiped
    // locally, nothing to revoke it with.
    AccountDirectory directory(storedConfig());
    QEventLoop loop;
    ErrorInfo failure;
    directory.remove(account, &loop, [&](const ErrorInfo &error) {
        failure = error;
        loop.quit();
    });
    loop.exec();
    if (failure.isError()) {
        printError(failure);
        return exitCodeFor(failure.code);
    }
    QTextStream(stdout) << account << ": removed from this device" << Qt::endl;
    return ExitOk;
}

} // namespace

int allAccountNames(QStringList *names)
{
    QList<StoredAccount> stored;
    if (const ErrorInfo error = listStored(&stored); error.isError()) {
        printError(error);
        return exitCodeFor(error.code);
    }
    for (const StoredAccount &account : std::as_const(stored))
        names->append(account.account);
    names->append(configuredAccounts());
    std::sort(names->begin(), names->end());
    names->erase(std::unique(names->begin(), names->end()), names->end());
    return ExitOk;
}

int accounts(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    parser.addOption(pinStdinOption()); // remove: an account's DPoP key on a PKCS#11 token
    parser.addPositionalArgument(QStringLiteral("remove"),
                                 QStringLiteral("`remove NAME`: sign the account out and "
                                                "remove it."),
                                 QStringLiteral("[remove NAME]"));
    if (!parseArguments(parser, args,
                        QStringLiteral("List the accounts kept in secure storage (no token is "
                                       "read), or remove one.")))
        return ExitUsage;
    const QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty()) {
        if (positional.size() != 2 || positional.at(0) != QLatin1String("remove")) {
            printError(QStringLiteral("usage: securetokens accounts [--json] | accounts remove "
                                      "NAME"));
            return ExitUsage;
        }
        if (AccountDirectory::isReservedAccount(positional.at(1))) {
            printError(QStringLiteral("\"%1\" is not an account name").arg(positional.at(1)));
            return ExitUsage;
        }
        return removeAccount(positional.at(1), parser.isSet(pinStdinOption()));
    }
    QList<StoredAccount> stored;
    if (const ErrorInfo error = listStored(&stored); error.isError()) {
        printError(error);
        return exitCodeFor(error.code);
    }
    QTextStream out(stdout);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const StoredAccount &account : std::as_const(stored))
            array.append(toJson(account));
        out << QJsonDocument(array).toJson(QJsonDocument::Compact) << Qt::endl;
        return ExitOk;
    }
    for (const StoredAccount &account : std::as_const(stored)) {
        const QString who = !account.email.isEmpty() ? account.email
                : !account.subject.isEmpty()         ? account.subject
                                                     : QStringLiteral("-");
        const QString server = !account.issuer.isEmpty() ? account.issuer.toString()
                                                         : account.tokenEndpoint.toString();
        out << account.account << '\t' << who << '\t' << server << Qt::endl;
    }
    // Configured at login but not listed: a memory-store login, or one
    // signed in by a release without the list (listed at its next use).
    QStringList unlisted = configuredAccounts();
    unlisted.erase(std::remove_if(unlisted.begin(), unlisted.end(),
                                  [&](const QString &name) {
                                      return std::any_of(stored.begin(), stored.end(),
                                                         [&](const StoredAccount &a) {
                                                             return a.account == name;
                                                         });
                                  }),
                   unlisted.end());
    if (!unlisted.isEmpty())
        QTextStream(stderr) << "securetokens: configured but not in secure storage's list: "
                            << unlisted.join(QStringLiteral(", "))
                            << " (see `securetokens status --all`)" << Qt::endl;
    return ExitOk;
}

} // namespace Cli
