// SPDX-License-Identifier: MIT
// securetokens-mock-server: runs MockAuthServer from the command line.
#include "mockauthserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QRegularExpression>
#include <QSocketNotifier>

#include <cstdio>

#ifdef Q_OS_UNIX
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>
#endif

using SecureTokens::Mock::MockAuthServer;
using SecureTokens::Mock::ServerConfig;

namespace {

#ifdef Q_OS_UNIX
int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    // Only async-signal-safe work here: wake the event loop through the pipe.
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(signalPipe[0], &byte, 1);
}

void quitOnTerminationSignals(QCoreApplication &app)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(signalPipe[1], QSocketNotifier::Read, &app);
    QObject::connect(notifier, &QSocketNotifier::activated, &app, [notifier]() {
        notifier->setEnabled(false);
        QCoreApplication::quit();
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
}
#else
void quitOnTerminationSignals(QCoreApplication &) { }
#endif

bool parseSeconds(const QString &text, qint64 *out)
{
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    if (!ok || value < 0)
        return false;
    *out = value;
    return true;
}

int fail(const QString &message)
{
    std::fprintf(stderr, "securetokens-mock-server: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("securetokens-mock-server"));
    // The project version, from CMake (the mock server does not link the SDK).
    QCoreApplication::setApplicationVersion(QStringLiteral(SECURETOKENS_MOCK_SERVER_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "OAuth 2.0 authorization server and protected API for testing SecureTokens.\n"
            "Prints 'listening on http://HOST:PORT' as its first line; stops on SIGTERM/SIGINT."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption portOption(
            QStringLiteral("port"), QStringLiteral("TCP port to listen on; 0 picks a free one."),
            QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption bindOption(QStringLiteral("bind"),
                                        QStringLiteral("Address to listen on (default 127.0.0.1)."),
                                        QStringLiteral("ADDR"), QStringLiteral("127.0.0.1"));
    const QCommandLineOption accessTtlOption(
            QStringLiteral("access-ttl"),
            QStringLiteral("Access-token lifetime in seconds (default 900)."),
            QStringLiteral("SECONDS"), QStringLiteral("900"));
    const QCommandLineOption refreshTtlOption(
            QStringLiteral("refresh-ttl"),
            QStringLiteral("Refresh-token lifetime in seconds (default 2592000, 30 days)."),
            QStringLiteral("SECONDS"), QString::number(30 * 24 * 3600));
    const QCommandLineOption graceOption(
            QStringLiteral("reuse-grace"),
            QStringLiteral("Seconds during which a used refresh token may be presented again and "
                           "returns the same successor (default 0: any reuse revokes the "
                           "family)."),
            QStringLiteral("SECONDS"), QStringLiteral("0"));
    const QCommandLineOption userOption(
            QStringLiteral("user"),
            QStringLiteral("An account NAME:PASSWORD; repeatable (default alice:wonderland)."),
            QStringLiteral("NAME:PASSWORD"));
    const QCommandLineOption clientOption(
            QStringLiteral("client"),
            QStringLiteral("A public client ID, or a confidential ID:SECRET that must "
                           "authenticate (client_secret_basic or client_secret_post); repeatable "
                           "(default demo). Loopback redirect URIs on any port are accepted."),
            QStringLiteral("ID[:SECRET]"));
    const QCommandLineOption revocationAuthOption(
            QStringLiteral("revocation-auth"),
            QStringLiteral("optional (default: public clients revoke without authenticating) or "
                           "required (every revocation needs client authentication)."),
            QStringLiteral("MODE"), QStringLiteral("optional"));
    const QCommandLineOption redirectSchemeOption(
            QStringLiteral("redirect-scheme"),
            QStringLiteral("Accept redirect URIs SCHEME:/path for this private-use scheme "
                           "(RFC 8252 §7.1, e.g. com.example.app); repeatable. The demo client "
                           "always accepts com.example.* schemes."),
            QStringLiteral("SCHEME"));
    const QCommandLineOption redirectUriOption(
            QStringLiteral("redirect-uri"),
            QStringLiteral("Accept this exact https redirect URI (claimed https, RFC 8252 "
                           "§7.2); repeatable."),
            QStringLiteral("URI"));
    const QCommandLineOption requireParOption(
            QStringLiteral("require-par"),
            QStringLiteral("The authorization endpoint only accepts pushed authorization "
                           "requests (RFC 9126 §5)."));
    const QCommandLineOption parTtlOption(
            QStringLiteral("par-ttl"),
            QStringLiteral("Lifetime of a pushed request's request_uri in seconds (default 60)."),
            QStringLiteral("SECONDS"), QStringLiteral("60"));
    const QCommandLineOption apiListenOption(
            QStringLiteral("api-listen"),
            QStringLiteral("An extra resource server (/api/*) on HOST:PORT (port 0: any free one) "
                           "that accepts only access tokens whose aud contains AUDIENCE; "
                           "repeatable. Each prints 'api listening on http://HOST:PORT for "
                           "AUDIENCE' after the first line."),
            QStringLiteral("HOST:PORT=AUDIENCE"));
    const QCommandLineOption dpopNonceOption(
            QStringLiteral("dpop-nonce"),
            QStringLiteral("DPoP proofs must carry the nonce the server hands out in DPoP-Nonce "
                           "headers (RFC 9449 §8, §9): use_dpop_nonce otherwise."));
    const QCommandLineOption dpopIatWindowOption(
            QStringLiteral("dpop-iat-window"),
            QStringLiteral("DPoP proofs are accepted within this many seconds of the server's "
                           "time, either way (default 60)."),
            QStringLiteral("SECONDS"), QStringLiteral("60"));
    const QCommandLineOption clockOffsetOption(
            QStringLiteral("clock-offset"),
            QStringLiteral("Seconds (may be negative) added to the server's clock: issued tokens, "
                           "expiries, DPoP iat checks and the Date header (default 0)."),
            QStringLiteral("SECONDS"), QStringLiteral("0"));
    const QCommandLineOption ssoOption(
            QStringLiteral("sso"),
            QStringLiteral("With a browser login state, /oauth/authorize answers without the "
                           "form unless prompt=login or max_age asks for a new sign-in."));
    const QCommandLineOption adminOption(
            QStringLiteral("admin"),
            QStringLiteral("Enable /admin/stats, /admin/faults and /admin/tokens (loopback "
                           "peers only). Keeps issued tokens in memory for /admin/tokens."));
    const QCommandLineOption stateOption(
            QStringLiteral("state"),
            QStringLiteral("Keep refresh-token families and the signing key in FILE across "
                           "restarts (written atomically, mode 0600)."),
            QStringLiteral("FILE"));
    const QCommandLineOption signingOption(
            QStringLiteral("signing"),
            QStringLiteral("Access-token signature: RS256 (default, JWKS published) or HS256."),
            QStringLiteral("ALG"), QStringLiteral("RS256"));
    const QCommandLineOption failuresOption(
            QStringLiteral("max-login-failures"),
            QStringLiteral("Failed sign-ins per user or client before 429 and lockout "
                           "(default 5)."),
            QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption lockoutOption(
            QStringLiteral("lockout"),
            QStringLiteral("Lockout duration in seconds after too many failures (default 60)."),
            QStringLiteral("SECONDS"), QStringLiteral("60"));
    const QCommandLineOption idTokenAlgOption(
            QStringLiteral("id-token-alg"),
            QStringLiteral("OpenID Connect ID-token signature: RS256 (default, the access-token "
                           "key) or ES256 (a P-256 key added to the JWKS)."),
            QStringLiteral("ALG"), QStringLiteral("RS256"));
    const QCommandLineOption deviceIntervalOption(
            QStringLiteral("device-interval"),
            QStringLiteral("RFC 8628 polling interval for device codes, in seconds (default 5)."),
            QStringLiteral("SECONDS"), QStringLiteral("5"));
    parser.addOptions(
            {portOption,        bindOption,           accessTtlOption,      refreshTtlOption,
             graceOption,       userOption,           clientOption,         adminOption,
             stateOption,       signingOption,        failuresOption,       lockoutOption,
             idTokenAlgOption,  deviceIntervalOption, revocationAuthOption, redirectSchemeOption,
             redirectUriOption, requireParOption,     parTtlOption,         ssoOption,
             apiListenOption,   dpopNonceOption,      dpopIatWindowOption,  clockOffsetOption});
    parser.process(app);

    ServerConfig config;
    bool ok = false;
    const uint port = parser.value(portOption).toUInt(&ok);
    if (!ok || port > 65535)
        return fail(QStringLiteral("--port needs a number from 0 to 65535"));
    config.port = quint16(port);
    if (!config.bind.setAddress(parser.value(bindOption)))
        return fail(QStringLiteral("--bind needs an IP address"));
    if (!parseSeconds(parser.value(accessTtlOption), &config.accessTtl) || config.accessTtl == 0)
        return fail(QStringLiteral("--access-ttl needs a positive number of seconds"));
    if (!parseSeconds(parser.value(refreshTtlOption), &config.refreshTtl) || config.refreshTtl == 0)
        return fail(QStringLiteral("--refresh-ttl needs a positive number of seconds"));
    if (!parseSeconds(parser.value(graceOption), &config.reuseGrace))
        return fail(QStringLiteral("--reuse-grace needs a number of seconds"));
    if (!parseSeconds(parser.value(lockoutOption), &config.lockoutSeconds))
        return fail(QStringLiteral("--lockout needs a number of seconds"));
    config.maxLoginFailures = parser.value(failuresOption).toInt(&ok);
    if (!ok || config.maxLoginFailures < 1)
        return fail(QStringLiteral("--max-login-failures needs a positive number"));
    if (parser.isSet(userOption)) {
        config.users.clear();
        for (const QString &entry : parser.values(userOption)) {
            const int colon = entry.indexOf(QLatin1Char(':'));
            if (colon <= 0)
                return fail(QStringLiteral("--user needs NAME:PASSWORD"));
            config.users.append({entry.left(colon), entry.mid(colon + 1)});
        }
    }
    if (parser.isSet(clientOption)) {
        config.clients.clear();
        for (const QString &entry : parser.values(clientOption)) {
            const int colon = entry.indexOf(QLatin1Char(':'));
            if (colon == 0 || entry.isEmpty())
                return fail(QStringLiteral("--client needs ID or ID:SECRET"));
            if (colon < 0)
                config.clients.append(entry);
            else
                config.clientSecrets.insert(entry.left(colon), entry.mid(colon + 1));
        }
    }
    const QString revocationAuth = parser.value(revocationAuthOption);
    if (revocationAuth == QLatin1String("optional"))
        config.revocationAuth = ServerConfig::RevocationAuth::Optional;
    else if (revocationAuth == QLatin1String("required"))
        config.revocationAuth = ServerConfig::RevocationAuth::Required;
    else
        return fail(QStringLiteral("--revocation-auth must be optional or required"));
    // RFC 8252 §7.1: a reverse-domain scheme (RFC 3986 §3.1 syntax, with a period).
    static const QRegularExpression schemeSyntax(QStringLiteral("^[A-Za-z][A-Za-z0-9+.-]*$"));
    for (const QString &scheme : parser.values(redirectSchemeOption)) {
        if (!schemeSyntax.match(scheme).hasMatch() || !scheme.contains(QLatin1Char('.')))
            return fail(QStringLiteral("--redirect-scheme needs a reverse-domain scheme such as "
                                       "com.example.app"));
        config.redirectSchemes.append(scheme.toLower());
    }
    for (const QString &uri : parser.values(redirectUriOption)) {
        const QUrl url(uri, QUrl::StrictMode);
        if (!url.isValid() || url.scheme() != QLatin1String("https") || url.host().isEmpty()
            || url.hasFragment())
            return fail(QStringLiteral("--redirect-uri needs an https URI without a fragment"));
        config.redirectUris.append(uri);
    }
    config.requirePar = parser.isSet(requireParOption);
    if (!parseSeconds(parser.value(parTtlOption), &config.parTtl) || config.parTtl == 0)
        return fail(QStringLiteral("--par-ttl needs a positive number of seconds"));
    config.sso = parser.isSet(ssoOption);
    config.dpopNonce = parser.isSet(dpopNonceOption);
    if (!parseSeconds(parser.value(dpopIatWindowOption), &config.dpopIatWindow))
        return fail(QStringLiteral("--dpop-iat-window needs a number of seconds"));
    config.clockOffset = parser.value(clockOffsetOption).toLongLong(&ok);
    if (!ok)
        return fail(QStringLiteral("--clock-offset needs a whole number of seconds"));
    for (const QString &entry : parser.values(apiListenOption)) {
        // HOST:PORT=AUDIENCE; the audience (a URI) may hold '=' and ':', the host is [v6] or v4.
        const int eq = entry.indexOf(QLatin1Char('='));
        const QString hostPort = entry.left(eq);
        const int colon = hostPort.lastIndexOf(QLatin1Char(':'));
        ServerConfig::ApiListener listener;
        QString host = hostPort.left(colon);
        if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
            host = host.mid(1, host.size() - 2);
        const uint apiPort = hostPort.mid(colon + 1).toUInt(&ok);
        listener.audience = entry.mid(eq + 1);
        if (eq <= 0 || colon <= 0 || !ok || apiPort > 65535 || !listener.bind.setAddress(host)
            || listener.audience.isEmpty())
            return fail(QStringLiteral("--api-listen needs HOST:PORT=AUDIENCE"));
        listener.port = quint16(apiPort);
        config.apiListeners.append(listener);
    }
    config.admin = parser.isSet(adminOption);
    config.stateFile = parser.value(stateOption);
    const QString signing = parser.value(signingOption).toUpper();
    if (signing == QLatin1String("RS256"))
        config.signing = ServerConfig::Signing::RS256;
    else if (signing == QLatin1String("HS256"))
        config.signing = ServerConfig::Signing::HS256;
    else
        return fail(QStringLiteral("--signing must be RS256 or HS256"));
    const QString idTokenAlg = parser.value(idTokenAlgOption).toUpper();
    if (idTokenAlg == QLatin1String("RS256"))
        config.idTokenAlg = ServerConfig::IdTokenAlg::RS256;
    else if (idTokenAlg == QLatin1String("ES256"))
        config.idTokenAlg = ServerConfig::IdTokenAlg::ES256;
    else
        return fail(QStringLiteral("--id-token-alg must be RS256 or ES256"));
    if (!parseSeconds(parser.value(deviceIntervalOption), &config.deviceInterval)
        || config.deviceInterval == 0)
        return fail(QStringLiteral("--device-interval needs a positive number of seconds"));

    MockAuthServer server(config);
    if (!server.listen())
        return fail(server.errorString());
    std::printf("listening on %s\n", server.baseUrl().toEncoded().constData());
    const QList<QUrl> apis = server.apiBaseUrls();
    for (int i = 0; i < apis.size(); ++i)
        std::printf("api listening on %s for %s\n", apis[i].toEncoded().constData(),
                    qPrintable(config.apiListeners[i].audience));
    std::fflush(stdout);

    quitOnTerminationSignals(app);
    return app.exec();
}
