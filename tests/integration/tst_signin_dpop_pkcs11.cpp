// SPDX-License-Identifier: MIT
// DPoP-bound sessions whose key lives on a PKCS#11 token (a real SoftHSM2
// token in a temporary directory) against the in-process mock server, which
// verifies every proof and binds the tokens to the key (cnf.jkt): sign-in,
// the record holding only a reference, restore in a later Session with the
// same key found on the token, DPoP-bound API calls, revocation; a token that
// was removed ends the stored session with DPoPKeyMissing and says why.
// Sign-out destroys the key pair on the token (issue 17), so does a sign-in
// that replaces the record, and a token that is gone does not block it.

#include "mockserverfixture.h"
#include "session/accountrecord_p.h"
#include "softhsmtoken.h"
#include "tst_signin_dpop_helpers.h"
#include "tst_signin_helpers.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using namespace DpopTest;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {

SecretBytes storedValue(SecretStore &store, const QString &account, bool *found)
{
    SecretBytes value;
    bool done = false;
    *found = false;
    QObject context;
    store.read(account, &context, [&](const SecretStore::Result &result, SecretBytes stored) {
        done = true;
        *found = result.ok();
        value = std::move(stored);
    });
    if (!QTest::qWaitFor([&] { return done; }, kWait))
        qWarning("the store did not answer");
    return value;
}

} // namespace

class tst_SignInDpopPkcs11 : public QObject
{
    Q_OBJECT

private:
    SoftHsmToken m_token;
    int m_pinAsked = 0;

    SessionConfig config(const QUrl &issuer, std::shared_ptr<SecretStore> store)
    {
        SessionConfig c = discoveryConfig(issuer, std::move(store));
        c.dpopKeyStore.kind = DpopKeyStore::Kind::Pkcs11;
        c.dpopKeyStore.pkcs11ModulePath = m_token.module();
        c.dpopKeyStore.pkcs11TokenLabel = SoftHsmToken::label;
        c.dpopKeyStore.pkcs11Pin = [this] {
            ++m_pinAsked;
            return SecretBytes(QByteArrayView(SoftHsmToken::pin));
        };
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        // Built with SECURETOKENS_PKCS11: no SoftHSM2 fails the suite.
        QVERIFY2(m_token.create(&why), qPrintable(why));
    }

