// SPDX-License-Identifier: MIT
// Today's `securetokens` CLI against a third-party provider: node's
// oidc-provider (tests/interop/provider.mjs), in real processes, over
// loopback, with the real Secret Service and a scripted browser ($BROWSER).
//
// One test (or data row) per profile of tests/interop/profiles.json: each
// provider setup of docs/providers.md is signed in to, restored in a new
// process, refreshed and signed out of, with what the provider logged checked.

#include "cliprocess.h"
#include "interopprocess.h"
#include "session/dpopkey_p.h"
#include "session/dpopproof_p.h"

#include <QFile>
#include <QDateTime>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using Interop::InteropProvider;
using Interop::InteropResourceServer;

namespace {

constexpr int kWait = 60000;
using Run = CliProcess::Run;
const QString kScope = QStringLiteral("openid offline_access profile email");
const QString kApiA = QStringLiteral("https://api-a.interop.test/");
const QString kApiB = QStringLiteral("https://api-b.interop.test/");

QString readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

} // namespace

class tst_InteropCli : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_home;
    std::unique_ptr<InteropProvider> m_provider;
    std::vector<std::unique_ptr<InteropResourceServer>> m_apis;
    QString m_service;
    QByteArray m_output; // everything the CLI printed in this test, for the leak check

    QString browserLog() const { return m_home->filePath(QStringLiteral("browser.log")); }
    CliProcess cli() const
    {
        return CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home->path(), m_service);
    }
    QProcessEnvironment browserEnv(const QString &action = QStringLiteral("allow")) const
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("BROWSER"), Interop::browserCommand());
        env.insert(QStringLiteral("INTEROP_BROWSER_LOG"), browserLog());
        env.insert(QStringLiteral("INTEROP_BROWSER_ACTION"), action);
        env.insert(QStringLiteral("SECURETOKENS_TIMEOUT"), QStringLiteral("10"));
        return env;
    }
    Run run(const QStringList &args, const QProcessEnvironment &extra = {})
    {
        QProcessEnvironment env = extra;
        env.insert(QStringLiteral("SECURETOKENS_TIMEOUT"), QStringLiteral("10"));
        Run r = cli().run(args, {}, env, kWait);
        m_output += r.out + r.err;
        return r;
    }
    bool startProvider(const QString &profile, const QStringList &extra = {})
    {
        m_provider = std::make_unique<InteropProvider>();
        return m_provider->start(profile, extra);
    }
    InteropResourceServer *startApi(const QString &audience, const QString &name, bool dpop = false)
    {
        auto api = std::make_unique<InteropResourceServer>();
        if (!api->start(m_provider->issuer(), audience, name, dpop)) {
            qWarning("%s", api->failureText().constData());
            return nullptr;
        }
        m_apis.push_back(std::move(api));
        return m_apis.back().get();
    }
    QStringList loginArgs(const QString &client, const QString &scope = kScope) const
    {
        return {QStringLiteral("login"),       QStringLiteral("--browser"),
                QStringLiteral("--issuer"),    m_provider->issuer(),
                QStringLiteral("--client-id"), client,
                QStringLiteral("--scope"),     scope};
    }
    //! `login --browser`; a sign-in the provider refused in the browser never
    //! reaches the CLI's listener, so the CLI is stopped once the browser is done.
    Run browserLogin(const QStringList &args, const QString &action = QStringLiteral("allow"),
                     const QByteArray &input = {}, const QProcessEnvironment &extra = {})
    {
        QProcessEnvironment env = browserEnv(action);
        for (const QString &key : extra.keys())
            env.insert(key, extra.value(key));
        std::unique_ptr<QProcess> process = cli().start(args, input, env);
        QSignalSpy finished(process.get(), &QProcess::finished);
        const auto browserDone = [&] {
            return QFileInfo(browserLog()).size() > 0;
        };
        QDeadlineTimer deadline(kWait);
        while (process->state() != QProcess::NotRunning && !browserDone() && !deadline.hasExpired())
            finished.wait(200);
        Run r = CliProcess::finish(process.get(), 2000);
        m_output += r.out + r.err;
        return r;
    }
    QJsonObject json(const QByteArray &out) const
    {
        return QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
    }
    //! The provider's own log lines for an event.
    QList<QJsonObject> providerLog(const QString &event)
    {
        QList<QJsonObject> out;
        for (const QJsonObject &line : m_provider->lines()) {
            if (line.value(QLatin1String("event")).toString() == event)
                out.append(line);
        }
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through scripts/with-keyring (ctest does)");
        QVERIFY2(Interop::installed(),
                 qPrintable(QStringLiteral("node packages missing in %1: ctest runs the "
                                           "interop_npm_ci fixture first")
                                    .arg(Interop::dir())));
    }
    void init()
    {
        m_home = std::make_unique<QTemporaryDir>();
        QVERIFY(m_home->isValid());
        // One keyring entry per test and data row: nothing carries over.
        m_service = QStringLiteral("org.securetokens.test.interop.%1.%2")
                            .arg(QLatin1String(QTest::currentTestFunction()),
                                 QString::fromUtf8(QTest::currentDataTag())
                                         .replace(QRegularExpression(QStringLiteral("\\W")),
                                                  QStringLiteral("_")));
        m_output.clear();
    }
    void cleanup()
    {
        if (m_provider) {
            // Nothing the CLI printed is a token or code the provider issued.
            const QStringList leaks = m_provider->leaks(m_output);
            QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(QLatin1String(", "))));
            QVERIFY2(m_provider->stop(), m_provider->standardError().constData());
        }
        for (auto &api : m_apis)
            QVERIFY(api->stop());
        m_apis.clear();
        m_provider.reset();
    }

    void browserLoginCallRefreshLogout();
    void browserDenied();
    void deviceLogin();
    void defaultAudienceApis();
    void logoutWithoutRevocationEndpoint();
    void userinfoAndLogoutEverywhere();
    void loginWithoutRefreshToken();
    void offlineAccessAsksForConsent();
    void redirectOptions_data();
    void redirectOptions();
    void redirectPortInUse();
    void resourceIndicator();
    void pushedAuthorizationRequired();
    void reservedParameterRefused();
    void browserLoginEndpointsByHand();
    void clientSecret_data();
    void clientSecret();
    void dpopBound_data();
    void dpopBound();
};

