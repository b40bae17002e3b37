// SPDX-License-Identifier: MIT
// securetokens login: the password grant, --browser, --device or the cookie
// transport; the configuration is remembered, the refresh token kept in
// secure storage.
#include "browseropener.h"
#include "clicommon.h"
#include "clisettings.h"
#include "commands.h"
#include "passwordprompt.h"
#include "pkcs11pin.h"

#include <securetokens/schemeredirect.h>
#include <securetokens/session.h>

#include <QCommandLineParser>
#include <QDateTime>
#include <QTextStream>

#include <optional>

using namespace SecureTokens;

namespace Cli {

namespace {

enum class LoginMethod { Password, Browser, Device, Cookie };

//! What `login` was asked to do.
struct LoginRequest
{
    AccountSettings settings;
    LoginMethod method = LoginMethod::Password;
    QString username; //!< password grant and cookie login
};

void addLoginOptions(QCommandLineParser &parser)
{
    parser.addOptions({
            {QStringLiteral("issuer"),
             QStringLiteral("Issuer URL; endpoints come from its discovery document."),
             QStringLiteral("URL")},
            {QStringLiteral("token-endpoint"), QStringLiteral("Token endpoint URL."),
             QStringLiteral("URL")},
            {QStringLiteral("revocation-endpoint"),
             QStringLiteral("RFC 7009 revocation endpoint URL (used by logout)."),
             QStringLiteral("URL")},
            {QStringLiteral("authorization-endpoint"),
             QStringLiteral("Authorization endpoint URL (--browser without discovery)."),
             QStringLiteral("URL")},
            {QStringLiteral("device-authorization-endpoint"),
             QStringLiteral("RFC 8628 device authorization endpoint URL (--device without "
                            "discovery)."),
             QStringLiteral("URL")},
            {QStringLiteral("jwks-uri"),
             QStringLiteral("The provider's JWK Set URL, to verify ID tokens without discovery."),
             QStringLiteral("URL")},
            // --- identity (OpenID Connect) ---
            {QStringLiteral("userinfo-endpoint"),
             QStringLiteral("OpenID Connect UserInfo endpoint URL (default: from discovery)."),
             QStringLiteral("URL")},
            {QStringLiteral("end-session-endpoint"),
             QStringLiteral("OpenID Connect end_session_endpoint URL, for `logout --everywhere` "
                            "(default: from discovery)."),
             QStringLiteral("URL")},
            {QStringLiteral("client-id"), QStringLiteral("OAuth client id."), QStringLiteral("ID")},
            {QStringLiteral("client-auth-method"),
             QStringLiteral("With a client secret: client_secret_basic or client_secret_post "
                            "(default: from the provider's metadata, else basic)."),
             QStringLiteral("METHOD")},
            {QStringLiteral("client-secret-stdin"),
             QStringLiteral("Read a client secret (e.g. a Google desktop client's) from the "
                            "first line of stdin (otherwise $SECURETOKENS_CLIENT_SECRET; never "
                            "from arguments). Kept in secure storage with the refresh token.")},
            {QStringLiteral("api-origin"),
             QStringLiteral("Origin that receives the bearer token (repeatable; default: the "
                            "issuer's or token endpoint's origin)."),
             QStringLiteral("ORIGIN")},
            {QStringLiteral("scope"), QStringLiteral("Space-separated scopes to request."),
             QStringLiteral("SCOPES")},
            {QStringLiteral("browser"),
             QStringLiteral("Sign in in the browser (authorization code + PKCE, loopback "
                            "redirect); uses $BROWSER, else xdg-open/open.")},
            {QStringLiteral("redirect-uri"),
             QStringLiteral("--browser: a private-use scheme redirect (RFC 8252 §7.1) such as "
                            "com.example.app:/callback instead of the loopback listener; the "
                            "scheme must be registered (securetokens register-scheme)."),
             QStringLiteral("SCHEME:/PATH")},
            {QStringLiteral("param"),
             QStringLiteral("--browser: an authorization request parameter such as prompt, "
                            "login_hint, acr_values, max_age or ui_locales (repeatable); "
                            "parameters the SDK sets are refused."),
             QStringLiteral("NAME=VALUE")},
            {QStringLiteral("audience"),
             QStringLiteral("--browser: the API the access token is for (Auth0's audience)."),
             QStringLiteral("AUDIENCE")},
            {QStringLiteral("resource"),
             QStringLiteral("--browser: an RFC 8707 resource indicator of the sign-in, sent in "
                            "the authorization request and the code exchange (repeatable)."),
             QStringLiteral("URI")},
            {QStringLiteral("api-resource"),
             QStringLiteral("The API at ORIGIN gets a token of its own, for RESOURCE (default: "
                            "the origin; RFC 8707), and origins without one get none "
                            "(repeatable; remembered for call)."),
             QStringLiteral("ORIGIN[=RESOURCE]")},
            {QStringLiteral("dpop"),
             QStringLiteral("Bind the tokens to a key kept with the refresh token (RFC 9449): "
                            "auto (default: when the provider supports ES256), required, or "
                            "off."),
             QStringLiteral("off|auto|required"), QStringLiteral("auto")},
            {QStringLiteral("dpop-key"),
             QStringLiteral("Where the DPoP key is made and kept: software (default: with the "
                            "refresh token in secure storage) or pkcs11 (generated on a PKCS#11 "
                            "token and never readable outside it: --pkcs11-module, "
                            "--pkcs11-token; the PIN from --pin-stdin or a prompt)."),
             QStringLiteral("software|pkcs11"), QStringLiteral("software")},
            {QStringLiteral("pkcs11-module"),
             QStringLiteral("--dpop-key pkcs11: the PKCS#11 module's file, e.g. "
                            "/usr/lib/softhsm/libsofthsm2.so (remembered for the account)."),
             QStringLiteral("PATH")},
            {QStringLiteral("pkcs11-token"),
             QStringLiteral("--dpop-key pkcs11: the label of the token the key is made on "
                            "(remembered for the account)."),
             QStringLiteral("LABEL")},
            pinStdinOption(),
            {QStringLiteral("no-par"),
             QStringLiteral("--browser: push the authorization request (RFC 9126) only when "
                            "the provider requires it (default: whenever it offers it).")},
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
            accountOption(),
    });
    parser.addOptions(redirectOptions());
}

/*!
    --param NAME=VALUE (those with a SessionConfig field go there; the SDK
    refuses the names it owns), --audience, --resource, --api-resource; false (printed) on a
    usage error.
*/
bool parametersFromOptions(const QCommandLineParser &parser, SessionConfig *config)
{
    config->usePushedAuthorizationRequests = !parser.isSet(QStringLiteral("no-par"));
    config->audience = parser.value(QStringLiteral("audience"));
    config->resources = parser.values(QStringLiteral("resource")); // RFC 8707 §2
    for (const QString &value : parser.values(QStringLiteral("api-resource"))) {
        std::optional<ApiResource> api = apiResourceFromArgument(value);
        if (!api) {
            printError(QStringLiteral("--api-resource takes ORIGIN[=RESOURCE], an http or https "
                                      "origin without a path: %1")
                               .arg(value));
            return false;
        }
        config->apiResources.append(*std::move(api));
    }
    for (const QString &param : parser.values(QStringLiteral("param"))) {
        const qsizetype eq = param.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            printError(QStringLiteral("--param takes NAME=VALUE"));
            return false;
        }
        const QString name = param.left(eq);
        const QString value = param.mid(eq + 1);
        const auto words = [&value] {
            return value.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        };
        if (name == QLatin1String("prompt")) {
            config->prompt = value;
        } else if (name == QLatin1String("login_hint")) {
            config->loginHint = value;
        } else if (name == QLatin1String("acr_values")) {
            config->acrValues = words();
        } else if (name == QLatin1String("ui_locales")) {
            config->uiLocales = words();
        } else if (name == QLatin1String("max_age")) {
            bool ok = false;
            const qint64 seconds = value.toLongLong(&ok);
            if (!ok || seconds < 0) {
                printError(QStringLiteral("--param max_age takes a number of seconds"));
                return false;
            }
            config->maxAge = std::chrono::seconds(seconds);
        } else if (name == QLatin1String("audience") && config->audience.isEmpty()) {
            config->audience = value;
        } else if (name == QLatin1String("resource")) {
            config->resources.append(value);
        } else if (config->extraAuthorizationParameters.contains(name)) {
            printError(QStringLiteral("--param %1 given twice").arg(name));
            return false;
        } else {
            // Names the SDK owns are refused by the sign-in (InvalidConfiguration).
            config->extraAuthorizationParameters.insert(name, value);
        }
    }
    return true;
}

/*!
    --dpop-key, --pkcs11-module, --pkcs11-token (and --pin-stdin's place):
    where the sign-in's DPoP key is made; false (printed) on a usage error.
*/
bool dpopKeyFromOptions(const QCommandLineParser &parser, const AccountSettings &settings,
                        SessionConfig *config)
{
    const QString kind = parser.value(QStringLiteral("dpop-key"));
    if (kind != QLatin1String("software") && kind != QLatin1String("pkcs11")) {
        printError(QStringLiteral("--dpop-key must be software or pkcs11"));
        return false;
    }
    if (kind == QLatin1String("software")) {
        for (const char *option : {"pkcs11-module", "pkcs11-token", "pin-stdin"}) {
            if (parser.isSet(QLatin1String(option))) {
                printError(
                        QStringLiteral("--%1 needs --dpop-key pkcs11").arg(QLatin1String(option)));
                return false;
            }
        }
        return true;
    }
    if (!pkcs11Supported()) {
        printError(QStringLiteral("--dpop-key pkcs11: this securetokens was built without "
                                  "PKCS#11 support (SECURETOKENS_PKCS11)"));
        return false;
    }
    if (config->transport == RefreshTransportKind::Cookie || config->dpop == DpopMode::Off) {
        printError(QStringLiteral("--dpop-key pkcs11 needs DPoP: not with --dpop off or "
                                  "--transport cookie"));
        return false;
    }
    // A memory session ends with the process and would leave its key pair on the token.
    if (settings.store == QLatin1String("memory")) {
        printError(QStringLiteral("--dpop-key pkcs11 needs --store keychain: a memory session "
                                  "would leave its key on the token"));
        return false;
    }
    config->dpopKeyStore.kind = DpopKeyStore::Kind::Pkcs11;
    config->dpopKeyStore.pkcs11ModulePath = parser.value(QStringLiteral("pkcs11-module"));
    config->dpopKeyStore.pkcs11TokenLabel = parser.value(QStringLiteral("pkcs11-token"));
    if (config->dpopKeyStore.pkcs11ModulePath.isEmpty()
        || config->dpopKeyStore.pkcs11TokenLabel.isEmpty()) {
        printError(QStringLiteral("--dpop-key pkcs11 needs --pkcs11-module PATH and "
                                  "--pkcs11-token LABEL"));
        return false;
    }
    return true;
}

//! The request the options describe; prints the problem and returns nothing on a usage error.
std::optional<LoginRequest> requestFromOptions(const QCommandLineParser &parser)
{
    LoginRequest request;
    AccountSettings &settings = request.settings;
    settings.account = parser.value(accountOption());
    settings.store = parser.value(QStringLiteral("store"));
    if (settings.store != QLatin1String("keychain") && settings.store != QLatin1String("memory")) {
        printError(QStringLiteral("--store must be keychain or memory"));
        return {};
    }
    const QString transport = parser.value(QStringLiteral("transport"));
    if (transport != QLatin1String("oauth") && transport != QLatin1String("cookie")) {
        printError(QStringLiteral("--transport must be oauth or cookie"));
        return {};
    }
    const bool cookie = transport == QLatin1String("cookie");
    const bool browser = parser.isSet(QStringLiteral("browser"));
    const bool device = parser.isSet(QStringLiteral("device"));
    if (int(browser) + int(device) + int(cookie) > 1) {
        printError(QStringLiteral("choose one of --browser, --device, --transport cookie"));
        return {};
    }
    request.method = browser ? LoginMethod::Browser
            : device         ? LoginMethod::Device
            : cookie         ? LoginMethod::Cookie
                             : LoginMethod::Password;

    SessionConfig &config = settings.config;
    if (cookie) {
        config.transport = RefreshTransportKind::Cookie;
        config.cookieAuthBase = QUrl(parser.value(QStringLiteral("auth-base")));
        if (config.cookieAuthBase.isEmpty()) {
            printError(QStringLiteral("--transport cookie needs --auth-base URL"));
            return {};
        }
        // The bearer goes to the backend that issued it unless told otherwise.
        config.apiOrigins.append(config.cookieAuthBase);
    } else {
        config.clientId = parser.value(QStringLiteral("client-id"));
        if (config.clientId.isEmpty()) {
            printError(QStringLiteral("--client-id is required"));
            return {};
        }
        config.issuer = QUrl(parser.value(QStringLiteral("issuer")));
        config.tokenEndpoint = QUrl(parser.value(QStringLiteral("token-endpoint")));
        config.revocationEndpoint = QUrl(parser.value(QStringLiteral("revocation-endpoint")));
        if (parser.isSet(QStringLiteral("client-auth-method"))) {
            const QString method = parser.value(QStringLiteral("client-auth-method"));
            if (method != QLatin1String("client_secret_basic")
                && method != QLatin1String("client_secret_post")) {
                printError(QStringLiteral(
                        "--client-auth-method must be client_secret_basic or client_secret_post"));
                return {};
            }
            // A client is registered for one method (RFC 7591 §2): at the
            // token endpoint and, unless told otherwise, at revocation too.
            config.tokenEndpointAuthMethods = {method};
            config.revocationEndpointAuthMethods = {method};
        }
        if (config.issuer.isEmpty() && config.tokenEndpoint.isEmpty()) {
            printError(QStringLiteral("give --issuer or --token-endpoint"));
            return {};
        }
        // Endpoints set here win over discovery (and are all there is without an issuer).
        config.authorizationEndpoint = QUrl(parser.value(QStringLiteral("authorization-endpoint")));
        config.deviceAuthorizationEndpoint
                = QUrl(parser.value(QStringLiteral("device-authorization-endpoint")));
        config.jwksUri = QUrl(parser.value(QStringLiteral("jwks-uri")));
        config.userinfoEndpoint = QUrl(parser.value(QStringLiteral("userinfo-endpoint")));
        config.endSessionEndpoint = QUrl(parser.value(QStringLiteral("end-session-endpoint")));
        if (browser && config.issuer.isEmpty() && config.authorizationEndpoint.isEmpty()) {
            printError(QStringLiteral("--browser needs --issuer or --authorization-endpoint"));
            return {};
        }
        if (!redirectFromOptions(parser, &config) || !parametersFromOptions(parser, &config))
            return {};
        if (parser.isSet(QStringLiteral("redirect-uri"))) {
            config.redirectUri
                    = QUrl(parser.value(QStringLiteral("redirect-uri")), QUrl::StrictMode);
            const ErrorInfo form = checkPrivateUseRedirectUri(config.redirectUri);
            if (!browser || form.isError()) {
                printError(browser ? form.message
                                   : QStringLiteral("--redirect-uri needs --browser"));
                return {};
            }
        }
        const QString dpop = parser.value(QStringLiteral("dpop"));
        if (dpop == QLatin1String("off")) {
            config.dpop = DpopMode::Off;
        } else if (dpop == QLatin1String("required")) {
            config.dpop = DpopMode::Required;
        } else if (dpop != QLatin1String("auto")) {
            printError(QStringLiteral("--dpop must be off, auto or required"));
            return {};
        }
        if (device && config.issuer.isEmpty() && config.deviceAuthorizationEndpoint.isEmpty()) {
            printError(
                    QStringLiteral("--device needs --issuer or --device-authorization-endpoint"));
            return {};
        }
    }
    QList<QUrl> explicitOrigins;
    for (const QString &origin : parser.values(QStringLiteral("api-origin")))
        explicitOrigins.append(QUrl(origin));
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
    config.requestTimeout = requestTimeoutFromEnvironment(config.requestTimeout);
    if (!dpopKeyFromOptions(parser, settings, &config))
        return {};

    if (request.method == LoginMethod::Password || request.method == LoginMethod::Cookie) {
        request.username = parser.value(QStringLiteral("username"));
        if (request.username.isEmpty())
            request.username = qEnvironmentVariable("SECURETOKENS_USERNAME");
        if (request.username.isEmpty()) {
            printError(QStringLiteral("--username is required"));
            return {};
        }
    }
    return request;
}

/*!
    The client secret: --client-secret-stdin (the first line of stdin, before
    a --password-stdin line) or $SECURETOKENS_CLIENT_SECRET, which is unset
    once read so that no child process (the browser) inherits it. Never argv.
*/
std::shared_ptr<const SecretBytes> readClientSecret(const QCommandLineParser &parser)
{
    QByteArray secret;
    if (parser.isSet(QStringLiteral("client-secret-stdin"))) {
        QString line = readLineFromStdin();
        secret = line.toUtf8();
        line.fill(QLatin1Char('\0'));
    } else if (qEnvironmentVariableIsSet("SECURETOKENS_CLIENT_SECRET")) {
        secret = qgetenv("SECURETOKENS_CLIENT_SECRET");
        qunsetenv("SECURETOKENS_CLIENT_SECRET");
    }
    if (secret.isEmpty())
        return nullptr;
    return std::make_shared<const SecretBytes>(SecretBytes::adopt(secret));
}

//! The password: --password-stdin, $SECURETOKENS_PASSWORD or a no-echo prompt, never argv.
QString readPassword(const QCommandLineParser &parser, const QString &username)
{
    if (parser.isSet(QStringLiteral("password-stdin")))
        return readLineFromStdin();
    // Taken out of the environment at start-up (main.cpp), so $BROWSER never inherits it.
    if (std::optional<QString> fromEnvironment = passwordFromEnvironment())
        return *std::move(fromEnvironment);
    return promptPassword(QStringLiteral("Password for %1: ").arg(username));
}

/*!
    The SDK's discovery (OpenID Connect Discovery / RFC 8414), validated
    there: the issuer must match, endpoints must be https off loopback.
    Returns ExitOk, or the exit code of the error it printed.
*/
int discover(Session &session)
{
    bool discovered = false;
    bool failed = false;
    // The connections write to this function's locals: they must end with it.
    // With &session as their context, a later error (a denied browser
    // sign-in) wrote to a dead stack frame, signIn()'s by then.
    QObject scope;
    QObject::connect(&session, &Session::endpointsDiscovered, &scope, [&] { discovered = true; });
    QObject::connect(&session, &Session::errorOccurred, &scope, [&] { failed = true; });
    session.discoverEndpoints();
    waitFor(&session, [&] { return failed || discovered; });
    if (discovered)
        return ExitOk;
    printError(session.lastError());
    return exitCodeFor(session.lastError().code);
}

void printDeviceCode(const QString &userCode, const QUrl &uri, const QUrl &complete,
                     const QDateTime &expiresAt)
{
    QTextStream out(stdout);
    out << "To sign in, open " << uri.toString() << " and enter the code " << userCode << Qt::endl;
    if (!complete.isEmpty())
        out << "(or open " << complete.toString() << ")" << Qt::endl;
    out << "The code expires at " << expiresAt.toLocalTime().toString(Qt::ISODate) << "."
        << Qt::endl;
}

//! Runs the sign-in; ExitOk once signed in, else the exit code of the error it printed.
int signIn(Session &session, const LoginRequest &request, QString password)
{
    bool failed = false;
    QObject scope; // the connections below end with this function
    QObject::connect(&session, &Session::errorOccurred, &scope, [&] { failed = true; });
    QObject::connect(&session, &Session::deviceCodeReady, &scope, printDeviceCode);
    switch (request.method) {
    case LoginMethod::Browser:
        session.signInWithBrowser();
        break;
    case LoginMethod::Device:
        session.signInWithDeviceCode();
        break;
    case LoginMethod::Cookie:
        session.signInWithCookieLogin(request.username, password);
        break;
    case LoginMethod::Password:
        session.signInWithPassword(request.username, password);
        break;
    }
    password.fill(QLatin1Char('\0'));
    // A failed sign-in reports one error and goes back to SignedOut. The
    // browser and device flows have their own time limits.
    const auto signedIn = [&] {
        return session.state() == Session::State::SignedIn;
    };
    waitFor(
            &session, [&] { return failed || signedIn(); }, std::chrono::minutes(30));
    if (signedIn())
        return ExitOk;
    const ErrorInfo error = session.lastError();
    printError(error);
    explainPinRefusal(error);
    return error.isError() ? exitCodeFor(error.code) : ExitFailure;
}

//! Saves \a settings with what discovery found, so later commands need no round trip.
void remember(AccountSettings settings, const Session &session, const QString &username)
{
    SessionConfig &config = settings.config;
    const SessionConfig effective = session.config();
    config.tokenEndpoint = effective.tokenEndpoint;
    config.revocationEndpoint = effective.revocationEndpoint;
    config.authorizationEndpoint = effective.authorizationEndpoint;
    config.deviceAuthorizationEndpoint = effective.deviceAuthorizationEndpoint;
    config.jwksUri = effective.jwksUri;
    config.userinfoEndpoint = effective.userinfoEndpoint;
    config.endSessionEndpoint = effective.endSessionEndpoint;
    config.tokenEndpointAuthMethods = effective.tokenEndpointAuthMethods;
    config.revocationEndpointAuthMethods = effective.revocationEndpointAuthMethods;
    settings.user = session.idTokenClaims().value(QStringLiteral("email")).toString();
    if (settings.user.isEmpty())
        settings.user = session.subject().isEmpty() ? username : session.subject();
    QTextStream out(stdout);
    DpopKeyStore &keyStore = config.dpopKeyStore;
    if (keyStore.kind == DpopKeyStore::Kind::Pkcs11 && session.dpopThumbprint().isEmpty()) {
        // --dpop auto and a provider without DPoP: bearer tokens, no key on the
        // token, so later commands need no PIN.
        out << "Note: the provider does not support DPoP: no key was made on token "
            << keyStore.pkcs11TokenLabel << Qt::endl;
        keyStore = DpopKeyStore();
    } else if (keyStore.kind == DpopKeyStore::Kind::Pkcs11) {
        settings.dpopJkt = session.dpopThumbprint(); // public: for `status` without the PIN
        settings.dpopKeyReference = storedKeyReference(settings.account);
    }
    save(settings);
    out << "Signed in as " << settings.user;
    if (session.isRefreshable())
        out << " (refresh token in " << session.storageBackend() << ")" << Qt::endl;
    else
        out << " (no refresh token: the session ends when its access token expires)" << Qt::endl;
    // Said now, not at logout: the provider's metadata (RFC 8414 §2) tells
    // that it will not take a revocation from a client without a secret.
    const QStringList &revocationMethods = effective.revocationEndpointAuthMethods;
    if (session.isRefreshable() && !effective.revocationEndpoint.isEmpty()
        && !effective.clientSecret && !revocationMethods.isEmpty()
        && !revocationMethods.contains(QLatin1String("none"))) {
        out << "Note: the server's revocation endpoint requires client authentication, which "
               "this client has none of: `securetokens logout` will sign out on this device "
               "only, and the refresh token stays valid at the server until it expires."
            << Qt::endl;
    }
}

} // namespace

