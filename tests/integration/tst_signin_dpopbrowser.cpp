// SPDX-License-Identifier: MIT
// DPoP on the authorization request (RFC 9449 §10) against the in-process mock
// server: a browser sign-in binds the authorization code to the session's key,
// with dpop_jkt in the browser's URL (§10) or with a DPoP proof on the pushed
// authorization request (§10.1, RFC 9126). The PAR endpoint's use_dpop_nonce
// is answered by exactly one resend with its nonce. A code bound to the key
// cannot be redeemed by someone else's key, even with the right PKCE verifier;
// the key the code was bound to is the one stored with the refresh token.

#include "mockserverfixture.h"
#include "session/dpopkey_p.h"
#include "session/dpopproof_p.h"
#include "tst_signin_dpop_helpers.h"
#include "tst_signin_helpers.h"

#include <QCryptographicHash>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using namespace DpopTest;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {

QUrl serverUrl(const Mock::MockAuthServer &server, const char *path)
{
    return server.baseUrl().resolved(QUrl(QString::fromLatin1(path)));
}

QByteArray b64url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

//! The thumbprint of the DPoP key in \a record (empty: none, or not decodable).
QByteArray recordThumbprint(const AccountRecord &record)
{
    QString why;
    const auto key = Internal::SoftwareDpopKey::fromPrivateKey(record.dpopPrivateKey, &why);
    return key ? key->thumbprint() : QByteArray();
}

//! Signs \a session in through \a browser; false (and why, logged) otherwise.
bool browserSignIn(Session &session)
{
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    if (!QTest::qWaitFor([&] { return session.isSignedIn() || !errors.isEmpty(); }, kWait))
        qWarning("the sign-in did not finish");
    if (!errors.isEmpty())
        qWarning() << lastError(errors);
    return errors.isEmpty() && session.isSignedIn();
}

} // namespace

class tst_SignInDpopBrowser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void unpushedRequestCarriesDpopJkt_data();
    void unpushedRequestCarriesDpopJkt();
    void codeBoundByDpopJktRefusesAnotherKey();
    void pushedRequestCarriesProof_data();
    void pushedRequestCarriesProof();
    void pushedNonceChallengeOneResend();
    void pushedNonceRefusedAgainNoLoop();
    void dpopJktIsTheSdks();
};

void tst_SignInDpopBrowser::unpushedRequestCarriesDpopJkt_data()
{
    QTest::addColumn<int>("modeValue"); // a DpopMode
    QTest::addRow("if supported") << int(DpopMode::IfSupported);
    QTest::addRow("required") << int(DpopMode::Required);
    QTest::addRow("off") << int(DpopMode::Off);
}

// RFC 9449 §10: without PAR the authorization request names the key by its
// RFC 7638 thumbprint, and the server binds the code to it. The key is the one
// the SDK then stores with the refresh token and shows as the session's jkt.
void tst_SignInDpopBrowser::unpushedRequestCarriesDpopJkt()
{
    QFETCH(int, modeValue);
    const auto mode = DpopMode(modeValue);
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    FakeBrowser browser;
    SessionConfig config = discoveryConfig(server->baseUrl(), store);
    config.dpop = mode;
    config.openBrowser = browser.opener();
    Session session(config);
    QVERIFY(browserSignIn(session));
    QCOMPARE(stat(*server, "authorization_code_grants"), 1);
    const QString jkt = queryValue(browser.authorizationUrl, QStringLiteral("dpop_jkt"));
    if (mode == DpopMode::Off) {
        QVERIFY(!QUrlQuery(browser.authorizationUrl).hasQueryItem(QStringLiteral("dpop_jkt")));
        QCOMPARE(stat(*server, "dpop_bound_codes"), 0);
        QVERIFY(session.dpopThumbprint().isEmpty());
        return;
    }
    QCOMPARE(jkt.size(), 43); // base64url of a SHA-256
    QCOMPARE(jkt, session.dpopThumbprint());
    QCOMPARE(stat(*server, "dpop_bound_codes"), 1);
    QCOMPARE(stat(*server, "par_requests"), 0);
    bool found = false;
    const AccountRecord record = storedRecord(*store, config.account, &found);
    QVERIFY(found);
    QCOMPARE(QString::fromLatin1(recordThumbprint(record)), jkt);
    QCOMPARE(authenticatedGet(session, serverUrl(*server, "/api/me")), 200);
}

