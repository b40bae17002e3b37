// SPDX-License-Identifier: MIT
// DPoP-bound sign-ins (RFC 9449) against the in-process mock server, which
// verifies every proof, binds tokens to the proof's key (cnf.jkt) and hands
// out nonces: sign-in, restore in a later Session, refresh through a nonce
// change, API requests with the DPoP scheme, revocation; a bound token
// replayed as a bearer token is refused; a missing key ends the session with
// DPoPKeyMissing; DpopMode Off and Required; the private key never logged.

#include "mockserverfixture.h"
#include "session/accountrecord_p.h"
#include "session/dpopkey_p.h"
#include "session/dpopproof_p.h"
#include "tst_signin_dpop_helpers.h"
#include "tst_signin_helpers.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QLoggingCategory>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using namespace DpopTest;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {

QMutex logMutex;
QByteArray logged;
QtMessageHandler previousHandler = nullptr;

void capture(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    {
        QMutexLocker lock(&logMutex);
        logged += message.toUtf8() + '\n';
    }
    if (previousHandler)
        previousHandler(type, context, message);
}

void storeRecord(SecretStore &store, const QString &account, const AccountRecord &record)
{
    bool done = false;
    QObject context;
    bool ok = false;
    store.write(account, encodeAccountRecord(record), &context,
                [&](const SecretStore::Result &result) {
                    ok = result.ok();
                    done = true;
                });
    QVERIFY(QTest::qWaitFor([&] { return done; }, kWait));
    QVERIFY(ok);
}

QUrl apiMe(const Mock::MockAuthServer &server)
{
    return server.baseUrl().resolved(QUrl(QStringLiteral("/api/me")));
}

} // namespace

class tst_SignInDpop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(
                QStringLiteral("*.debug=true\nqt.httpserver*.debug=false"));
        previousHandler = qInstallMessageHandler(capture);
    }
    void cleanupTestCase() { qInstallMessageHandler(previousHandler); }
    void init()
    {
        QMutexLocker lock(&logMutex);
        logged.clear();
    }

    void boundSignInRestoreRefreshRevoke();
    void keyMissingEndsSession_data();
    void keyMissingEndsSession();
    void stolenTokenWithAnotherKeysProof();
    void serverThatConsumesBeforeTheNonce();
    void userInfoAnswersItsNonceWithoutARefresh();
    void offIsBearer();
    void requiredWithoutProviderSupport();
    void clockSkew_data();
    void clockSkew();
    void deviceFlowBound();
};

void tst_SignInDpop::boundSignInRestoreRefreshRevoke()
{
    ServerConfig serverConfig;
    serverConfig.dpopNonce = true; // every proof must carry the server's nonce (§8)
    auto server = startMockServer(serverConfig);
    auto store = std::make_shared<ScriptedSecretStore>();
    const SessionConfig config = discoveryConfig(server->baseUrl(), store);
    QString thumbprint;
    QByteArray token;
    {
        Session session(config);
        QVERIFY(signIn(session));
        QCOMPARE(session.config().dpop, DpopMode::IfSupported);
        QVERIFY(session.config().dpopSigningAlgValues.contains(QStringLiteral("ES256")));
        thumbprint = session.dpopThumbprint();
        QCOMPARE(thumbprint.size(), 43); // base64url of a SHA-256 (RFC 7638 §3)
        // The first proof had no nonce: one use_dpop_nonce, one retry.
        QCOMPARE(stat(*server, "dpop_nonce_challenges"), 1);
        QCOMPARE(stat(*server, "password_grants"), 1);

        // The API takes the token with the DPoP scheme and a proof (ath)...
        QCOMPARE(authenticatedGet(session, apiMe(*server)), 200);
        // ...and refuses it replayed as a bearer token (RFC 9449 §7.2).
        token = session.accessTokenForExternalUse().view().toByteArray();
        QVERIFY(!token.isEmpty());
        QNetworkAccessManager plain;
        const HttpResult replay = send(plain, "GET", apiMe(*server), {},
                                       {{QByteArrayLiteral("Authorization"), "Bearer " + token}});
        QCOMPARE(replay.status, 401);
    }

    // The key is in the record with the refresh token; a later Session (a new
    // process) restores both and refreshes with the same key.
    bool found = false;
    const AccountRecord record = storedRecord(*store, config.account, &found);
    QVERIFY(found);
    QVERIFY(!record.dpopPrivateKey.isEmpty());
    QVERIFY(!record.refreshToken.isEmpty());
    {
        QMutexLocker lock(&logMutex);
        QVERIFY(!logged.contains(record.dpopPrivateKey.view().toByteArray().toBase64()));
        QVERIFY(!logged.contains(record.dpopPrivateKey.view().toByteArray().toHex()));
        QVERIFY(!logged.contains(token));
    }

    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.restore();
    QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(session.dpopThumbprint(), thumbprint);
    QCOMPARE(stat(*server, "refresh_grants"), 1);
    const int rejectedBefore = stat(*server, "dpop_rejected");

    // The server changes its nonce: the refresh is refused once with
    // use_dpop_nonce (before the grant is looked at) and sent again.
    server->setFaults(QJsonObject {{QStringLiteral("dpop_nonce_rotate"), true}});
    QSignalSpy changed(&session, &Session::accessTokenChanged);
    session.refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "refresh_grants"), 2);
    QCOMPARE(stat(*server, "reuse_detected"), 0);
    QVERIFY(stat(*server, "dpop_rejected") > rejectedBefore);
    server->clearFaults();
    QCOMPARE(authenticatedGet(session, apiMe(*server)), 200);

    // Revocation carries a proof of the same key (a bound token, §5).
    QSignalSpy signedOut(&session, &Session::signedOut);
    session.signOut();
    QVERIFY(signedOut.wait(kWait));
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "revocations"), 1);
    QVERIFY(session.dpopThumbprint().isEmpty());
}

