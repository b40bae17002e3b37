// SPDX-License-Identifier: MIT
#include "clicommon.h"

#include "pkcs11pin.h"

#include <securetokens/accountdirectory.h>

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QEventLoop>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

using namespace SecureTokens;

namespace Cli {

void printError(const QString &message)
{
    QTextStream(stderr) << "securetokens: " << message << Qt::endl;
}

void printError(const ErrorInfo &error)
{
    QString text = describe(error);
    if (!error.message.isEmpty())
        text += QStringLiteral(" [") + error.message + QLatin1Char(']');
    if (!error.oauthError.isEmpty())
        text += QStringLiteral(" (server: ") + error.oauthError + QLatin1Char(')');
    printError(text);
}

bool waitFor(Session *session, const std::function<bool()> &done, std::chrono::milliseconds limit)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer watchdog;
    watchdog.setSingleShot(true);
    QObject::connect(&watchdog, &QTimer::timeout, &loop, &QEventLoop::quit);
    auto check = [&] {
        if (done())
            loop.quit();
    };
    const auto a
            = QObject::connect(session, &Session::stateChanged, &loop, check, Qt::QueuedConnection);
    const auto b = QObject::connect(session, &Session::errorOccurred, &loop, check,
                                    Qt::QueuedConnection);
    const auto c
            = QObject::connect(session, &Session::signedOut, &loop, check, Qt::QueuedConnection);
    const auto e = QObject::connect(session, &Session::endpointsDiscovered, &loop, check,
                                    Qt::QueuedConnection);
    // The identity requests (userinfo) end without a state change.
    const auto f = QObject::connect(session, &Session::userInfoReceived, &loop, check,
                                    Qt::QueuedConnection);
    const auto g = QObject::connect(session, &Session::userInfoFailed, &loop, check,
                                    Qt::QueuedConnection);
    watchdog.start(limit);
    loop.exec();
    QObject::disconnect(f);
    QObject::disconnect(g);
    QObject::disconnect(a);
    QObject::disconnect(b);
    QObject::disconnect(c);
    QObject::disconnect(e);
    return done();
}

const QCommandLineOption &accountOption()
{
    static const QCommandLineOption option(QStringLiteral("account"),
                                           QStringLiteral("Account name (default: \"default\")."),
                                           QStringLiteral("NAME"), QStringLiteral("default"));
    return option;
}

QList<QCommandLineOption> redirectOptions()
{
    return {
            {QStringLiteral("redirect-host"),
             QStringLiteral("The loopback redirect's host, 127.0.0.1 (default), ::1 or "
                            "localhost (listens on every loopback address it resolves to)."),
             QStringLiteral("HOST"), QStringLiteral("127.0.0.1")},
            {QStringLiteral("redirect-port"),
             QStringLiteral("A fixed redirect port, or a comma-separated list tried in order "
                            "(default: an ephemeral port)."),
             QStringLiteral("N[,N...]")},
            {QStringLiteral("redirect-path"),
             QStringLiteral("The redirect URI's path (default /callback)."), QStringLiteral("PATH"),
             QStringLiteral("/callback")},
    };
}

bool redirectFromOptions(const QCommandLineParser &parser, SessionConfig *config)
{
    const QString host = parser.value(QStringLiteral("redirect-host"));
    if (host == QLatin1String("127.0.0.1")) {
        config->redirectHost = LoopbackRedirectHost::IPv4;
    } else if (host == QLatin1String("::1") || host == QLatin1String("[::1]")) {
        config->redirectHost = LoopbackRedirectHost::IPv6;
    } else if (host == QLatin1String("localhost")) {
        config->redirectHost = LoopbackRedirectHost::Localhost;
    } else {
        printError(QStringLiteral("--redirect-host must be 127.0.0.1, ::1 or localhost"));
        return false;
    }
    config->redirectPorts.clear();
    if (parser.isSet(QStringLiteral("redirect-port"))) {
        const QStringList ports = parser.value(QStringLiteral("redirect-port"))
                                          .split(QLatin1Char(','), Qt::KeepEmptyParts);
        for (const QString &text : ports) {
            bool ok = false;
            const uint port = text.trimmed().toUInt(&ok);
            if (!ok || port == 0 || port > 65535) {
                printError(QStringLiteral("--redirect-port takes ports 1-65535, comma-separated"));
                return false;
            }
            config->redirectPorts.append(quint16(port));
        }
    }
    config->redirectPath = parser.value(QStringLiteral("redirect-path"));
    return true;
}

bool parseArguments(QCommandLineParser &parser, const QStringList &args, const QString &description)
{
    parser.setApplicationDescription(description);
    parser.addHelpOption();
    if (!parser.parse(args)) {
        printError(parser.errorText());
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        std::exit(ExitOk);
    }
    // The SDK's account list has an entry of its own beside the accounts.
    if (parser.optionNames().contains(accountOption().names().constFirst())
        && SecureTokens::AccountDirectory::isReservedAccount(parser.value(accountOption()))) {
        printError(QStringLiteral("\"%1\" is reserved and cannot be an account name")
                           .arg(parser.value(accountOption())));
        return false;
    }
    return true;
}

int restoreOrFail(Session &session)
{
    session.restore();
    waitFor(&session, [&] { return session.state() != Session::State::Restoring; });
    if (session.state() == Session::State::SignedIn)
        return ExitOk;
    const ErrorInfo error = session.lastError();
    if (error.isError()) {
        printError(error);
        explainPinRefusal(error);
        return exitCodeFor(error.code);
    }
    printError(QStringLiteral("not signed in; run `securetokens login` first"));
    return ExitNotSignedIn;
}

std::chrono::milliseconds requestTimeoutFromEnvironment(std::chrono::milliseconds fallback)
{
    bool ok = false;
    const int seconds = qEnvironmentVariableIntValue("SECURETOKENS_TIMEOUT", &ok);
    return ok && seconds > 0 ? std::chrono::seconds(seconds) : fallback;
}

} // namespace Cli