// RFC 9449 §10: a code bound to the key by dpop_jkt is worthless to someone who
// intercepts it, even when he also controls PKCE (here: a thief who swapped the
// code_challenge in the URL for his own, so his verifier is right): his proof
// is of another key. Without any proof it is refused too. The SDK's own
// redemption with its key then succeeds.
void tst_SignInDpopBrowser::codeBoundByDpopJktRefusesAnotherKey()
{
    auto server = startMockServer();
    QUrl opened;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.openBrowser = [&opened](const QUrl &url) {
        opened = url;
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QTRY_VERIFY_WITH_TIMEOUT(opened.isValid() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));

    const QByteArray verifier = b64url(QByteArray(48, 'v'));
    const QString challenge = QString::fromLatin1(
            b64url(QCryptographicHash::hash(verifier, QCryptographicHash::Sha256)));
    const QString redirectUri = queryValue(opened, QStringLiteral("redirect_uri"));
    const auto stealCode = [&]() {
        QUrl url = opened;
        QUrlQuery query(url);
        query.removeQueryItem(QStringLiteral("code_challenge"));
        query.addQueryItem(QStringLiteral("code_challenge"), challenge);
        url.setQuery(query);
        QNetworkAccessManager nam;
        QUrlQuery form = hiddenFields(send(nam, "GET", url).body);
        form.addQueryItem(QStringLiteral("username"), QStringLiteral("alice"));
        form.addQueryItem(QStringLiteral("password"), QStringLiteral("wonderland"));
        form.addQueryItem(QStringLiteral("action"), QStringLiteral("allow"));
        // The redirect back is not followed: the thief keeps the code.
        const HttpResult posted
                = send(nam, "POST", serverUrl(*server, "/oauth/authorize"), formBody(form));
        return queryValue(posted.location, QStringLiteral("code"));
    };
    const auto redeem = [&](const QString &code, const QByteArray &proof) {
        QUrlQuery form;
        form.addQueryItem(QStringLiteral("grant_type"), QStringLiteral("authorization_code"));
        form.addQueryItem(QStringLiteral("code"), code);
        form.addQueryItem(QStringLiteral("redirect_uri"), redirectUri);
        form.addQueryItem(QStringLiteral("client_id"), QStringLiteral("demo"));
        form.addQueryItem(QStringLiteral("code_verifier"), QString::fromLatin1(verifier));
        QList<QPair<QByteArray, QByteArray>> headers;
        if (!proof.isEmpty())
            headers.append({QByteArrayLiteral("DPoP"), proof});
        QNetworkAccessManager nam;
        return send(nam, "POST", serverUrl(*server, "/oauth/token"), formBody(form), headers);
    };

    const auto thief = Internal::SoftwareDpopKey::generate();
    QVERIFY(thief);
    Internal::DpopProofRequest proofRequest;
    proofRequest.method = "POST";
    proofRequest.uri = serverUrl(*server, "/oauth/token");
    proofRequest.issuedAt = QDateTime::currentSecsSinceEpoch();
    const QString withOtherKey = stealCode();
    QVERIFY(!withOtherKey.isEmpty());
    const HttpResult other = redeem(withOtherKey, Internal::buildDpopProof(*thief, proofRequest));
    QCOMPARE(other.status, 400);
    QVERIFY2(other.body.contains("invalid_dpop_proof"), other.body.constData());
    const QString withoutProof = stealCode();
    QVERIFY(!withoutProof.isEmpty());
    const HttpResult bare = redeem(withoutProof, {});
    QCOMPARE(bare.status, 400);
    QCOMPARE(stat(*server, "authorization_code_grants"), 0);
    QCOMPARE(stat(*server, "dpop_bound_codes"), 2);

    // The real browser: the SDK redeems its code with its key.
    FakeBrowser browser;
    browser.run(opened);
    QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(stat(*server, "authorization_code_grants"), 1);
    QCOMPARE(queryValue(opened, QStringLiteral("dpop_jkt")), session.dpopThumbprint());
    QVERIFY(thief->thumbprint() != session.dpopThumbprint().toLatin1());
}

void tst_SignInDpopBrowser::pushedRequestCarriesProof_data()
{
    QTest::addColumn<int>("modeValue"); // a DpopMode
    QTest::addRow("if supported") << int(DpopMode::IfSupported);
    QTest::addRow("off") << int(DpopMode::Off);
}

