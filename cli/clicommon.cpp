// SPDX-License-Identifier: MIT
#include "clicommon.h"

#include <QEventLoop>
#include <QTextStream>
#include <QTimer>

#include <cstdio>

using namespace SecureTokens;

namespace Cli {

int exitCodeFor(Error error)
{
    switch (error) {
    case Error::NoError:
        return ExitOk;
    case Error::StorageUnavailable:
    case Error::StorageLocked:
    case Error::StorageAccessDenied:
    case Error::StorageTooLarge:
    case Error::StorageTimeout:
    case Error::StorageFailed:
        return ExitStorageUnavailable;
    case Error::NotSignedIn:
    case Error::ReauthenticationRequired:
    case Error::InvalidGrant:
    case Error::AccessDenied:
        return ExitNotSignedIn;
    case Error::InvalidConfiguration:
    case Error::InsecureTransport:
        return ExitUsage;
    default:
        return isTransient(error) ? ExitTransient : ExitFailure;
    }
}

void printError(const QString &message)
{
    QTextStream(stderr) << "securetokens: " << message << Qt::endl;
}

void printError(const ErrorInfo &error)
{
    QString text = describe(error.code);
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
    watchdog.start(limit);
    loop.exec();
    QObject::disconnect(a);
    QObject::disconnect(b);
    QObject::disconnect(c);
    QObject::disconnect(e);
    return done();
}

} // namespace Cli
