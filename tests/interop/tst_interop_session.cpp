// SPDX-License-Identifier: MIT
// The SDK's Session (public API only) against the third-party provider, for
// what the CLI cannot reach. Memory storage: no keyring needed.
//
// Here so far: identity after restore, endpoints by hand, userinfo and
// end-session (issue 15); the DPoP-bound authorization code (RFC 9449 §10,
// issue 17); later SDK work adds more (see tests/interop/README.md).

#include "interopprocess.h"

#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>
#include <securetokens/sessionconfig.h>

#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace SecureTokens;
using Interop::InteropProvider;

class tst_InteropSession : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    SessionConfig config() const
    {
        SessionConfig c;
        c.clientId = QStringLiteral("native-public");
        c.scopes = {QStringLiteral("openid"), QStringLiteral("offline_access")};
        c.storagePolicy = StoragePolicy::SessionOnly;
        const QString log = m_dir.filePath(QStringLiteral("browser.log"));
        c.openBrowser = [log](const QUrl &url) {
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("INTEROP_BROWSER_LOG"), log);
            QProcess browser;
            browser.setProgram(Interop::node());
            browser.setArguments({Interop::script(QStringLiteral("browser.mjs")),
                                  QString::fromLatin1(url.toEncoded())});
            browser.setProcessEnvironment(env);
            return browser.startDetached();
        };
        return c;
    }

    //! Signs in through the browser; the error, if any.
    ErrorInfo signIn(Session &session)
    {
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithBrowser();
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), 60000);
        }();
        return errors.isEmpty() ? ErrorInfo() : errors.first().first().value<ErrorInfo>();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void withIssuer()
    {
        InteropProvider provider;
        QVERIFY2(provider.start(QStringLiteral("public-native")), provider.failureText());
        SessionConfig c = config();
        c.issuer = QUrl(provider.issuer());
        Session session(c);
        const ErrorInfo error = signIn(session);
        QVERIFY2(!error.isError(), qPrintable(error.message));
        QVERIFY(session.isSignedIn());
        QCOMPARE(session.idTokenClaims().value(QStringLiteral("sub")).toString(),
                 QStringLiteral("interop-alice"));
        QCOMPARE(provider.events(QStringLiteral("grant.success:authorization_code")), 1);
        QVERIFY(provider.stop());
    }

    void identityAfterRestore()
    {
        // The verified ID-token claims live in the secure record: a later
        // Session (a new process) has the user's identity without a sign-in,
        // and subject() comes from those claims (the access token is opaque).
        InteropProvider provider;
        QVERIFY2(provider.start(QStringLiteral("public-native")), provider.failureText());
        SessionConfig c = config();
        c.issuer = QUrl(provider.issuer());
        c.secretStore = std::make_shared<MemorySecretStore>();
        {
            Session session(c);
            const ErrorInfo error = signIn(session);
            QVERIFY2(!error.isError(), qPrintable(error.message));
            QCOMPARE(session.subject(), QStringLiteral("interop-alice"));
        }
        c.openBrowser = nullptr;
        Session later(c);
        QSignalSpy errors(&later, &Session::errorOccurred);
        later.restore();
        QTRY_VERIFY_WITH_TIMEOUT(later.isSignedIn() || !errors.isEmpty(), 60000);
        QVERIFY(errors.isEmpty());
        QCOMPARE(later.subject(), QStringLiteral("interop-alice"));
        QCOMPARE(later.idTokenClaims().value(QStringLiteral("sub")).toString(),
                 QStringLiteral("interop-alice"));
        QCOMPARE(later.idTokenClaims().value(QStringLiteral("iss")).toString(), provider.issuer());
        // One refresh, no second authorization: the identity came from storage.
        QCOMPARE(provider.events(QStringLiteral("grant.success:authorization_code")), 1);
        QCOMPARE(provider.events(QStringLiteral("grant.success:refresh_token")), 1);
        QVERIFY(provider.stop());
    }

    void endpointsWithoutIssuer()
    {
        // Endpoints configured by hand, no issuer: oidc-provider always sends
        // iss (RFC 9207). The SDK used to compare it with an empty string and
        // refuse every sign-in with IssuerMismatch (this test's expected
        // failure until the fix); now it is the issuer the ID token must name.
        InteropProvider provider;
        QVERIFY2(provider.start(QStringLiteral("public-native")), provider.failureText());
        SessionConfig c = config();
        c.authorizationEndpoint = provider.endpoint(QStringLiteral("/auth"));
        c.tokenEndpoint = provider.endpoint(QStringLiteral("/token"));
        c.jwksUri = provider.endpoint(QStringLiteral("/jwks"));
        Session session(c);
        const ErrorInfo error = signIn(session);
        QVERIFY2(!error.isError(), qPrintable(error.message));
        QCOMPARE(provider.events(QStringLiteral("grant.success:authorization_code")), 1);
        // The ID token was checked against the issuer the response named.
        QCOMPARE(session.idTokenClaims().value(QStringLiteral("iss")).toString(),
                 provider.issuer());
        QVERIFY(provider.stop());
    }

    void userInfo()
    {
        // OpenID Connect Core §5.3 against oidc-provider, whose ID token
        // carries sub only when an access token is issued (claims go to
        // userinfo): the userinfo request a sign-in makes adds name and email.
        InteropProvider provider;
        QVERIFY2(provider.start(QStringLiteral("public-native")), provider.failureText());
        SessionConfig c = config();
        c.issuer = QUrl(provider.issuer());
        c.scopes << QStringLiteral("profile") << QStringLiteral("email");
        Session session(c);
        QSignalSpy received(&session, &Session::userInfoReceived);
        QSignalSpy failed(&session, &Session::userInfoFailed);
        const ErrorInfo error = signIn(session);
        QVERIFY2(!error.isError(), qPrintable(error.message));
        QTRY_VERIFY_WITH_TIMEOUT(!received.isEmpty() || !failed.isEmpty(), 60000);
        QVERIFY2(failed.isEmpty(),
                 qPrintable(failed.isEmpty() ? QString()
                                             : failed.first().first().value<ErrorInfo>().message));
        const QVariantMap answer = received.first().first().toMap();
        QCOMPARE(answer.value(QStringLiteral("sub")).toString(), QStringLiteral("interop-alice"));
        QCOMPARE(answer.value(QStringLiteral("name")).toString(), QStringLiteral("Alice Interop"));
        const QVariantMap claims = session.idTokenClaims();
        QCOMPARE(claims.value(QStringLiteral("email")).toString(),
                 QStringLiteral("alice@interop.test"));
        QCOMPARE(claims.value(QStringLiteral("iss")).toString(), provider.issuer());
        // On demand, with the same token.
        session.fetchUserInfo();
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 2, 60000);
        QVERIFY(failed.isEmpty());
        QVERIFY(provider.stop());
    }

    void endSession()
    {
        // RP-Initiated Logout 1.0 against the end-session profile:
        // oidc-provider compares post_logout_redirect_uri with the registered
        // ones exactly, so the signing-out Session listens on the fixed port
        // and path (http://127.0.0.1:53683/logged-out); the sign-in used the
        // ordinary loopback redirect. The browser keeps its cookies between
        // the two (a browser profile), so there is a provider session to end.
        InteropProvider provider;
        QVERIFY2(provider.start(QStringLiteral("end-session")), provider.failureText());
        const QString jar = m_dir.filePath(QStringLiteral("endsession-jar.json"));
        qputenv("INTEROP_BROWSER_JAR", jar.toLocal8Bit());
        const auto unsetJar = qScopeGuard([] { qunsetenv("INTEROP_BROWSER_JAR"); });
        SessionConfig c = config();
        c.issuer = QUrl(provider.issuer());
        c.clientId = QStringLiteral("native-endsession");
        c.secretStore = std::make_shared<MemorySecretStore>();
        c.browserTimeout = std::chrono::seconds(30);
        {
            Session session(c);
            const ErrorInfo error = signIn(session);
            QVERIFY2(!error.isError(), qPrintable(error.message));
        }
        c.redirectPorts = {53683};
        c.redirectPath = QStringLiteral("/logged-out");
        Session later(c);
        QSignalSpy errors(&later, &Session::errorOccurred);
        later.restore();
        QTRY_VERIFY_WITH_TIMEOUT(later.isSignedIn() || !errors.isEmpty(), 60000);
        QVERIFY(errors.isEmpty());
        QVERIFY(!later.config().endSessionEndpoint.isEmpty());
        QSignalSpy signedOut(&later, &Session::signedOut);
        later.signOutWithOptions(Session::SignOutOption::EndProviderSession);
        QVERIFY(signedOut.wait(60000));
        QVERIFY2(errors.isEmpty(),
                 qPrintable(errors.isEmpty() ? QString()
                                             : errors.first().first().value<ErrorInfo>().message));
        QCOMPARE(later.state(), Session::State::SignedOut);
        // Revoked (RFC 7009), then the provider's session ended (§2, §3).
        QCOMPARE(provider.events(QStringLiteral("grant.revoked")), 1);
        QCOMPARE(provider.events(QStringLiteral("end_session.success")), 1);
        QVERIFY(provider.stop());
    }

    void withoutOpenIdScope()
    {
        // A plain OAuth sign-in (no openid): no nonce (oidc-provider refuses
        // one then: "openid scope must be requested when using the nonce
        // parameter") and no ID token expected.
        InteropProvider provider;
        QVERIFY2(provider.start(QStringLiteral("public-native")), provider.failureText());
        SessionConfig c = config();
        c.issuer = QUrl(provider.issuer());
        c.scopes = {QStringLiteral("offline_access")};
        Session session(c);
        const ErrorInfo error = signIn(session);
        QVERIFY2(!error.isError(), qPrintable(error.message));
        QVERIFY(session.isSignedIn());
        QVERIFY(session.isRefreshable());
        QVERIFY(session.idTokenClaims().isEmpty());
        QCOMPARE(provider.events(QStringLiteral("authorization.error:invalid_request")), 0);
        QCOMPARE(provider.events(QStringLiteral("grant.success:authorization_code")), 1);
        QVERIFY(provider.stop());
    }

    void dpopBoundCode_data()
    {
        QTest::addColumn<bool>("pushed");
        QTest::addRow("PAR with a proof") << true;
        QTest::addRow("dpop_jkt in the URL") << false;
    }

    // RFC 9449 §10: the authorization code is bound to the session's key, by
    // the pushed request's proof (§10.1) or by dpop_jkt, with nonces required
    // (§8): the PAR endpoint (or the token endpoint) asks for its nonce once.
    void dpopBoundCode()
    {
        QFETCH(bool, pushed);
        InteropProvider provider;
        QVERIFY2(provider.start(QStringLiteral("dpop-nonce")), provider.failureText());
        SessionConfig c = config();
        c.issuer = QUrl(provider.issuer());
        c.clientId = QStringLiteral("native-dpop");
        c.scopes = {QStringLiteral("openid"), QStringLiteral("offline_access"),
                    QStringLiteral("api:read")};
        c.dpop = DpopMode::Required;
        c.usePushedAuthorizationRequests = pushed;
        Session session(c);
        const ErrorInfo error = signIn(session);
        QVERIFY2(!error.isError(), qPrintable(error.message));
        QVERIFY(session.isSignedIn());
        QCOMPARE(session.dpopThumbprint().size(), 43);
        QCOMPARE(provider.events(QStringLiteral("grant.success:authorization_code")), 1);
        const QJsonObject stats = provider.stats();
        QCOMPARE(stats.value(QLatin1String("dpop_bound"))
                         .toObject()
                         .value(QLatin1String("AuthorizationCode"))
                         .toInt(),
                 1);
        QCOMPARE(provider.events(QStringLiteral("pushed_authorization_request.success")),
                 pushed ? 1 : 0);
        // The first proof had no nonce: refused once where it was sent first.
        QCOMPARE(provider.events(QStringLiteral("pushed_authorization_request.error:"
                                                "use_dpop_nonce")),
                 pushed ? 1 : 0);
        QCOMPARE(provider.events(QStringLiteral("grant.error:use_dpop_nonce")), pushed ? 0 : 1);
        // The bound grant refreshes with the same key.
        QSignalSpy changed(&session, &Session::accessTokenChanged);
        session.refresh();
        QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty(), 30000);
        QCOMPARE(provider.events(QStringLiteral("grant.success:refresh_token")), 1);
        QVERIFY(provider.stop());
    }
};

QTEST_GUILESS_MAIN(tst_InteropSession)
#include "tst_interop_session.moc"
