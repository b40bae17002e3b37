// SPDX-License-Identifier: MIT
// The app's redirect through Qt: a SessionController whose session has a
// SessionConfig::redirectUri (a claimed https URI, RFC 8252 §7.2, or a
// private-use scheme, §7.1) registers itself with
// QDesktopServices::setUrlHandler for the sign-in's duration. On Android, iOS
// and macOS Qt's platform plugin hands the URL the OS opened the app with to
// that handler; here the test calls QDesktopServices::openUrl() with the
// mock server's real redirect, which is the same call into the same
// registry, in a real QGuiApplication (offscreen). The sign-in completes
// against the in-process mock server.
#include "mockserverfixture.h"
#include "tst_signin_helpers.h"

#include <securetokens/memorysecretstore.h>
#include <securetokens/qml/sessioncontroller.h>
#include <securetokens/schemeredirect.h>
#include <securetokens/session.h>

#include <QDesktopServices>
#include <QGuiApplication>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace SecureTokens;

namespace {

constexpr int kWait = 30000;
const QString kClaimed = QStringLiteral("https://app.example.test/oauth2redirect");
// The demo client of the mock server takes com.example.* schemes (RFC 2606).
const QString kPrivateUse = QStringLiteral("com.example.securetokens.qml:/oauth2redirect");

//! A test-side handler: tells whether QDesktopServices still routes a scheme elsewhere.
class Probe : public QObject
{
    Q_OBJECT
public:
    QList<QUrl> seen;
public Q_SLOTS:
    void open(const QUrl &url) { seen.append(url); }
};

} // namespace

class tst_QmlRedirect : public QObject
{
    Q_OBJECT

