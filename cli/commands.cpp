// SPDX-License-Identifier: MIT
#include "commands.h"

#include "clicommon.h"
#include "clisettings.h"
#include "browseropener.h"
#include "passwordprompt.h"

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/keychainsecretstore.h>
#include <securetokens/session.h>

#include <QCommandLineParser>
#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QNetworkReply>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

using namespace SecureTokens;

namespace Cli {

namespace {

const QCommandLineOption accountOption(QStringLiteral("account"),
                                       QStringLiteral("Account name (default: \"default\")."),
                                       QStringLiteral("NAME"), QStringLiteral("default"));

// Parses \a args; on a usage error prints it and returns false.
bool parse(QCommandLineParser &parser, const QStringList &args, const QString &description)
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

bool isSignedInState(const Session &session)
{
    return session.state() == Session::State::SignedIn;
}

int restoreOrFail(Session &session)
{
    session.restore();
    waitFor(&session, [&] { return session.state() != Session::State::Restoring; });
    if (isSignedInState(session))
        return ExitOk;
    const ErrorInfo error = session.lastError();
    if (error.isError()) {
        printError(error);
        return exitCodeFor(error.code);
    }
    printError(QStringLiteral("not signed in; run `securetokens login` first"));
    return ExitNotSignedIn;
}

} // namespace

int login(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOptions({
            {QStringLiteral("issuer"),
             QStringLiteral("Issuer URL; endpoints come from its discovery document."),
             QStringLiteral("URL")},
            {QStringLiteral("token-endpoint"), QStringLiteral("Token endpoint URL."),
             QStringLiteral("URL")},
            {QStringLiteral("revocation-endpoint"),
             QStringLiteral("RFC 7009 revocation endpoint URL (used by logout)."),
             QStringLiteral("URL")},
            {QStringLiteral("client-id"), QStringLiteral("OAuth client id (public client)."),
             QStringLiteral("ID")},
            {QStringLiteral("api-origin"),
             QStringLiteral("Origin that receives the bearer token (repeatable; default: the "
                            "issuer's or token endpoint's origin)."),
             QStringLiteral("ORIGIN")},
            {QStringLiteral("scope"), QStringLiteral("Space-separated scopes to request."),
             QStringLiteral("SCOPES")},
            {QStringLiteral("browser"),
             QStringLiteral("Sign in in the browser (authorization code + PKCE, loopback "
                            "redirect); uses $BROWSER, else xdg-open/open.")},
            {QStringLiteral("device"),
             QStringLiteral("Sign in on another device (RFC 8628): prints a code and a URL.")},
            {QStringLiteral("transport"),
             QStringLiteral("oauth (default) or cookie (a web-app backend: --auth-base)."),
             QStringLiteral("oauth|cookie"), QStringLiteral("oauth")},
            {QStringLiteral("auth-base"),
             QStringLiteral("Cookie transport: base URL of login, refresh and logout "
                            "(e.g. https://app.example/auth)."),
             QStringLiteral("URL")},
            {QStringLiteral("username"),
             QStringLiteral("User name (default: $SECURETOKENS_USERNAME, else prompt)."),
             QStringLiteral("U")},
            {QStringLiteral("password-stdin"),
             QStringLiteral("Read the password from the first line of stdin (otherwise "
                            "$SECURETOKENS_PASSWORD, else a prompt; never from arguments).")},
            {QStringLiteral("store"),
             QStringLiteral("Where the refresh token goes: keychain (default) or memory."),
             QStringLiteral("keychain|memory"), QStringLiteral("keychain")},
            accountOption,
    });
    if (!parse(parser, args,
               QStringLiteral("Sign in: password grant (default), --browser, --device, or "
                              "--transport cookie.")))
        return ExitUsage;

    AccountSettings settings;
    settings.account = parser.value(accountOption);
    settings.store = parser.value(QStringLiteral("store"));
    if (settings.store != QLatin1String("keychain") && settings.store != QLatin1String("memory")) {
        printError(QStringLiteral("--store must be keychain or memory"));
        return ExitUsage;
    }
    const QString transport = parser.value(QStringLiteral("transport"));
    if (transport != QLatin1String("oauth") && transport != QLatin1String("cookie")) {
        printError(QStringLiteral("--transport must be oauth or cookie"));
        return ExitUsage;
    }
    const bool cookie = transport == QLatin1String("cookie");
    const bool browser = parser.isSet(QStringLiteral("browser"));
    const bool device = parser.isSet(QStringLiteral("device"));
    if (int(browser) + int(device) + int(cookie) > 1) {
        printError(QStringLiteral("choose one of --browser, --device, --transport cookie"));
        return ExitUsage;
    }
    SessionConfig &config = settings.config;
    if (cookie) {
        config.transport = RefreshTransportKind::Cookie;
        config.cookieAuthBase = QUrl(parser.value(QStringLiteral("auth-base")));
        if (config.cookieAuthBase.isEmpty()) {
            printError(QStringLiteral("--transport cookie needs --auth-base URL"));
            return ExitUsage;
        }
        // The bearer goes to the backend that issued it unless told otherwise.
        config.apiOrigins.append(config.cookieAuthBase);
    } else {
        config.clientId = parser.value(QStringLiteral("client-id"));
        if (config.clientId.isEmpty()) {
            printError(QStringLiteral("--client-id is required"));
            return ExitUsage;
        }
        config.issuer = QUrl(parser.value(QStringLiteral("issuer")));
        config.tokenEndpoint = QUrl(parser.value(QStringLiteral("token-endpoint")));
        config.revocationEndpoint = QUrl(parser.value(QStringLiteral("revocation-endpoint")));
        if (config.issuer.isEmpty() && config.tokenEndpoint.isEmpty()) {
            printError(QStringLiteral("give --issuer or --token-endpoint"));
            return ExitUsage;
        }
        if ((browser || device) && config.issuer.isEmpty()) {
            printError(QStringLiteral("--browser and --device need --issuer"));
            return ExitUsage;
        }
    }
    const QList<QUrl> explicitOrigins = [&] {
        QList<QUrl> origins;
        for (const QString &origin : parser.values(QStringLiteral("api-origin")))
            origins.append(QUrl(origin));
        return origins;
    }();
    if (!explicitOrigins.isEmpty())
        config.apiOrigins = explicitOrigins;
    if (parser.isSet(QStringLiteral("scope")))
        config.scopes
                = parser.value(QStringLiteral("scope")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    config.storageService = storageService();
    config.account = settings.account;
    config.storagePolicy = settings.store == QLatin1String("memory") ? StoragePolicy::SessionOnly
                                                                     : StoragePolicy::Required;
    config.openBrowser = openInBrowser;
    bool ok = false;
    const int timeout = qEnvironmentVariableIntValue("SECURETOKENS_TIMEOUT", &ok);
    if (ok && timeout > 0)
        config.requestTimeout = std::chrono::seconds(timeout);

    QString username;
    QString password;
    if (!browser && !device) {
        username = parser.value(QStringLiteral("username"));
        if (username.isEmpty())
            username = qEnvironmentVariable("SECURETOKENS_USERNAME");
        if (username.isEmpty()) {
            printError(QStringLiteral("--username is required"));
            return ExitUsage;
        }
        if (parser.isSet(QStringLiteral("password-stdin")))
            password = readLineFromStdin();
        else if (qEnvironmentVariableIsSet("SECURETOKENS_PASSWORD"))
            password = qEnvironmentVariable("SECURETOKENS_PASSWORD");
        else
            password = promptPassword(QStringLiteral("Password for %1: ").arg(username));
        if (password.isEmpty()) {
            printError(
                    QStringLiteral("no password: use --password-stdin or $SECURETOKENS_PASSWORD"));
            return ExitUsage;
        }
    }

    Session session(config);
    bool failed = false;
    QObject::connect(&session, &Session::errorOccurred, &session, [&] { failed = true; });

    // The SDK's discovery (OpenID Connect Discovery / RFC 8414), validated
    // there: the issuer must match, endpoints must be https off loopback.
    if (!cookie && config.tokenEndpoint.isEmpty()) {
        bool discovered = false;
        QObject::connect(&session, &Session::endpointsDiscovered, &session,
                         [&] { discovered = true; });
        session.discoverEndpoints();
        waitFor(&session, [&] { return failed || discovered; });
        if (!discovered) {
            printError(session.lastError());
            return exitCodeFor(session.lastError().code);
        }
    }

    QObject::connect(&session, &Session::deviceCodeReady, &session,
                     [](const QString &userCode, const QUrl &uri, const QUrl &complete,
                        const QDateTime &expiresAt) {
                         QTextStream out(stdout);
                         out << "To sign in, open " << uri.toString() << " and enter the code "
                             << userCode << Qt::endl;
                         if (!complete.isEmpty())
                             out << "(or open " << complete.toString() << ")" << Qt::endl;
                         out << "The code expires at "
                             << expiresAt.toLocalTime().toString(Qt::ISODate) << "." << Qt::endl;
                     });
    if (browser)
        session.signInWithBrowser();
    else if (device)
        session.signInWithDeviceCode();
    else if (cookie)
        session.signInWithCookieLogin(username, password);
    else
        session.signInWithPassword(username, password);
    password.fill(QLatin1Char('\0'));
    // A failed sign-in reports one error and goes back to SignedOut. The
    // browser and device flows have their own time limits.
    waitFor(
            &session, [&] { return failed || isSignedInState(session); }, std::chrono::minutes(30));
    if (!isSignedInState(session)) {
        const ErrorInfo error = session.lastError();
        printError(error);
        return error.isError() ? exitCodeFor(error.code) : ExitFailure;
    }
    // Keep what discovery found, so later commands need no network round trip.
    const SessionConfig effective = session.config();
    config.tokenEndpoint = effective.tokenEndpoint;
    config.revocationEndpoint = effective.revocationEndpoint;
    config.authorizationEndpoint = effective.authorizationEndpoint;
    config.deviceAuthorizationEndpoint = effective.deviceAuthorizationEndpoint;
    config.jwksUri = effective.jwksUri;
    const QVariantMap claims = session.idTokenClaims();
    settings.user = claims.value(QStringLiteral("email")).toString();
    if (settings.user.isEmpty())
        settings.user = session.subject().isEmpty() ? username : session.subject();
    save(settings);
    QTextStream(stdout) << "Signed in as " << settings.user << " (refresh token in "
                        << session.storageBackend() << ")" << Qt::endl;
    return ExitOk;
}

int status(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOptions({accountOption, {QStringLiteral("json"), QStringLiteral("Print JSON.")}});
    if (!parse(parser, args, QStringLiteral("Show whether an account is signed in.")))
        return ExitUsage;
    const QString account = parser.value(accountOption);
    const bool json = parser.isSet(QStringLiteral("json"));
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
        for (const QUrl &origin : settings->config.effectiveApiOrigins())
            origins.append(originOf(origin));
        out.insert(QStringLiteral("api_origins"), origins);

        QEventLoop loop;
        SecretStore::Result result;
        bool found = false;
        store.read(account, &loop, [&](SecretStore::Result r, SecretBytes secret) {
            result = r;
            found = r.ok() && !secret.isEmpty();
            loop.quit();
        });
        loop.exec();
        if (found) {
            out.insert(QStringLiteral("signed_in"), true);
            code = ExitOk;
            text = QStringLiteral("%1: signed in as %2 (refresh token in %3)")
                           .arg(account, settings->user, store.backendName());
        } else if (result.status != SecretStore::Status::NotFound) {
            code = exitCodeFor(SecretStore::toError(result.status));
            out.insert(QStringLiteral("error"),
                       QString::fromLatin1(QMetaEnum::fromType<Error>().valueToKey(
                               int(SecretStore::toError(result.status)))));
            text = QStringLiteral("%1: secure storage not available (%2)")
                           .arg(account, result.message);
        }
    }
    if (json)
        QTextStream(stdout) << QJsonDocument(out).toJson(QJsonDocument::Compact) << Qt::endl;
    else
        QTextStream(stdout) << text << Qt::endl;
    return code;
}

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
            accountOption,
    });
    parser.addPositionalArgument(QStringLiteral("URL"), QStringLiteral("URLs to request."),
                                 QStringLiteral("URL..."));
    if (!parse(parser, args, QStringLiteral("Send authenticated requests and print the bodies.")))
        return ExitUsage;
    const QStringList urls = parser.positionalArguments();
    if (urls.isEmpty()) {
        printError(QStringLiteral("give at least one URL"));
        return ExitUsage;
    }
    const QString account = parser.value(accountOption);
    const std::optional<AccountSettings> settings = load(account);
    if (!settings) {
        printError(QStringLiteral("not signed in; run `securetokens login` first"));
        return ExitNotSignedIn;
    }

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
        } else if (status == 0 || reply->error() != QNetworkReply::NoError) {
            printError(QStringLiteral("%1: %2").arg(reply->url().toString(QUrl::RemoveQuery),
                                                    reply->errorString()));
            code = reply->error() == QNetworkReply::AuthenticationRequiredError ? ExitNotSignedIn
                                                                                : ExitTransient;
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

int logout(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(accountOption);
    if (!parse(parser, args, QStringLiteral("Sign out: revoke server-side, wipe locally.")))
        return ExitUsage;
    const QString account = parser.value(accountOption);
    std::optional<AccountSettings> settings = load(account);
    SessionConfig config;
    if (settings) {
        config = settings->config;
    } else {
        config.storageService = storageService();
        config.account = account;
    }
    Session session(config);
    bool done = false;
    QObject::connect(&session, &Session::signedOut, &session, [&] { done = true; });
    session.signOut();
    waitFor(&session, [&] { return done; });
    forget(account);
    const ErrorInfo error = session.lastError();
    if (error.isError() && !isTransient(error.code)) {
        printError(error);
        return exitCodeFor(error.code);
    }
    if (error.isError())
        printError(error); // revocation could not reach the server: still signed out here
    QTextStream(stdout) << account << ": signed out" << Qt::endl;
    return ExitOk;
}

} // namespace Cli