void tst_InteropCli::browserLoginCallRefreshLogout()
{
    QVERIFY2(startProvider(QStringLiteral("public-native")), m_provider->failureText());
    const QString issuer = m_provider->issuer();

    Run r = browserLogin(loginArgs(QStringLiteral("native-public")));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("Signed in as"), r.out.constData());
    // RFC 9126: discovery offers PAR, so the request was pushed (PKCE S256,
    // the loopback redirect on an ephemeral port and the rest with it); the
    // browser's URL holds only client_id and the request_uri.
    QVERIFY2(r.err.contains("request_uri=urn"), r.err.constData());
    QVERIFY(!r.err.contains("code_challenge"));
    QVERIFY(!r.err.contains("state="));
    QCOMPARE(m_provider->events(QStringLiteral("pushed_authorization_request.success")), 1);
    const QString page = readFile(browserLog());
    QVERIFY2(page.contains(QLatin1String("answered HTTP 200")), qPrintable(page));
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 1);
    // oidc-provider puts email in the ID token only when an access token for
    // userinfo is not issued (OIDC Core §5.4): the email comes from the
    // userinfo request login makes after the sign-in (Core §5.3).
    QVERIFY2(r.out.contains("Signed in as alice@interop.test"), r.out.constData());

    r = run({QStringLiteral("status"), QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(json(r.out).value(QLatin1String("signed_in")).toBool(), true);
    QCOMPARE(json(r.out).value(QLatin1String("issuer")).toString(), issuer);
    // The identity kept in the secure record, read without a round trip.
    const QJsonObject claims = json(r.out).value(QLatin1String("claims")).toObject();
    QCOMPARE(claims.value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(claims.value(QLatin1String("name")).toString(), QStringLiteral("Alice Interop"));
    QCOMPARE(claims.value(QLatin1String("iss")).toString(), issuer);
    QVERIFY(json(r.out).value(QLatin1String("scope")).toString().contains(QLatin1String("openid")));

    // A new process: restored from the keyring with one refresh (rotated).
    r = run({QStringLiteral("call"), issuer + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(json(r.out).value(QLatin1String("email")).toString(),
             QStringLiteral("alice@interop.test"));
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:refresh_token")), 1);
    QCOMPARE(m_provider->events(QStringLiteral("refresh_token.consumed")), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 1);

    // The provider drops the access token between two calls of one process:
    // userinfo answers 401 invalid_token, the SDK refreshes once and retries.
    r = run({QStringLiteral("call"), issuer + QStringLiteral("/_interop/drop-access-tokens"),
             issuer + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(m_provider->events(QStringLiteral("userinfo.error:invalid_token")), 1);
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:refresh_token")), 3);
    QCOMPARE(m_provider->events(QStringLiteral("refresh_token.consumed")), 3);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 1);

    // Logout revokes at the provider (RFC 7009): the grant and its tokens are gone.
    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->events(QStringLiteral("grant.revoked")), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
    QCOMPARE(m_provider->live(QStringLiteral("AccessToken")), 0);
    QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
    QCOMPARE(run({QStringLiteral("call"), issuer + QStringLiteral("/me")}).exitCode, 77);
}

void tst_InteropCli::browserDenied()
{
    QVERIFY2(startProvider(QStringLiteral("public-native")), m_provider->failureText());
    const Run r = browserLogin(loginArgs(QStringLiteral("native-public")), QStringLiteral("deny"));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("access_denied"), r.err.constData());
    QCOMPARE(m_provider->events(QStringLiteral("interop.interaction_denied")), 1);
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 0);
    QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
}

void tst_InteropCli::deviceLogin()
{
    QVERIFY2(startProvider(QStringLiteral("public-native")), m_provider->failureText());
    QProcessEnvironment env;
    env.insert(QStringLiteral("SECURETOKENS_TIMEOUT"), QStringLiteral("10"));
    std::unique_ptr<QProcess> process = cli().start(
            {QStringLiteral("login"), QStringLiteral("--device"), QStringLiteral("--issuer"),
             m_provider->issuer(), QStringLiteral("--client-id"), QStringLiteral("device"),
             QStringLiteral("--scope"), QStringLiteral("openid offline_access email")},
            {}, env);
    QByteArray out;
    static const QRegularExpression instruction(
            QStringLiteral("open (\\S+) and enter the code ([A-Z]{4}-[A-Z]{4})"));
    QRegularExpressionMatch match;
    QTRY_VERIFY_WITH_TIMEOUT((out += process->readAllStandardOutput(),
                              match = instruction.match(QString::fromUtf8(out)), match.hasMatch()),
                             kWait);
    QCOMPARE(match.captured(1), m_provider->issuer() + QStringLiteral("/device"));

    // The person enters the code in a browser on another device.
    QProcess browser;
    browser.setProcessEnvironment([&] {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("INTEROP_BROWSER_LOG"), browserLog());
        return e;
    }());
    browser.start(Interop::node(),
                  {Interop::script(QStringLiteral("browser.mjs")), QStringLiteral("--device"),
                   match.captured(1), QStringLiteral("--code"), match.captured(2)});
    QSignalSpy browserFinished(&browser, &QProcess::finished);
    QVERIFY(browserFinished.wait(kWait));
    QVERIFY2(browser.exitCode() == 0, qPrintable(readFile(browserLog())));
    QVERIFY(readFile(browserLog()).contains(QLatin1String("provider final page: device")));

    QSignalSpy finished(process.get(), &QProcess::finished);
    QVERIFY(process->state() == QProcess::NotRunning || finished.wait(kWait));
    out += process->readAllStandardOutput();
    m_output += out + process->readAllStandardError();
    QVERIFY2(process->exitCode() == 0, m_output.constData());
    QVERIFY2(out.contains("Signed in as"), out.constData());
    QCOMPARE(m_provider->events(
                     QStringLiteral("grant.success:urn:ietf:params:oauth:grant-type:device_code")),
             1);

    const Run r = run({QStringLiteral("call"), m_provider->issuer() + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("email")).toString(),
             QStringLiteral("alice@interop.test"));
}

void tst_InteropCli::defaultAudienceApis()
{
    // Auth0's "Default Audience": without a resource parameter the access
    // tokens are JWTs for api-a (RFC 9068, aud = the resource indicator).
    QVERIFY2(startProvider(QStringLiteral("default-audience")), m_provider->failureText());
    InteropResourceServer *apiA = startApi(kApiA, QStringLiteral("api-a"));
    InteropResourceServer *apiB = startApi(kApiB, QStringLiteral("api-b"));
    QVERIFY(apiA && apiB);

    Run r = browserLogin(
            loginArgs(QStringLiteral("native-public"), kScope + QStringLiteral(" api:read"))
            + QStringList {QStringLiteral("--api-origin"), apiA->origin(),
                           QStringLiteral("--api-origin"), apiB->origin(),
                           // These APIs take bearer tokens only (resource-server.mjs
                           // without --dpop), and the provider offers DPoP.
                           QStringLiteral("--dpop"), QStringLiteral("off")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    // No userinfo token here, so the ID token carries the email claim.
    QVERIFY2(r.out.contains("Signed in as alice@interop.test"), r.out.constData());

    r = run({QStringLiteral("call"), apiA->origin() + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("aud")).toString(), kApiA);
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(json(r.out).value(QLatin1String("scope")).toString(), QStringLiteral("api:read"));
    QCOMPARE(apiA->stats().value(QLatin1String("accepted")).toInt(), 1);

    // api-b refuses api-a's token (aud), also after the SDK's refresh and retry.
    r = run({QStringLiteral("call"), apiB->origin() + QStringLiteral("/me")});
    QCOMPARE(r.exitCode, 22);
    QCOMPARE(apiB->stats()
                     .value(QLatin1String("rejected"))
                     .toObject()
                     .value(QLatin1String("invalid_token"))
                     .toInt(),
             2);
    QCOMPARE(apiB->stats().value(QLatin1String("accepted")).toInt(), 0);
}

void tst_InteropCli::userinfoAndLogoutEverywhere()
{
    // `securetokens userinfo` and `logout --everywhere` (OpenID Connect
    // RP-Initiated Logout 1.0) against the end-session profile. oidc-provider
    // compares post_logout_redirect_uri with the registered ones exactly
    // (http://127.0.0.1:53684/logged-out), so logout is given that port and
    // path (53684, not tst_interop_session's 53683: ctest runs the two in
    // parallel and both listen on theirs); the sign-in used the ordinary ephemeral-port redirect.
    // The browser keeps its cookies between the two, so there is a provider session to end.
    QVERIFY2(startProvider(QStringLiteral("end-session")), m_provider->failureText());
    QProcessEnvironment jar;
    jar.insert(QStringLiteral("INTEROP_BROWSER_JAR"), m_home->filePath(QStringLiteral("jar.json")));

    Run r = browserLogin(loginArgs(QStringLiteral("native-endsession")), QStringLiteral("allow"),
                         {}, jar);
    QVERIFY2(r.exitCode == 0, r.err.constData());

    // A new process: restored from the keyring, userinfo printed as JSON (Core
    // §5.3.2), its sub the ID token's.
    r = run({QStringLiteral("userinfo")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(json(r.out).value(QLatin1String("email")).toString(),
             QStringLiteral("alice@interop.test"));

    QVERIFY(QFile::remove(browserLog())); // the logout's browser run writes it anew
    r = browserLogin({QStringLiteral("logout"), QStringLiteral("--everywhere"),
                      QStringLiteral("--redirect-port"), QStringLiteral("53684"),
                      QStringLiteral("--redirect-path"), QStringLiteral("/logged-out")},
                     QStringLiteral("allow"), {}, jar);
    QVERIFY2(r.exitCode == 0, (r.out + r.err).constData());
    QVERIFY2(r.out.contains("signed out, also at the provider"), r.out.constData());
    // What the terminal showed of the end-session URL has no id_token_hint.
    QVERIFY(!r.err.contains("id_token_hint"));
    QVERIFY(!r.out.contains("id_token_hint"));
    // Revoked (RFC 7009), then the provider's session ended.
    QCOMPARE(m_provider->events(QStringLiteral("grant.revoked")), 1);
    QCOMPARE(m_provider->events(QStringLiteral("end_session.success")), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
    QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
}

void tst_InteropCli::logoutWithoutRevocationEndpoint()
{
    // Entra ID publishes no revocation endpoint: sign-out can only be local.
    QVERIFY2(startProvider(QStringLiteral("no-revocation")), m_provider->failureText());
    const QJsonObject metadata = Interop::exchange(
            m_provider->endpoint(QStringLiteral("/.well-known/openid-configuration")));
    QVERIFY(metadata.contains(QLatin1String("token_endpoint")));
    QVERIFY(!metadata.contains(QLatin1String("revocation_endpoint")));

    Run r = browserLogin(loginArgs(QStringLiteral("native-public")));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    r = run({QStringLiteral("logout")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("the server was not told"), r.out.constData());
    QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
    // The refresh token stays valid at the provider until it expires.
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 1);
    QCOMPARE(m_provider->events(QStringLiteral("grant.revoked")), 0);
}

void tst_InteropCli::loginWithoutRefreshToken()
{
    // Signed in at one provider (a refresh token in the keyring) ...
    QVERIFY2(startProvider(QStringLiteral("public-native")), m_provider->failureText());
    Run r = browserLogin(loginArgs(QStringLiteral("native-public")));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(m_provider->leaks(m_output).isEmpty(), m_output.constData());
    QVERIFY(m_provider->stop());

    // ... then at one that issues no refresh token: no offline_access asked for.
    m_output.clear();
    QFile::remove(browserLog());
    QVERIFY2(startProvider(QStringLiteral("public-native")), m_provider->failureText());
    r = browserLogin(
            loginArgs(QStringLiteral("native-public"), QStringLiteral("openid profile email")));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 1);
    QCOMPARE(m_provider->events(QStringLiteral("refresh_token.saved")), 0);
    QVERIFY2(!r.out.contains("refresh token in"), r.out.constData());
    QVERIFY2(r.out.contains("no refresh token"), r.out.constData());

    // The next process restores from the keyring: it must not find the first
    // provider's refresh token and send it to the second one.
    r = run({QStringLiteral("call"), m_provider->issuer() + QStringLiteral("/me")});
    QCOMPARE(r.exitCode, 77);
    QCOMPARE(m_provider->events(QStringLiteral("grant.error:invalid_grant")), 0);
}

void tst_InteropCli::offlineAccessAsksForConsent()
{
    // oidc-provider's own rule (OIDC Core §11): offline_access is granted
    // only with prompt=consent. The SDK sends it whenever it asks for
    // offline_access and the application chose no prompt.
    QVERIFY2(startProvider(QStringLiteral("oidc-strict")), m_provider->failureText());
    // --no-par: the request in the browser's URL, to be read here.
    Run r = browserLogin(loginArgs(QStringLiteral("native-public")) << QStringLiteral("--no-par"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("prompt=consent"), r.err.constData());
    QCOMPARE(m_provider->events(QStringLiteral("refresh_token.saved")), 1);
    QVERIFY2(r.out.contains("(refresh token in secret-service)"), r.out.constData());

    // A new process refreshes with it.
    r = run({QStringLiteral("call"), m_provider->issuer() + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:refresh_token")), 1);
    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
}

void tst_InteropCli::redirectOptions_data()
{
    QTest::addColumn<QString>("profile");
    QTest::addColumn<QString>("client");
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QByteArray>("redirect"); // the start of redirect_uri, percent-encoded
    QTest::addColumn<bool>("revocation");
    // Entra ID registers only http://localhost (any port) and has no
    // revocation endpoint; 127.0.0.1 is refused (README: redirect matching).
    QTest::addRow("localhost, entra-localhost")
            << QStringLiteral("entra-localhost") << QStringLiteral("native-localhost")
            << QStringList {QStringLiteral("--redirect-host"), QStringLiteral("localhost")}
            << QByteArray("redirect_uri=http%3A%2F%2Flocalhost%3A") << false;
    // Keycloak compares the redirect URI as a string: port and path fixed.
    QTest::addRow("fixed port, keycloak-fixed-port")
            << QStringLiteral("keycloak-fixed-port") << QStringLiteral("web-fixed-port")
            << QStringList {QStringLiteral("--redirect-port"), QStringLiteral("53682"),
                            QStringLiteral("--redirect-path"), QStringLiteral("/callback")}
            << QByteArray("redirect_uri=http%3A%2F%2F127.0.0.1%3A53682%2Fcallback&") << true;
}

void tst_InteropCli::redirectOptions()
{
    QFETCH(QString, profile);
    QFETCH(QString, client);
    QFETCH(QStringList, options);
    QFETCH(QByteArray, redirect);
    QFETCH(bool, revocation);
    QVERIFY2(startProvider(profile), m_provider->failureText());
    const QString issuer = m_provider->issuer();

    Run r = browserLogin(loginArgs(client) + options << QStringLiteral("--no-par"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains(redirect), r.err.constData());
    QVERIFY2(readFile(browserLog()).contains(QLatin1String("answered HTTP 200")),
             qPrintable(readFile(browserLog())));
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 1);
    // The email comes from the userinfo request login makes (OIDC Core §5.3).
    QVERIFY2(r.out.contains("Signed in as alice@interop.test (refresh token in"),
             r.out.constData());

    // A new process: restored, refreshed (the code exchange's redirect_uri
    // matched too, RFC 6749 §4.1.3), userinfo called.
    r = run({QStringLiteral("call"), issuer + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:refresh_token")), 1);

    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(run({QStringLiteral("status")}).exitCode, 77);
    if (revocation) {
        QCOMPARE(m_provider->events(QStringLiteral("grant.revoked")), 1);
        QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
    } else {
        QVERIFY2(r.out.contains("the server was not told"), r.out.constData());
        QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 1);
    }
}

void tst_InteropCli::redirectPortInUse()
{
    // The fixed port is held by another program: the next on the list is
    // used; when all are held, login fails naming them (exit 75, as any
    // NetworkError) and no browser is opened.
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const QString free = QString::number(probe.serverPort());
    probe.close();
    const QString held = QString::number(taken.serverPort());
    QVERIFY2(startProvider(QStringLiteral("public-native")), m_provider->failureText());

    Run r = browserLogin(loginArgs(QStringLiteral("native-public"))
                         + QStringList {QStringLiteral("--redirect-port"), held + u',' + free,
                                        QStringLiteral("--no-par")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A" + free.toLatin1() + "%2F"),
             r.err.constData());

    QFile::remove(browserLog());
    r = run(loginArgs(QStringLiteral("native-public"))
                    + QStringList {QStringLiteral("--redirect-port"), held},
            browserEnv());
    QCOMPARE(r.exitCode, 75);
    QVERIFY2(r.err.contains("None of the redirect ports " + held.toLatin1() + " is free"),
             r.err.constData());
    QVERIFY(!QFileInfo::exists(browserLog()));
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 1);

    r = run({QStringLiteral("login"), QStringLiteral("--browser"), QStringLiteral("--issuer"),
             m_provider->issuer(), QStringLiteral("--client-id"), QStringLiteral("x"),
             QStringLiteral("--redirect-port"), QStringLiteral("0")});
    QCOMPARE(r.exitCode, 2);
}

void tst_InteropCli::resourceIndicator()
{
    // Auth0-style audience with RFC 8707: JWT access tokens for api-a only
    // when the request names the resource; without it an opaque userinfo token.
    QVERIFY2(startProvider(QStringLiteral("audience")), m_provider->failureText());
    InteropResourceServer *apiA = startApi(kApiA, QStringLiteral("api-a"));
    InteropResourceServer *apiB = startApi(kApiB, QStringLiteral("api-b"));
    QVERIFY(apiA && apiB);
    Run r = browserLogin(
            loginArgs(QStringLiteral("native-audience"), kScope + QStringLiteral(" api:read"))
            + QStringList {QStringLiteral("--no-par"), QStringLiteral("--resource"), kApiA,
                           QStringLiteral("--api-origin"), apiA->origin(),
                           QStringLiteral("--api-origin"), apiB->origin(),
                           // Bearer-only APIs (see defaultAudienceApis).
                           QStringLiteral("--dpop"), QStringLiteral("off")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("resource=" + QUrl::toPercentEncoding(kApiA)), r.err.constData());

    // A new process: restored with one refresh, which keeps the grant's resource.
    r = run({QStringLiteral("call"), apiA->origin() + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("aud")).toString(), kApiA);
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(apiA->stats().value(QLatin1String("accepted")).toInt(), 1);
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:refresh_token")), 1);

    // The token is api-a's: api-b refuses it.
    r = run({QStringLiteral("call"), apiB->origin() + QStringLiteral("/me")});
    QCOMPARE(r.exitCode, 22);
    QCOMPARE(apiB->stats().value(QLatin1String("accepted")).toInt(), 0);

    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
}

void tst_InteropCli::pushedAuthorizationRequired()
{
    // require_pushed_authorization_requests (RFC 9126 §5, provider-wide and
    // for the client): the request is pushed even with --no-par.
    QVERIFY2(startProvider(QStringLiteral("par-required")), m_provider->failureText());
    const QJsonObject metadata = Interop::exchange(
            m_provider->endpoint(QStringLiteral("/.well-known/openid-configuration")));
    QVERIFY(metadata.value(QLatin1String("require_pushed_authorization_requests")).toBool());
    Run r = browserLogin(loginArgs(QStringLiteral("native-par")) << QStringLiteral("--no-par"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("request_uri=urn"), r.err.constData());
    QVERIFY(!r.err.contains("code_challenge"));
    QCOMPARE(m_provider->events(QStringLiteral("pushed_authorization_request.success")), 1);
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 1);

    r = run({QStringLiteral("call"), m_provider->issuer() + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
}

void tst_InteropCli::reservedParameterRefused()
{
    // Parameters the SDK owns cannot be overridden: InvalidConfiguration
    // (exit 2) naming the parameter, before any browser is opened.
    QVERIFY2(startProvider(QStringLiteral("public-native")), m_provider->failureText());
    for (const char *param : {"state=chosen", "redirect_uri=http://127.0.0.1:1/x",
                              "code_challenge_method=plain", "request_uri=urn:x"}) {
        QFile::remove(browserLog());
        const Run r
                = run(loginArgs(QStringLiteral("native-public"))
                              + QStringList {QStringLiteral("--param"), QString::fromLatin1(param)},
                      browserEnv());
        QCOMPARE(r.exitCode, 2);
        const QByteArray name = QByteArray(param).left(QByteArray(param).indexOf('='));
        QVERIFY2(r.err.contains("\"" + name + "\" is set by the SDK"), r.err.constData());
        QVERIFY(!QFileInfo::exists(browserLog()));
    }
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 0);
}

void tst_InteropCli::browserLoginEndpointsByHand()
{
    // No --issuer, no discovery: every endpoint given on the command line.
    // The provider's RFC 9207 iss then is the issuer the ID token must name.
    QVERIFY2(startProvider(QStringLiteral("public-native")), m_provider->failureText());
    const QString issuer = m_provider->issuer();
    Run r = browserLogin({QStringLiteral("login"), QStringLiteral("--browser"),
                          QStringLiteral("--authorization-endpoint"),
                          issuer + QStringLiteral("/auth"), QStringLiteral("--token-endpoint"),
                          issuer + QStringLiteral("/token"), QStringLiteral("--jwks-uri"),
                          issuer + QStringLiteral("/jwks"), QStringLiteral("--revocation-endpoint"),
                          issuer + QStringLiteral("/token/revocation"),
                          QStringLiteral("--client-id"), QStringLiteral("native-public"),
                          QStringLiteral("--scope"), kScope});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("Signed in as interop-alice"), r.out.constData());
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 1);

    r = run({QStringLiteral("call"), issuer + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));

    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->events(QStringLiteral("grant.revoked")), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
}

void tst_InteropCli::clientSecret_data()
{
    // Google desktop style: a client secret that is not secret, with PKCE.
    QTest::addColumn<QString>("client");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QStringList>("extraArgs");
    QTest::addColumn<bool>("fromStdin");
    // oidc-provider registers one method per client; its metadata lists
    // client_secret_basic first, so the post client says which it uses.
    QTest::addRow("client_secret_post, stdin")
            << QStringLiteral("desktop-secret-post") << QByteArray("desktop-secret-post-not-secret")
            << QStringList {QStringLiteral("--client-auth-method"),
                            QStringLiteral("client_secret_post"),
                            QStringLiteral("--client-secret-stdin")}
            << true;
    QTest::addRow("client_secret_basic from discovery, environment")
            << QStringLiteral("desktop-secret-basic")
            << QByteArray("desktop-secret-basic-not-secret") << QStringList() << false;
}

void tst_InteropCli::clientSecret()
{
    QFETCH(QString, client);
    QFETCH(QByteArray, secret);
    QFETCH(QStringList, extraArgs);
    QFETCH(bool, fromStdin);
    QVERIFY2(startProvider(QStringLiteral("google-desktop")), m_provider->failureText());

    // Without the secret the provider refuses the code exchange ...
    Run r = browserLogin(loginArgs(client) << QStringLiteral("--no-par"));
    QVERIFY(r.exitCode != 0);
    QCOMPARE(m_provider->events(QStringLiteral("grant.error:invalid_client")), 1);
    QFile::remove(browserLog());
    // ... and, by default, already the pushed request (RFC 9126 §2.1): no
    // browser (its own log: the first browser may still be writing the other).
    QProcessEnvironment noBrowser = browserEnv();
    const QString parLog = m_home->filePath(QStringLiteral("browser-par.log"));
    noBrowser.insert(QStringLiteral("INTEROP_BROWSER_LOG"), parLog);
    r = run(loginArgs(client), noBrowser);
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(
            m_provider->events(QStringLiteral("pushed_authorization_request.error:invalid_client")),
            1);
    QVERIFY2(r.err.contains("pushed authorization request endpoint refused"), r.err.constData());
    QVERIFY(!QFileInfo::exists(parLog));

    QProcessEnvironment env;
    if (!fromStdin)
        env.insert(QStringLiteral("SECURETOKENS_CLIENT_SECRET"), QString::fromUtf8(secret));
    // Every logging category on: the secret must not be in any of it.
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.debug=true"));
    r = browserLogin(loginArgs(client) + extraArgs, QStringLiteral("allow"),
                     fromStdin ? secret + '\n' : QByteArray(), env);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    // Pushed with the client's authentication, then exchanged with it.
    QCOMPARE(m_provider->events(QStringLiteral("pushed_authorization_request.success")), 1);
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 1);

    // A new process: restored and refreshed with the secret from the secure
    // record; nothing on its command line or in its environment carries it.
    QProcessEnvironment debug;
    debug.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.debug=true"));
    r = run({QStringLiteral("call"), m_provider->issuer() + QStringLiteral("/me")}, debug);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:refresh_token")), 1);

    // Revocation authenticates the same way (RFC 7009 §2.1).
    r = run({QStringLiteral("logout")}, debug);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->events(QStringLiteral("grant.revoked")), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);

    // The secret is in no output, no log, no file the CLI or the browser wrote.
    QVERIFY(!m_output.contains(secret));
    QVERIFY(!readFile(browserLog()).contains(QString::fromUtf8(secret)));
    QDirIterator files(m_home->path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (files.hasNext()) {
        QFile file(files.next());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY2(!file.readAll().contains(secret), qPrintable(file.fileName()));
    }
}

void tst_InteropCli::dpopBound_data()
{
    QTest::addColumn<QString>("profile");
    QTest::addRow("dpop") << QStringLiteral("dpop");
    // RFC 9449 §8: every token request needs the provider's nonce first.
    QTest::addRow("dpop-nonce") << QStringLiteral("dpop-nonce");
}

void tst_InteropCli::dpopBound()
{
    // oidc-provider with a client that must use DPoP (RFC 9449 §5.2,
    // dpop_bound_access_tokens) and an API that takes only DPoP-bound tokens
    // with a proof (ath): browser sign-in, a new process that restores and
    // refreshes with the key from the secure record, revocation.
    QFETCH(QString, profile);
    QVERIFY2(startProvider(profile), m_provider->failureText());
    InteropResourceServer *api = startApi(kApiA, QStringLiteral("api"), true);
    QVERIFY(api);
    Run r = browserLogin(
            loginArgs(QStringLiteral("native-dpop"), kScope + QStringLiteral(" api:read"))
            + QStringList {QStringLiteral("--api-origin"), api->origin(), QStringLiteral("--dpop"),
                           QStringLiteral("required")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:authorization_code")), 1);

    // status shows the key's thumbprint (RFC 7638), never the key.
    r = run({QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString jkt = json(r.out).value(QLatin1String("dpop_jkt")).toString();
    QCOMPARE(jkt.size(), 43);

    r = run({QStringLiteral("call"), api->origin() + QStringLiteral("/me")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(json(r.out).value(QLatin1String("sub")).toString(), QStringLiteral("interop-alice"));
    QCOMPARE(m_provider->events(QStringLiteral("grant.success:refresh_token")), 1);
    // The API checked the proof and the binding (cnf.jkt) and took it.
    QCOMPARE(api->stats().value(QLatin1String("accepted")).toInt(), 1);
    QVERIFY(api->stats().value(QLatin1String("rejected")).toObject().isEmpty());

    // A thief who read the access token off the wire (RFC 9449 §1, §7): the
    // API refuses it as a bearer token, and with a valid proof of his own key
    // (right htm, htu, ath; not the key of the token's cnf.jkt).
    const QByteArray stolen = api->stolenToken();
    QVERIFY(stolen.count('.') == 2);
    const QUrl me(api->origin() + QStringLiteral("/me"));
    const auto replay = [&](const QByteArray &authorization, const QByteArray &proof) {
        QNetworkAccessManager nam;
        QNetworkRequest request(me);
        request.setTransferTimeout(10000);
        request.setRawHeader("Authorization", authorization);
        if (!proof.isEmpty())
            request.setRawHeader("DPoP", proof);
        QNetworkReply *reply = nam.get(request);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!reply->isFinished())
            finished.wait(11000);
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->deleteLater();
        return status;
    };
    QCOMPARE(replay("Bearer " + stolen, {}), 401);
    const auto thief = SecureTokens::Internal::SoftwareDpopKey::generate();
    QVERIFY(thief);
    QVERIFY(thief->thumbprint() != jkt.toLatin1());
    SecureTokens::Internal::DpopProofRequest proofRequest;
    proofRequest.method = "GET";
    proofRequest.uri = me;
    proofRequest.ath = SecureTokens::Internal::dpopAccessTokenHash(stolen);
    proofRequest.issuedAt = QDateTime::currentSecsSinceEpoch();
    QCOMPARE(replay("DPoP " + stolen, SecureTokens::Internal::buildDpopProof(*thief, proofRequest)),
             401);
    QCOMPARE(api->stats()
                     .value(QLatin1String("rejected"))
                     .toObject()
                     .value(QLatin1String("invalid_token"))
                     .toInt(),
             2);
    bool keyRefused = false;
    for (const QJsonObject &line : api->lines())
        keyRefused = keyRefused
                || line.value(QLatin1String("description")).toString()
                        == QLatin1String("cnf.jkt does not match the proof key");
    QVERIFY(keyRefused);
    QCOMPARE(api->stats().value(QLatin1String("accepted")).toInt(), 1);

    r = run({QStringLiteral("logout")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_provider->events(QStringLiteral("grant.revoked")), 1);
    QCOMPARE(m_provider->live(QStringLiteral("RefreshToken")), 0);
}

QTEST_GUILESS_MAIN(tst_InteropCli)
#include "tst_interop_cli.moc"
