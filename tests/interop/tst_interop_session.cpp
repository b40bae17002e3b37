// SPDX-License-Identifier: MIT
// The SDK's Session (public API only) against the third-party provider, for
// what the CLI cannot reach. Memory storage: no keyring needed.
//
// Later SDK work adds its tests here: client secrets, PAR, userinfo,
// end-session, resource indicators, DPoP (see tests/interop/README.md).

#include "interopprocess.h"

#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>
#include <securetokens/sessionconfig.h>

#include <QProcess>
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
};

QTEST_GUILESS_MAIN(tst_InteropSession)
#include "tst_interop_session.moc"