int login(const QStringList &args)
{
    QCommandLineParser parser;
    addLoginOptions(parser);
    if (!parseArguments(parser, args,
                        QStringLiteral("Sign in: password grant (default), --browser, --device, "
                                       "or --transport cookie.")))
        return ExitUsage;
    std::optional<LoginRequest> request = requestFromOptions(parser);
    if (!request)
        return ExitUsage;
    // --dpop-key pkcs11: a PIN must be available (asked for when the key is made).
    if (usePin(parser, &request->settings.config) != ExitOk)
        return ExitUsage;

    request->settings.config.clientSecret = readClientSecret(parser);
    QString password;
    if (request->method == LoginMethod::Password || request->method == LoginMethod::Cookie) {
        password = readPassword(parser, request->username);
        if (password.isEmpty()) {
            printError(
                    QStringLiteral("no password: use --password-stdin or $SECURETOKENS_PASSWORD"));
            return ExitUsage;
        }
    }

    Session session(request->settings.config);
    const SessionConfig &config = request->settings.config;
    if (config.transport != RefreshTransportKind::Cookie && config.tokenEndpoint.isEmpty()) {
        if (const int code = discover(session); code != ExitOk)
            return code;
    }
    // The UserInfo request a sign-in makes by itself (OpenID Connect Core
    // §5.3): waited for, so its claims are stored; its failure is a note.
    ErrorInfo userInfoError;
    QObject userInfoScope;
    QObject::connect(&session, &Session::userInfoFailed, &userInfoScope,
                     [&](const ErrorInfo &error) { userInfoError = error; });
    if (const int code = signIn(session, *request, std::move(password)); code != ExitOk)
        return code;
    waitFor(&session, [&] { return !session.isFetchingUserInfo(); });
    if (userInfoError.isError()) {
        QString note = QStringLiteral("note: signed in, but userinfo failed: ")
                + describe(userInfoError);
        if (!userInfoError.message.isEmpty())
            note += QStringLiteral(" [") + userInfoError.message + QLatin1Char(']');
        printError(note + QStringLiteral("; the ID token's claims are kept"));
    }
    remember(request->settings, session, request->username);
    return ExitOk;
}

} // namespace Cli