void tst_SignInDpop::keyMissingEndsSession_data()
{
    QTest::addColumn<QByteArray>("damage");
    QTest::addColumn<bool>("required");
    QTest::addRow("undecodable key") << QByteArrayLiteral("not a PKCS#8 key") << false;
    QTest::addRow("no key, DPoP required") << QByteArray() << true;
}

void tst_SignInDpop::keyMissingEndsSession()
{
    QFETCH(QByteArray, damage);
    QFETCH(bool, required);
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    SessionConfig config = discoveryConfig(server->baseUrl(), store);
    {
        Session session(config);
        QVERIFY(signIn(session));
    }
    bool found = false;
    AccountRecord record = storedRecord(*store, config.account, &found);
    QVERIFY(found);
    QVERIFY(!record.dpopPrivateKey.isEmpty());
    record.dpopPrivateKey = SecretBytes(QByteArrayView(damage));
    storeRecord(*store, config.account, record);

    if (required)
        config.dpop = DpopMode::Required;
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.restore();
    QVERIFY(errors.wait(kWait));
    const ErrorInfo error = lastError(errors);
    QCOMPARE(error.code, Error::DPoPKeyMissing);
    QVERIFY2(error.message.contains(QLatin1String("DPoP key")), qPrintable(error.message));
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::ReauthenticationRequired, kWait);
    // Nothing was sent with the dead token, and its record is gone.
    QCOMPARE(stat(*server, "refresh_grants"), 0);
    storedRecord(*store, config.account, &found);
    QVERIFY(!found);
}

// RFC 9449 §6.1, §7.1: a stolen DPoP-bound access token is worthless to a
// thief with a key of his own. His proof is valid in itself (right htm, htu,
// ath, a fresh jti), but for another key than the token's cnf.jkt: refused.
// The victim's own requests keep working.
void tst_SignInDpop::stolenTokenWithAnotherKeysProof()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    Session session(discoveryConfig(server->baseUrl(), store));
    QVERIFY(signIn(session));
    QCOMPARE(authenticatedGet(session, apiMe(*server)), 200);
    const QByteArray token = session.accessTokenForExternalUse().view().toByteArray();
    QVERIFY(!token.isEmpty());
    const qint64 rejectedBefore = stat(*server, "dpop_rejected");

    const std::unique_ptr<Internal::SoftwareDpopKey> thief = Internal::SoftwareDpopKey::generate();
    QVERIFY(thief);
    QVERIFY(thief->thumbprint() != session.dpopThumbprint().toLatin1());
    Internal::DpopProofRequest request;
    request.method = "GET";
    request.uri = apiMe(*server);
    request.ath = Internal::dpopAccessTokenHash(token);
    request.issuedAt = QDateTime::currentSecsSinceEpoch();
    const QByteArray proof = Internal::buildDpopProof(*thief, request);
    QVERIFY(!proof.isEmpty());
    QNetworkAccessManager plain;
    const HttpResult replay = send(plain, "GET", apiMe(*server), {},
                                   {{QByteArrayLiteral("Authorization"), "DPoP " + token},
                                    {QByteArrayLiteral("DPoP"), proof}});
    QCOMPARE(replay.status, 401);
    // Refused for the binding, not for a flaw of the proof itself.
    QVERIFY2(replay.body.contains("Invalid DPoP key binding"), replay.body.constData());
    QCOMPARE(stat(*server, "dpop_rejected"), rejectedBefore + 1);

    // The same request with the victim's key, through the SDK: accepted.
    QCOMPARE(authenticatedGet(session, apiMe(*server)), 200);
}

