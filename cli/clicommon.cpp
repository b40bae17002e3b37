// SPDX-License-Identifier: MIT
#include "clicommon.h"

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
