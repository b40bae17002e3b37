// SPDX-License-Identifier: MIT
// The PIN of a PKCS#11 token holding an account's DPoP key: from stdin
// (--pin-stdin) or a no-echo prompt, asked for when the SDK first needs it and
// at most once per process; never from argv, the environment or a file.
#include "pkcs11pin.h"

#include "clicommon.h"
#include "clisettings.h"
#include "passwordprompt.h"

#include "session/accountrecord_p.h"
#ifdef SECURETOKENS_HAVE_PKCS11
#include "session/dpopkeypkcs11_p.h"
#endif

#include <securetokens/keychainsecretstore.h>
#include <securetokens/secretbytes.h>

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QEventLoop>

#include <unistd.h>

using namespace SecureTokens;

namespace Cli {

namespace {

//! The process's PIN: asked for once, wiped when the process exits (static destructor).
struct PinCache
{
    SecretBytes pin;
    bool asked = false;
};

PinCache &pinCache()
{
    static PinCache cache;
    return cache;
}

SecretBytes processPin(const QString &tokenLabel, bool fromStdin)
{
    PinCache &cache = pinCache();
    if (!cache.asked) {
        cache.asked = true;
        QString line = fromStdin
                ? readLineFromStdin()
                : promptPassword(QStringLiteral("PIN for token %1: ").arg(tokenLabel));
        QByteArray bytes = line.toUtf8();
        line.fill(QLatin1Char('\0'));
        cache.pin = SecretBytes::adopt(bytes);
    }
    // The SDK wipes its copy after the login.
    return cache.pin.clone();
}

//! The account's secure record (the CLI's keychain service); false when there is none.
bool readRecord(const QString &account, AccountRecord *record)
{
    KeychainSecretStore store(storageService());
    QEventLoop loop;
    bool found = false;
    store.read(account, &loop, [&](const SecretStore::Result &result, SecretBytes secret) {
        found = result.ok() && !secret.isEmpty()
                && !decodeAccountRecord(secret.view(), record).isError();
        loop.quit();
    });
    loop.exec(); // the store's calls have their own timeouts
    return found;
}

} // namespace

const QCommandLineOption &pinStdinOption()
{
    static const QCommandLineOption option(
            QStringLiteral("pin-stdin"),
            QStringLiteral("The PKCS#11 token's PIN for a DPoP key kept there: the next line "
                           "of stdin (after a client secret's and a password's); otherwise a "
                           "no-echo prompt on the terminal. Never from arguments or the "
                           "environment."));
    return option;
}

bool pkcs11Supported()
{
#ifdef SECURETOKENS_HAVE_PKCS11
    return true;
#else
    return false;
#endif
}

int usePin(const QCommandLineParser &parser, SessionConfig *config)
{
    const bool fromStdin = parser.isSet(pinStdinOption());
    const DpopKeyStore &keyStore = config->dpopKeyStore;
    if (keyStore.kind != DpopKeyStore::Kind::Pkcs11) {
        if (fromStdin) {
            printError(QStringLiteral("--pin-stdin: account \"%1\" has no DPoP key on a "
                                      "PKCS#11 token")
                               .arg(config->account));
            return ExitUsage;
        }
        return ExitOk;
    }
    if (!pkcs11Supported()) {
        printError(QStringLiteral("account \"%1\" keeps its DPoP key on PKCS#11 token %2, and "
                                  "this securetokens was built without PKCS#11 support "
                                  "(SECURETOKENS_PKCS11); nothing was changed")
                           .arg(config->account, keyStore.pkcs11TokenLabel));
        return ExitUsage;
    }
    if (!fromStdin && !isatty(STDIN_FILENO)) {
        printError(QStringLiteral("account \"%1\": the DPoP key on PKCS#11 token %2 needs the "
                                  "token's PIN, and stdin is not a terminal to ask for it on; "
                                  "give it on stdin with --pin-stdin (nothing was changed)")
                           .arg(config->account, keyStore.pkcs11TokenLabel));
        return ExitUsage;
    }
    config->dpopKeyStore.pkcs11Pin = [label = keyStore.pkcs11TokenLabel, fromStdin] {
        return processPin(label, fromStdin);
    };
    return ExitOk;
}

bool pinWasAsked()
{
    return pinCache().asked;
}

void explainPinRefusal(const ErrorInfo &error)
{
    // Pkcs11DpopKey: a PIN the token refused is StorageAccessDenied.
    if (pinWasAsked() && error.code == Error::StorageAccessDenied)
        printError(QStringLiteral("the PKCS#11 token refused the PIN; nothing stored was "
                                  "changed (run the command again with the right PIN)"));
}

int checkPinOpensStoredKey(const SessionConfig &config)
{
    AccountRecord record;
    if (config.dpopKeyStore.kind != DpopKeyStore::Kind::Pkcs11
        || !readRecord(config.account, &record) || record.dpopKeyReference.isEmpty())
        return ExitOk;
#ifdef SECURETOKENS_HAVE_PKCS11
    SecretBytes pin
            = config.dpopKeyStore.pkcs11Pin ? config.dpopKeyStore.pkcs11Pin() : SecretBytes();
    ErrorInfo error;
    const bool opened
            = Internal::Pkcs11DpopKey::open(record.dpopKeyReference, pin, &error) != nullptr;
    pin.clear();
    // A token or key that is gone does not block the sign-out (the SDK warns).
    if (opened || error.code == Error::DPoPKeyMissing)
        return ExitOk;
    printError(error);
    explainPinRefusal(error);
    printError(QStringLiteral("not signed out: the DPoP key on the token could not be opened"));
    return exitCodeFor(error.code);
#else
    return ExitOk; // usePin() refused already
#endif
}

QString storedKeyReference(const QString &account)
{
    AccountRecord record;
    return readRecord(account, &record) ? record.dpopKeyReference : QString();
}

} // namespace Cli