// RFC 9449 §8 has the server check the proof (and its nonce) before it
// processes the grant. A server that rotates the refresh token first and only
// then asks for a nonce has consumed it: the one resend the SDK makes with the
// new nonce presents a used token, which is reuse (RFC 9700 §4.14.2). The
// session ends cleanly, as docs/security-model.md says: one resend, no loop,
// nothing stored.
void tst_SignInDpop::serverThatConsumesBeforeTheNonce()
{
    ServerConfig serverConfig;
    serverConfig.dpopNonce = true;
    auto server = startMockServer(serverConfig);
    auto store = std::make_shared<ScriptedSecretStore>();
    SessionConfig config = discoveryConfig(server->baseUrl(), store);
    Session session(config);
    QVERIFY(signIn(session));
    QVERIFY(!session.dpopThumbprint().isEmpty());
    // The sign-in's own userinfo request meets nonces of its own: over first.
    QTRY_VERIFY_WITH_TIMEOUT(!session.isFetchingUserInfo(), kWait);
    const int challenges = stat(*server, "dpop_nonce_challenges");
    const int reuse = stat(*server, "reuse_detected");

    server->setFaults(QJsonObject {{QStringLiteral("dpop_consume_before_nonce"), true},
                                   {QStringLiteral("dpop_nonce_rotate"), true}});
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.refresh();
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::ReauthenticationRequired, kWait);
    QCOMPARE(lastError(errors).code, Error::InvalidGrant);
    QCOMPARE(stat(*server, "dpop_nonce_challenges"), challenges + 1); // one resend
    QCOMPARE(stat(*server, "reuse_detected"), reuse + 1);
    bool found = true;
    storedRecord(*store, config.account, &found);
    QVERIFY(!found);
    // Nothing is tried again with the dead token.
    QCOMPARE(authenticatedGet(session, apiMe(*server)), 0);
    QCOMPARE(stat(*server, "reuse_detected"), reuse + 1);
}

// RFC 9449 §9: the UserInfo endpoint is a resource server with nonces of its
// own; its 401 use_dpop_nonce is answered by one resend with the nonce it
// gave, not by a refresh (which would bring no nonce for it). Seen failing
// first: the sign-in's userinfo request refreshed, then failed.
void tst_SignInDpop::userInfoAnswersItsNonceWithoutARefresh()
{
    ServerConfig serverConfig;
    serverConfig.dpopNonce = true;
    auto server = startMockServer(serverConfig);
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy received(&session, &Session::userInfoReceived);
    QSignalSpy failed(&session, &Session::userInfoFailed);
    QVERIFY(signIn(session));
    QTRY_VERIFY_WITH_TIMEOUT(!received.isEmpty() || !failed.isEmpty(), kWait);
    QVERIFY2(failed.isEmpty(),
             qPrintable(failed.isEmpty() ? QString() : lastError(failed).message));
    QCOMPARE(received.first().at(0).toMap().value(QStringLiteral("sub")).toString(),
             QStringLiteral("alice"));
    QCOMPARE(stat(*server, "refresh_grants"), 0);
    QCOMPARE(stat(*server, "userinfo_requests"), 2); // the nonce asked for, then the answer

    // Later requests carry the nonce it handed out: no new challenge.
    const int challenges = stat(*server, "dpop_nonce_challenges");
    session.fetchUserInfo();
    QVERIFY(received.wait(kWait));
    QCOMPARE(stat(*server, "userinfo_requests"), 3);
    QCOMPARE(stat(*server, "dpop_nonce_challenges"), challenges);
}