// RFC 9449 §10.1: the pushed request carries a proof (htm POST, htu the PAR
// endpoint); the server binds the code to its key; the browser's URL holds
// only client_id and request_uri.
void tst_SignInDpopBrowser::pushedRequestCarriesProof()
{
    QFETCH(int, modeValue);
    const auto mode = DpopMode(modeValue);
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    FakeBrowser browser;
    SessionConfig config = discoveryConfig(server->baseUrl(), store);
    config.usePushedAuthorizationRequests = true;
    config.dpop = mode;
    config.openBrowser = browser.opener();
    Session session(config);
    QVERIFY(browserSignIn(session));
    QCOMPARE(stat(*server, "par_requests"), 1);
    QCOMPARE(QUrlQuery(browser.authorizationUrl).queryItems().size(), 2);
    QCOMPARE(stat(*server, "authorization_code_grants"), 1);
    if (mode == DpopMode::Off) {
        QCOMPARE(stat(*server, "par_dpop_proofs"), 0);
        QCOMPARE(stat(*server, "dpop_bound_codes"), 0);
        QCOMPARE(stat(*server, "dpop_proofs"), 0);
        return;
    }
    QCOMPARE(stat(*server, "par_dpop_proofs"), 1); // a valid proof, checked by the server
    QCOMPARE(stat(*server, "dpop_bound_codes"), 1);
    QCOMPARE(stat(*server, "dpop_rejected"), 0);
    bool found = false;
    const AccountRecord record = storedRecord(*store, config.account, &found);
    QVERIFY(found);
    QCOMPARE(QString::fromLatin1(recordThumbprint(record)), session.dpopThumbprint());
    // The tokens are bound to the same key: a bearer replay is refused.
    QCOMPARE(authenticatedGet(session, serverUrl(*server, "/api/me")), 200);
    const QByteArray token = session.accessTokenForExternalUse().view().toByteArray();
    QNetworkAccessManager plain;
    QCOMPARE(send(plain, "GET", serverUrl(*server, "/api/me"), {},
                  {{QByteArrayLiteral("Authorization"), "Bearer " + token}})
                     .status,
             401);
}

// RFC 9449 §8, §10.1: a PAR endpoint that requires its nonce refuses the
// first proof with use_dpop_nonce and a DPoP-Nonce; the request is pushed
// once more with it, and the token request reuses it (same server).
void tst_SignInDpopBrowser::pushedNonceChallengeOneResend()
{
    ServerConfig serverConfig;
    serverConfig.dpopNonce = true;
    auto server = startMockServer(serverConfig);
    FakeBrowser browser;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.usePushedAuthorizationRequests = true;
    // Without openid: no userinfo request, whose nonces are its own.
    config.scopes = QStringList {QStringLiteral("items")};
    config.openBrowser = browser.opener();
    Session session(config);
    QVERIFY(browserSignIn(session));
    QCOMPARE(stat(*server, "dpop_nonce_challenges"), 1);
    QCOMPARE(stat(*server, "dpop_rejected"), 1);
    QCOMPARE(stat(*server, "par_requests"), 1);
    QCOMPARE(stat(*server, "par_dpop_proofs"), 1);
    QCOMPARE(stat(*server, "dpop_bound_codes"), 1);
    QCOMPARE(stat(*server, "authorization_code_grants"), 1);
    QCOMPARE(session.dpopThumbprint().size(), 43);
}

// A server that keeps answering use_dpop_nonce gets one resend, not a loop:
// the sign-in fails with its error, and no browser is opened.
void tst_SignInDpopBrowser::pushedNonceRefusedAgainNoLoop()
{
    auto server = startMockServer();
    server->setFaults(
            QJsonObject {{QStringLiteral("dpop_reject"), QStringLiteral("use_dpop_nonce")},
                         {QStringLiteral("dpop_reject_times"), 3}});
    bool opened = false;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.usePushedAuthorizationRequests = true;
    config.openBrowser = [&opened](const QUrl &) {
        opened = true;
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    const ErrorInfo error = lastError(errors);
    QCOMPARE(error.oauthError, QStringLiteral("use_dpop_nonce"));
    QVERIFY2(error.message.contains(QLatin1String("pushed authorization request")),
             qPrintable(error.message));
    QCOMPARE(stat(*server, "dpop_nonce_challenges"), 2); // the first and the one resend
    QCOMPARE(stat(*server, "par_requests"), 0);
    QVERIFY(!opened);
    QCOMPARE(session.state(), Session::State::SignedOut);
    QVERIFY(session.dpopThumbprint().isEmpty());
}

// dpop_jkt is the SDK's to set (from the session's key): as an extra
// parameter it is refused, naming it, before anything is sent.
void tst_SignInDpopBrowser::dpopJktIsTheSdks()
{
    auto server = startMockServer();
    bool opened = false;
    SessionConfig config
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    config.extraAuthorizationParameters.insert(QStringLiteral("dpop_jkt"),
                                               QString(43, QLatin1Char('A')));
    config.openBrowser = [&opened](const QUrl &) {
        opened = true;
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithBrowser();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InvalidConfiguration);
    QVERIFY2(lastError(errors).message.contains(QLatin1String("\"dpop_jkt\"")),
             qPrintable(lastError(errors).message));
    QVERIFY(!opened);
}

QTEST_GUILESS_MAIN(tst_SignInDpopBrowser)
#include "tst_signin_dpopbrowser.moc"
