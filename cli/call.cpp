// SPDX-License-Identifier: MIT
// securetokens call: authenticated requests through AuthenticatedNetworkAccessManager.
#include "clicommon.h"
#include "clisettings.h"
#include "commands.h"
#include "pkcs11pin.h"

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/session.h>

#include <QCommandLineParser>
#include <QEventLoop>
#include <QNetworkReply>
#include <QTextStream>

#include <vector>

using namespace SecureTokens;

namespace Cli {

int call(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOptions({
            {QStringLiteral("method"), QStringLiteral("HTTP method (default GET)."),
             QStringLiteral("M"), QStringLiteral("GET")},
            {QStringLiteral("data"), QStringLiteral("Request body."), QStringLiteral("BODY")},
            {QStringLiteral("header"), QStringLiteral("Extra header \"Name: value\" (repeatable)."),
             QStringLiteral("H")},
            {QStringLiteral("parallel"), QStringLiteral("Send all URLs at once.")},
            accountOption(),
            pinStdinOption(),
    });
    parser.addPositionalArgument(QStringLiteral("URL"), QStringLiteral("URLs to request."),
                                 QStringLiteral("URL..."));
    if (!parseArguments(parser, args,
                        QStringLiteral("Send authenticated requests and print the bodies.")))
        return ExitUsage;
    const QStringList urls = parser.positionalArguments();
    if (urls.isEmpty()) {
        printError(QStringLiteral("give at least one URL"));
        return ExitUsage;
    }
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

    AuthenticatedNetworkAccessManager manager(&session);
    const QByteArray method = parser.value(QStringLiteral("method")).toUpper().toLatin1();
    const QByteArray data = parser.value(QStringLiteral("data")).toUtf8();
    const bool hasData = parser.isSet(QStringLiteral("data"));
    const QStringList headers = parser.values(QStringLiteral("header"));

    auto send = [&](const QString &url) {
        QNetworkRequest request {QUrl(url)};
        // A hung API server must not hang a script: no data for this long ends
        // the request (exit 75), like the token endpoint's own deadline.
        request.setTransferTimeout(int(settings->config.requestTimeout.count()));
        for (const QString &header : headers) {
            const qsizetype colon = header.indexOf(QLatin1Char(':'));
            if (colon > 0)
                request.setRawHeader(header.left(colon).trimmed().toLatin1(),
                                     header.mid(colon + 1).trimmed().toUtf8());
        }
        if (hasData && !request.hasRawHeader(QByteArrayLiteral("Content-Type")))
            request.setHeader(QNetworkRequest::ContentTypeHeader,
                              QByteArrayLiteral("application/json"));
        if (method == "GET" && !hasData)
            return manager.get(request);
        return manager.sendCustomRequest(request, method, data);
    };

    std::vector<QNetworkReply *> replies;
    int exitCode = ExitOk;
    auto finish = [&](QNetworkReply *reply) {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        QTextStream out(stdout);
        out << body;
        if (!body.isEmpty() && !body.endsWith('\n'))
            out << '\n';
        out.flush();
        int code = ExitOk;
        if (status >= 400) {
            printError(QStringLiteral("%1 answered HTTP %2")
                               .arg(reply->url().toString(QUrl::RemoveQuery),
                                    QString::number(status)));
            code = ExitHttpError;
            // RFC 9470 §3 / RFC 6750 §3.1: what the API asks for, for a new login.
            const auto info = reply->attribute(ErrorInfoAttribute).value<ErrorInfo>();
            if (info.code == Error::StepUpRequired || info.code == Error::InsufficientScope) {
                printError(
                        info.code == Error::StepUpRequired
                                ? QStringLiteral("step-up required: acr_values=\"%1\" max_age=%2")
                                          .arg(info.acrValues.join(QLatin1Char(' ')),
                                               QString::number(info.maxAgeSeconds))
                                : QStringLiteral("insufficient scope: scope=\"%1\"")
                                          .arg(info.requiredScopes.join(QLatin1Char(' '))));
                code = exitCodeFor(info.code);
            }
        } else if (status == 0 || reply->error() != QNetworkReply::NoError) {
            printError(QStringLiteral("%1: %2").arg(reply->url().toString(QUrl::RemoveQuery),
                                                    reply->errorString()));
            // The SDK's reason when it has one (a refresh the token endpoint
            // refused with 400 is no network problem: README's 75 is not it).
            const QVariant sdkError = reply->attribute(ErrorAttribute);
            if (sdkError.isValid() && sdkError.value<Error>() != Error::NoError)
                code = exitCodeForKeptSession(sdkError.value<Error>());
            else if (reply->error() == QNetworkReply::AuthenticationRequiredError)
                code = ExitNotSignedIn;
            else
                code = ExitTransient; // no HTTP answer from the API: network or timeout
            if (!session.isSignedIn())
                code = ExitNotSignedIn;
        }
        if (code != ExitOk && (exitCode == ExitOk || code != ExitHttpError))
            exitCode = code;
    };

    auto waitReply = [](QNetworkReply *reply) {
        if (reply->isFinished())
            return;
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
    };

    if (parser.isSet(QStringLiteral("parallel"))) {
        for (const QString &url : urls)
            replies.push_back(send(url));
        for (QNetworkReply *reply : replies)
            waitReply(reply);
        for (QNetworkReply *reply : replies)
            finish(reply);
    } else {
        for (const QString &url : urls) {
            QNetworkReply *reply = send(url);
            replies.push_back(reply);
            waitReply(reply);
            finish(reply);
        }
    }
    qDeleteAll(replies);
    return exitCode;
}

} // namespace Cli