void tst_SignInDpop::offIsBearer()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    SessionConfig config = discoveryConfig(server->baseUrl(), store);
    config.dpop = DpopMode::Off;
    Session session(config);
    QVERIFY(signIn(session));
    QVERIFY(session.dpopThumbprint().isEmpty());
    QCOMPARE(stat(*server, "dpop_proofs"), 0);
    // A bearer token works as one.
    const QByteArray token = session.accessTokenForExternalUse().view().toByteArray();
    QNetworkAccessManager plain;
    QCOMPARE(send(plain, "GET", apiMe(*server), {},
                  {{QByteArrayLiteral("Authorization"), "Bearer " + token}})
                     .status,
             200);
    bool found = false;
    QVERIFY(storedRecord(*store, config.account, &found).dpopPrivateKey.isEmpty());
    QVERIFY(found);
}

void tst_SignInDpop::requiredWithoutProviderSupport()
{
    auto server = startMockServer();
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.dpop = DpopMode::Required;
    // As if the provider's metadata listed only another algorithm.
    config.dpopSigningAlgValues = QStringList {QStringLiteral("RS256")};
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InvalidConfiguration);
    QVERIFY(!session.isSignedIn());
    QCOMPARE(stat(*server, "password_grants"), 0);
}

void tst_SignInDpop::clockSkew_data()
{
    QTest::addColumn<qint64>("offset");
    QTest::addRow("server 10 min ahead") << qint64(600);
    QTest::addRow("server 10 min behind") << qint64(-600);
}

void tst_SignInDpop::clockSkew()
{
    // RFC 9449 §11.1: the server takes proofs within 60 s of its own clock.
    // Its refusal carries its Date: the proof is made again with that offset,
    // once, and the offset is kept for the refresh.
    QFETCH(qint64, offset);
    ServerConfig serverConfig;
    serverConfig.clockOffset = offset;
    auto server = startMockServer(serverConfig);
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    // Without openid: an ID token's own time checks are not what this is about.
    config.scopes = QStringList {QStringLiteral("items")};
    Session session(config);
    QVERIFY(signIn(session));
    QCOMPARE(stat(*server, "password_grants"), 1);
    const int rejected = stat(*server, "dpop_rejected");
    QCOMPARE(rejected, 1);
    QSignalSpy errors(&session, &Session::errorOccurred);
    QSignalSpy changed(&session, &Session::accessTokenChanged);
    session.refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "dpop_rejected"), rejected); // the offset was kept
}

void tst_SignInDpop::deviceFlowBound()
{
    // RFC 8628 polls are token requests: each carries a proof (with the
    // server's nonce after the first), and the grant is bound to the key.
    ServerConfig serverConfig;
    serverConfig.dpopNonce = true;
    auto server = startMockServer(serverConfig);
    Session session(discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
    QSignalSpy ready(&session, &Session::deviceCodeReady);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithDeviceCode();
    QVERIFY(ready.wait(kWait));
    QTRY_VERIFY_WITH_TIMEOUT(stat(*server, "device_polls") >= 1, kWait);
    // The person approves on another device.
    QNetworkAccessManager browser;
    const QUrl page = ready.first().at(2).toUrl();
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("user_code"), ready.first().at(0).toString());
    form.addQueryItem(QStringLiteral("username"), QStringLiteral("alice"));
    form.addQueryItem(QStringLiteral("password"), QStringLiteral("wonderland"));
    form.addQueryItem(QStringLiteral("action"), QStringLiteral("allow"));
    QCOMPARE(send(browser, "POST", page, formBody(form)).status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "device_grants"), 1);
    QCOMPARE(session.dpopThumbprint().size(), 43);
    QCOMPARE(authenticatedGet(session, apiMe(*server)), 200);
    const QByteArray token = session.accessTokenForExternalUse().view().toByteArray();
    QCOMPARE(send(browser, "GET", apiMe(*server), {},
                  {{QByteArrayLiteral("Authorization"), "Bearer " + token}})
                     .status,
             401);
}

QTEST_GUILESS_MAIN(tst_SignInDpop)
#include "tst_signin_dpop.moc"