    QTemporaryDir m_runtime; // the private-use forwarder's socket directory (Linux)

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        QVERIFY(QFile::setPermissions(m_runtime.path(),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
    }

    void signInThroughDesktopServices_data()
    {
        QTest::addColumn<QString>("redirectUri");
        QTest::newRow("claimed-https") << kClaimed;
        QTest::newRow("private-use") << kPrivateUse;
    }
    void signInThroughDesktopServices()
    {
        QFETCH(QString, redirectUri);
        const QUrl redirect(redirectUri);
        Mock::ServerConfig serverConfig;
        // RFC 8252 §7.2: the mock server accepts this exact https URI.
        serverConfig.redirectUris = {kClaimed};
        auto server = MockTest::startMockServer(serverConfig);
        SignInTest::FakeBrowser browser;
        browser.followCallback = false; // the app's own domain: never fetched (loopback only)
        SessionConfig config = SignInTest::discoveryConfig(server->baseUrl(),
                                                           std::make_shared<MemorySecretStore>());
        config.openBrowser = browser.opener();
        config.redirectUri = redirect;
        Session session(config);
        Qml::SessionController controller(&session);
        QCOMPARE(controller.redirectUri(), redirect);

        // Before the sign-in the scheme goes to whoever else handles it.
        Probe before;
        QDesktopServices::setUrlHandler(redirect.scheme(), &before, "open");
        controller.signInWithBrowser();
        QTRY_VERIFY_WITH_TIMEOUT(browser.done, kWait);
        QCOMPARE(SignInTest::queryValue(browser.authorizationUrl, QStringLiteral("redirect_uri")),
                 redirectUri);
        const QUrl callback = browser.callbackUrl;
        QCOMPARE(callback.scheme(), redirect.scheme());
        QCOMPARE(callback.host(), redirect.host());
        QCOMPARE(callback.path(), redirect.path());
        QVERIFY(!SignInTest::queryValue(callback, QStringLiteral("code")).isEmpty());

        // A forged state (RFC 6749 §10.12) reaches the session and is refused.
        QUrl forged = callback;
        QUrlQuery query(forged);
        query.removeQueryItem(QStringLiteral("state"));
        query.addQueryItem(QStringLiteral("state"), QStringLiteral("forged"));
        forged.setQuery(query);
        QVERIFY(QDesktopServices::openUrl(forged));
        QCOMPARE(session.state(), Session::State::SigningIn);
        // The real one, as Qt delivers it: the sign-in completes.
        QVERIFY(QDesktopServices::openUrl(callback));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
        QCOMPARE(server->stats().value(QLatin1String("authorization_code_grants")).toInt(), 1);
        QVERIFY(before.seen.isEmpty()); // the controller had the scheme meanwhile
        QVERIFY(!controller.hasError());

        // After the sign-in the controller is no handler any more: a new one
        // of the app's gets the URL, the session is not asked.
        Probe after;
        QDesktopServices::setUrlHandler(redirect.scheme(), &after, "open");
        QVERIFY(QDesktopServices::openUrl(callback));
        QCOMPARE(after.seen, QList<QUrl> {callback});
        QDesktopServices::unsetUrlHandler(redirect.scheme());
    }

    // The handler goes with a sign-in that fails: a bad redirect URI is a
    // typed configuration error, before any browser opens.
    void badClaimedUriIsAConfigurationError_data()
    {
        QTest::addColumn<QString>("redirectUri");
        QTest::addColumn<QString>("reason");
        QTest::newRow("loopback-ipv4")
                << QStringLiteral("https://127.0.0.1/cb") << QStringLiteral("§7.3");
        QTest::newRow("loopback-ipv6")
                << QStringLiteral("https://[::1]:8443/cb") << QStringLiteral("§7.3");
        QTest::newRow("localhost")
                << QStringLiteral("https://localhost/cb") << QStringLiteral("§7.3");
        QTest::newRow("fragment") << QStringLiteral("https://app.example.test/cb#x")
                                  << QStringLiteral("fragment");
        QTest::newRow("query") << QStringLiteral("https://app.example.test/cb?a=b")
                               << QStringLiteral("query");
        QTest::newRow("user-info") << QStringLiteral("https://u@app.example.test/cb")
                                   << QStringLiteral("user information");
        QTest::newRow("no-host") << QStringLiteral("https:/cb") << QStringLiteral("§7.2");
        QTest::newRow("plain-http")
                << QStringLiteral("http://app.example.test/cb") << QStringLiteral("RFC 8252");
    }
    void badClaimedUriIsAConfigurationError()
    {
        QFETCH(QString, redirectUri);
        QFETCH(QString, reason);
        const QUrl uri(redirectUri);
        QVERIFY(checkAppRedirectUri(uri).isError());
        auto server = MockTest::startMockServer();
        bool opened = false;
        SessionConfig config = SignInTest::discoveryConfig(server->baseUrl(),
                                                           std::make_shared<MemorySecretStore>());
        config.openBrowser = [&opened](const QUrl &) {
            return opened = true;
        };
        config.redirectUri = uri;
        Session session(config);
        Qml::SessionController controller(&session);
        QSignalSpy errors(&session, &Session::errorOccurred);
        controller.signInWithBrowser();
        QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, kWait);
        const auto error = errors.constFirst().constFirst().value<ErrorInfo>();
        QCOMPARE(error.code, Error::InvalidConfiguration);
        QVERIFY2(error.message.contains(reason), qPrintable(error.message));
        QCOMPARE(controller.lastErrorCode(), QStringLiteral("InvalidConfiguration"));
        QVERIFY(!opened);
        QCOMPARE(session.state(), Session::State::SignedOut);
        if (uri.scheme() != QLatin1String("https"))
            return;
        // The failed sign-in's handler is gone.
        Probe probe;
        QDesktopServices::setUrlHandler(uri.scheme(), &probe, "open");
        const QUrl response(QStringLiteral("https://app.example.test/cb?code=x&state=y"));
        QVERIFY(QDesktopServices::openUrl(response));
        QCOMPARE(probe.seen.size(), 1);
        QDesktopServices::unsetUrlHandler(uri.scheme());
    }

    void checks()
    {
        QVERIFY(!checkClaimedHttpsRedirectUri(QUrl(kClaimed)).isError());
        QVERIFY(!checkAppRedirectUri(QUrl(kClaimed)).isError());
        QVERIFY(!checkAppRedirectUri(QUrl(kPrivateUse)).isError());
        QVERIFY(checkClaimedHttpsRedirectUri(QUrl(kPrivateUse)).isError());
        QVERIFY(checkClaimedHttpsRedirectUri(QUrl(QStringLiteral("https://127.1.2.3/x")))
                        .isError());
        QVERIFY(checkClaimedHttpsRedirectUri(QUrl(QStringLiteral("https://a.localhost/x")))
                        .isError());
        QVERIFY(!checkClaimedHttpsRedirectUri(
                         QUrl(QStringLiteral("https://app.example.test:8443/x")))
                         .isError());
    }
};

QTEST_MAIN(tst_QmlRedirect)
#include "tst_qmlredirect.moc"
