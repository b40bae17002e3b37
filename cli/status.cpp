// SPDX-License-Identifier: MIT
// securetokens status: whether an account is signed in, without a network round trip.
#include "clicommon.h"
#include "clisettings.h"
#include "commands.h"

#include "session/accountrecord_p.h"
#include "session/backendmarker_p.h"
#include "session/dpopkey_p.h"
#include "session/session_p.h"

#include <securetokens/keychainsecretstore.h>

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QTextStream>

using namespace SecureTokens;

namespace Cli {

namespace {

struct AccountStatus
{
    QJsonObject json;
    QString text;
    int code = ExitNotSignedIn;
};

//! One account's status, from its settings and its secure record (no network call).
AccountStatus statusOf(const QString &account)
{
    const std::optional<AccountSettings> settings = load(account);

    QJsonObject out {{QStringLiteral("account"), account}, {QStringLiteral("signed_in"), false}};
    int code = ExitNotSignedIn;
    QString text = QStringLiteral("%1: not signed in").arg(account);

    if (settings && settings->store == QLatin1String("memory")) {
        out.insert(QStringLiteral("storage"), QStringLiteral("memory"));
        text += QStringLiteral(" (memory store: sessions end with the process)");
    } else if (settings) {
        KeychainSecretStore store(storageService());
        out.insert(QStringLiteral("storage"), store.backendName());
        out.insert(QStringLiteral("user"), settings->user);
        out.insert(QStringLiteral("token_endpoint"), settings->config.tokenEndpoint.toString());
        if (!settings->config.issuer.isEmpty())
            out.insert(QStringLiteral("issuer"), settings->config.issuer.toString());
        QJsonArray origins;
        QJsonObject resources; // per-API tokens: origin -> resource (never a token)
        for (const ApiResource &api : settings->config.apiResources)
            resources.insert(originOf(api.origin),
                             api.resource.isEmpty() ? api.origin.toString() : api.resource);
        if (resources.isEmpty()) {
            for (const QUrl &origin : settings->config.effectiveApiOrigins())
                origins.append(originOf(origin));
        } else {
            for (auto it = resources.constBegin(); it != resources.constEnd(); ++it)
                origins.append(it.key());
            out.insert(QStringLiteral("api_resources"), resources);
        }
        out.insert(QStringLiteral("api_origins"), origins);

        QEventLoop loop;
        SecretStore::Result result;
        bool found = false;
        AccountRecord record;
        store.read(account, &loop, [&](SecretStore::Result r, SecretBytes secret) {
            result = r;
            found = r.ok() && !secret.isEmpty();
            // The identity and the granted scope kept with the refresh token:
            // read back here without asking the server (the record is not
            // used for anything but display).
            if (found && decodeAccountRecord(secret.view(), &record).isError())
                record = AccountRecord();
            loop.quit();
        });
        loop.exec();
        if (found) {
            out.insert(QStringLiteral("signed_in"), true);
            // Verified claims (ID token, and what userinfo added) and the
            // scope the server granted (RFC 6749 §5.1).
            out.insert(QStringLiteral("claims"),
                       record.claimsJson.isEmpty()
                               ? QJsonObject()
                               : QJsonDocument::fromJson(record.claimsJson).object());
            out.insert(QStringLiteral("scope"), record.scope);
            code = ExitOk;
            text = QStringLiteral("%1: signed in as %2 (refresh token in %3)")
                           .arg(account, settings->user, store.backendName());
            // RFC 9449 §6.1: the key's RFC 7638 thumbprint (jkt), never the key.
            QString why;
            if (!record.dpopPrivateKey.isEmpty()) {
                const auto key
                        = Internal::SoftwareDpopKey::fromPrivateKey(record.dpopPrivateKey, &why);
                const QString jkt = key ? QString::fromLatin1(key->thumbprint()) : QString();
                out.insert(QStringLiteral("dpop_jkt"), jkt);
                text += key ? QStringLiteral(", DPoP-bound, jkt %1").arg(jkt)
                            : QStringLiteral(", DPoP key unreadable");
            } else if (!record.dpopKeyReference.isEmpty()) {
                // On a PKCS#11 token: its RFC 7512 URI (module, token, key id;
                // no PIN). The jkt without opening the token: the one noted at
                // login, while the record still names that key.
                out.insert(QStringLiteral("dpop_key"), record.dpopKeyReference);
                text += QStringLiteral(", DPoP-bound, key on a PKCS#11 token: %1")
                                .arg(record.dpopKeyReference);
                if (!settings->dpopJkt.isEmpty()
                    && settings->dpopKeyReference == record.dpopKeyReference) {
                    out.insert(QStringLiteral("dpop_jkt"), settings->dpopJkt);
                    text += QStringLiteral(", jkt %1").arg(settings->dpopJkt);
                }
            }
        } else if (const QString noted
                   = Internal::readBackendMarker(refreshLockNamespace(settings->config), account);
                   result.status == SecretStore::Status::NotFound && !noted.isEmpty()
                   && noted != store.backendName()) {
            // As a restore says (Error::StorageBackendChanged): the record is
            // in another backend (KWallet vs Secret Service), kept there; not
            // "signed out". The note is left alone, as the SDK does.
            code = exitCodeFor(Error::StorageBackendChanged);
            out.insert(QStringLiteral("error"), QStringLiteral("StorageBackendChanged"));
            out.insert(QStringLiteral("stored_in"), noted);
            text = QStringLiteral("%1: the stored session is in the %2 backend, not in %3 (this "
                                  "start's); start with %2 again, or sign in")
                           .arg(account, noted, store.backendName());
        } else if (result.status != SecretStore::Status::NotFound) {
            code = exitCodeFor(SecretStore::toError(result.status));
            out.insert(QStringLiteral("error"),
                       QString::fromLatin1(QMetaEnum::fromType<Error>().valueToKey(
                               int(SecretStore::toError(result.status)))));
            text = QStringLiteral("%1: secure storage not available (%2)")
                           .arg(account, result.message);
        }
    }
    return {out, text, code};
}

} // namespace

int status(const QStringList &args)
{
    QCommandLineParser parser;
    const QCommandLineOption all(QStringLiteral("all"),
                                 QStringLiteral("Every account: the stored ones (`securetokens "
                                                "accounts`) and those configured at login."));
    parser.addOptions(
            {accountOption(), all, {QStringLiteral("json"), QStringLiteral("Print JSON.")}});
    if (!parseArguments(parser, args, QStringLiteral("Show whether an account is signed in.")))
        return ExitUsage;
    const bool json = parser.isSet(QStringLiteral("json"));
    QTextStream stdOut(stdout);
    if (!parser.isSet(all)) {
        const AccountStatus one = statusOf(parser.value(accountOption()));
        if (json)
            stdOut << QJsonDocument(one.json).toJson(QJsonDocument::Compact) << Qt::endl;
        else
            stdOut << one.text << Qt::endl;
        return one.code;
    }
    QStringList names;
    if (const int code = allAccountNames(&names); code != ExitOk)
        return code;
    // 0 when any account is signed in; otherwise the first account's code
    // (77 when none is): a script asks "is anyone signed in here?".
    int code = ExitNotSignedIn;
    bool anySignedIn = false;
    QJsonArray array;
    for (const QString &name : std::as_const(names)) {
        const AccountStatus one = statusOf(name);
        if (array.isEmpty())
            code = one.code;
        anySignedIn = anySignedIn || one.code == ExitOk;
        array.append(one.json);
        if (!json)
            stdOut << one.text << Qt::endl;
    }
    if (json)
        stdOut << QJsonDocument(array).toJson(QJsonDocument::Compact) << Qt::endl;
    else if (names.isEmpty())
        stdOut << "no accounts" << Qt::endl;
    return anySignedIn ? int(ExitOk) : code;
}

} // namespace Cli