    void boundToTheTokenRestoreApiRevoke()
    {
        ServerConfig serverConfig;
        serverConfig.dpopNonce = true;
        auto server = startMockServer(serverConfig);
        auto store = std::make_shared<ScriptedSecretStore>();
        const SessionConfig cfg = config(server->baseUrl(), store);
        const QUrl api = server->baseUrl().resolved(QUrl(QStringLiteral("/api/me")));
        QString thumbprint;
        {
            Session session(cfg);
            QVERIFY(signIn(session));
            thumbprint = session.dpopThumbprint();
            QCOMPARE(thumbprint.size(), 43);
            QVERIFY(m_pinAsked >= 1);
            QCOMPARE(authenticatedGet(session, api), 200);
            QCOMPARE(stat(*server, "password_grants"), 1);
        }
        // The record holds a reference to the key on the token, no key, no PIN.
        bool found = false;
        const SecretBytes stored = storedValue(*store, cfg.account, &found);
        QVERIFY(found);
        AccountRecord record;
        QVERIFY(!decodeAccountRecord(stored.view(), &record).isError());
        QVERIFY(record.dpopPrivateKey.isEmpty());
        QVERIFY(record.dpopKeyReference.startsWith(QLatin1String("pkcs11:")));
        QVERIFY(record.dpopKeyReference.contains(QLatin1String("token=") + SoftHsmToken::label));
        QVERIFY(!stored.view().toByteArray().contains(SoftHsmToken::pin));

        // A later Session (a new process) finds the same key on the token.
        Session session(cfg);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.restore();
        QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), kWait);
        QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
        QCOMPARE(session.dpopThumbprint(), thumbprint);
        QCOMPARE(stat(*server, "refresh_grants"), 1);
        QCOMPARE(authenticatedGet(session, api), 200);
        QCOMPARE(stat(*server, "reuse_detected"), 0);

        QSignalSpy signedOut(&session, &Session::signedOut);
        session.signOut();
        QVERIFY(signedOut.wait(kWait));
        QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
        QCOMPARE(stat(*server, "revocations"), 1);
    }

    void signOutDestroysTheKeyPair()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        const SessionConfig cfg = config(server->baseUrl(), store);
        QString why;
        const int before = m_token.keyObjects(&why);
        QVERIFY2(before >= 0, qPrintable(why));

        Session session(cfg);
        QSignalSpy errors(&session, &Session::errorOccurred);
        QVERIFY(signIn(session));
        QCOMPARE(m_token.keyObjects(&why), before + 2); // the public and the private key

        QSignalSpy signedOut(&session, &Session::signedOut);
        session.signOut();
        QVERIFY(signedOut.wait(kWait));
        QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
        QCOMPARE(stat(*server, "revocations"), 1); // revoked with a proof, before the key went
        QCOMPARE(m_token.keyObjects(&why), before);

        // A later process signing out a stored session (no restore) does it too.
        {
            Session first(cfg);
            QVERIFY(signIn(first));
        }
        QCOMPARE(m_token.keyObjects(&why), before + 2);
        Session later(cfg);
        QSignalSpy laterOut(&later, &Session::signedOut);
        later.signOut();
        QVERIFY(laterOut.wait(kWait));
        QCOMPARE(m_token.keyObjects(&why), before);
    }

    void signOutWithoutRevocationEndpointDestroysTheKeyPair()
    {
        // A provider without RFC 7009 revocation (no revocation_endpoint):
        // endpoints given by the app, no discovery. A sign-out in a later
        // process (no restore) still opens the record's key, to destroy it.
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig cfg = config(server->baseUrl(), store);
        cfg.issuer = QUrl();
        cfg.tokenEndpoint = server->baseUrl().resolved(QUrl(QStringLiteral("/oauth/token")));
        cfg.dpopSigningAlgValues = QStringList {QStringLiteral("ES256")};
        cfg.dpop = DpopMode::Required;
        cfg.scopes = QStringList {QStringLiteral("items")};
        QVERIFY(cfg.revocationEndpoint.isEmpty());
        QString why;
        const int before = m_token.keyObjects(&why);
        QVERIFY2(before >= 0, qPrintable(why));
        {
            Session first(cfg);
            QVERIFY(signIn(first));
            QCOMPARE(first.dpopThumbprint().size(), 43);
        }
        QCOMPARE(m_token.keyObjects(&why), before + 2);

        Session later(cfg);
        QSignalSpy errors(&later, &Session::errorOccurred);
        QSignalSpy signedOut(&later, &Session::signedOut);
        later.signOut();
        QVERIFY(signedOut.wait(kWait));
        QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
        QCOMPARE(stat(*server, "revocations"), 0); // nowhere to revoke
        QCOMPARE(m_token.keyObjects(&why), before);
        bool found = true;
        storedValue(*store, cfg.account, &found);
        QVERIFY(!found);
    }

    void replacingSignInLeavesOneKeyPair()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        const SessionConfig cfg = config(server->baseUrl(), store);
        QString why;
        const int before = m_token.keyObjects(&why);
        QVERIFY2(before >= 0, qPrintable(why));
        QString firstThumbprint;
        {
            Session first(cfg);
            QVERIFY(signIn(first));
            firstThumbprint = first.dpopThumbprint();
        }
        QCOMPARE(m_token.keyObjects(&why), before + 2);

        // A new sign-in for the account, in a Session that restored nothing:
        // its record replaces the first, and the first key goes with it.
        Session second(cfg);
        QVERIFY(signIn(second));
        QVERIFY(second.dpopThumbprint() != firstThumbprint);
        QCOMPARE(m_token.keyObjects(&why), before + 2);

        QSignalSpy signedOut(&second, &Session::signedOut);
        second.signOut();
        QVERIFY(signedOut.wait(kWait));
        QCOMPARE(m_token.keyObjects(&why), before);
    }

    void absentTokenDoesNotBlockSignOut()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        const SessionConfig cfg = config(server->baseUrl(), store);
        {
            Session session(cfg);
            QVERIFY(signIn(session));
        }
        m_token.remove(); // the card is pulled

        // Logged with the key's URI, never the PIN; the sign-out goes on.
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("DPoP key pkcs11:.*token=")
                                                + SoftHsmToken::label
                                                + QStringLiteral(".*not destroyed")));
        Session session(cfg);
        QSignalSpy signedOut(&session, &Session::signedOut);
        session.signOut();
        QVERIFY(signedOut.wait(kWait));
        QCOMPARE(session.state(), Session::State::SignedOut);
        bool found = true;
        storedValue(*store, cfg.account, &found);
        QVERIFY(!found);

        QString why;
        QVERIFY2(m_token.reset(&why), qPrintable(why));
    }

    void removedTokenEndsTheSession()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        const SessionConfig cfg = config(server->baseUrl(), store);
        {
            Session session(cfg);
            QVERIFY(signIn(session));
            QVERIFY(!session.dpopThumbprint().isEmpty());
        }
        m_token.remove(); // the card is pulled

        Session session(cfg);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.restore();
        QVERIFY(errors.wait(kWait));
        const ErrorInfo error = lastError(errors);
        QCOMPARE(error.code, Error::DPoPKeyMissing);
        QVERIFY2(error.message.contains(QLatin1String("DPoP key is gone"))
                         && error.message.contains(SoftHsmToken::label),
                 qPrintable(error.message));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::ReauthenticationRequired, kWait);
        // Nothing was sent with the dead token, and its record is gone.
        QCOMPARE(stat(*server, "refresh_grants"), 0);
        bool found = true;
        storedValue(*store, cfg.account, &found);
        QVERIFY(!found);

        QString why;
        QVERIFY2(m_token.reset(&why), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(tst_SignInDpopPkcs11)
#include "tst_signin_dpop_pkcs11.moc"
