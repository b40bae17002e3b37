// SPDX-License-Identifier: MIT
// The secure record kept per account: bound to the issuer and client it came
// from (another application's record is never sent anywhere), migrated from
// the bare refresh tokens an earlier release stored, and carrying what must
// survive a restart (verified identity, granted scope).

#include "mockserverfixture.h"
#include "scriptedhttpserver.h"
#include "scriptedsecretstore.h"
#include "session/accountrecord_p.h"

#include <securetokens/session.h>

#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using Mock::MockAuthServer;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {

constexpr int kWait = 10000;

SessionConfig configFor(const QUrl &base, std::shared_ptr<SecretStore> store,
                        const QString &clientId = QStringLiteral("demo"))
{
    SessionConfig config;
    config.issuer = base;
    config.tokenEndpoint = QUrl(base.toString() + QStringLiteral("/oauth/token"));
    config.revocationEndpoint = QUrl(base.toString() + QStringLiteral("/oauth/revoke"));
    config.clientId = clientId;
    // The same namespace for both "applications": what two apps that keep a
    // shared default get (finding 3 of the security review).
    config.storageService = QStringLiteral("shared");
    config.account = QStringLiteral("default");
    config.secretStore = std::move(store);
    return config;
}

bool signIn(Session &session)
{
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    return QTest::qWaitFor([&] { return session.state() == Session::State::SignedIn; }, kWait);
}

bool restore(Session &session)
{
    session.restore();
    return QTest::qWaitFor([&] { return session.state() != Session::State::Restoring; }, kWait);
}

qint64 stat(const MockAuthServer &server, const char *name)
{
    return server.stats().value(QLatin1String(name)).toInteger();
}

} // namespace

class tst_StoredAccount : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void anotherAppsTokenIsNeverSent();
    void anotherClientsTokenIsNeverSent();
    void legacyValueIsMigrated();
    void identitySurvivesARestart();
    void signInWithoutRefreshTokenReplacesTheStoredOne();
    void narrowedScopeIsVisible();
};

// App A and app B keep their tokens under the same service and account name.
// B must not send A's refresh token to B's server, and must not delete it.
void tst_StoredAccount::anotherAppsTokenIsNeverSent()
{
    auto serverA = startMockServer();
    auto serverB = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    {
        Session appA(configFor(serverA->baseUrl(), store));
        QVERIFY(signIn(appA));
    }
    QVERIFY(store->contains(QStringLiteral("default")));
    const SecretBytes storedByA = store->peek(QStringLiteral("default"));

    Session appB(configFor(serverB->baseUrl(), store));
    QSignalSpy errors(&appB, &Session::errorOccurred);
    QVERIFY(restore(appB));
    QCOMPARE(appB.state(), Session::State::SignedOut);
    QVERIFY(!errors.isEmpty());
    QCOMPARE(errors.last().at(0).value<ErrorInfo>().code, Error::AccountMismatch);
    // Nothing reached B's server, and A's record is untouched.
    QCOMPARE(stat(*serverB, "refresh_grants"), 0);
    QCOMPARE(stat(*serverB, "token_errors"), 0);
    QVERIFY(store->peek(QStringLiteral("default")).equals(storedByA));

    Session appAAgain(configFor(serverA->baseUrl(), store));
    QVERIFY(restore(appAAgain));
    QCOMPARE(appAAgain.state(), Session::State::SignedIn);
}

// The same server, another client id: not ours either.
void tst_StoredAccount::anotherClientsTokenIsNeverSent()
{
    ServerConfig serverConfig;
    serverConfig.clients = {QStringLiteral("demo"), QStringLiteral("other")};
    auto server = startMockServer(serverConfig);
    auto store = std::make_shared<ScriptedSecretStore>();
    {
        Session demo(configFor(server->baseUrl(), store));
        QVERIFY(signIn(demo));
    }
    Session other(configFor(server->baseUrl(), store, QStringLiteral("other")));
    QSignalSpy errors(&other, &Session::errorOccurred);
    QVERIFY(restore(other));
    QCOMPARE(other.state(), Session::State::SignedOut);
    QVERIFY(!errors.isEmpty());
    const ErrorInfo error = errors.last().at(0).value<ErrorInfo>();
    QCOMPARE(error.code, Error::AccountMismatch);
    // The message says which side is which (never a secret).
    QVERIFY2(error.message.contains(QLatin1String("\"demo\""))
                     && error.message.contains(QLatin1String("\"other\"")),
             qPrintable(error.message));
    QCOMPARE(stat(*server, "refresh_grants"), 0);
}

// A refresh token stored by an earlier release (the bare token) is read once,
// used with the configured server and rewritten as a bound record: upgrading
// signs nobody out.
void tst_StoredAccount::legacyValueIsMigrated()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    const SessionConfig config = configFor(server->baseUrl(), store);
    {
        // How 0.1.0 stored it: the refresh token itself.
        Session session(config);
        QVERIFY(signIn(session));
        const SecretBytes stored = store->peek(config.account);
        AccountRecord record;
        QVERIFY(!decodeAccountRecord(stored.view(), &record).isError());
        bool done = false;
        store->write(config.account, record.refreshToken, this,
                     [&](SecretStore::Result result) { done = result.ok(); });
        QTRY_VERIFY(done);
    }
    AccountRecord before;
    QVERIFY(!decodeAccountRecord(store->peek(config.account).view(), &before).isError());
    QVERIFY(before.legacy);

    Session upgraded(config);
    QVERIFY(restore(upgraded));
    QCOMPARE(upgraded.state(), Session::State::SignedIn);
    AccountRecord after;
    QVERIFY(!decodeAccountRecord(store->peek(config.account).view(), &after).isError());
    QVERIFY(!after.legacy);
    QCOMPARE(after.clientId, config.clientId);
    QCOMPARE(after.issuer, config.issuer.toString());
    QVERIFY(checkAccountBinding(after, config).code == Error::NoError);
}

// What the user is (verified claims) and what was granted come back with the
// record in a new process, without a network round trip for them.
void tst_StoredAccount::identitySurvivesARestart()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    SessionConfig config = configFor(server->baseUrl(), store);
    config.scopes = {QStringLiteral("profile")};
    // The password grant brings no ID token: no verified identity, so no subject
    // (finding 9: the access token's payload is never trusted for it).
    {
        Session session(config);
        QVERIFY(signIn(session));
        QVERIFY(session.subject().isEmpty());
        QVERIFY(session.idTokenClaims().isEmpty());
        QCOMPARE(session.grantedScopes(), QStringList {QStringLiteral("profile")});
    }
    Session restored(config);
    QVERIFY(restore(restored));
    QCOMPARE(restored.state(), Session::State::SignedIn);
    QVERIFY(restored.subject().isEmpty());
    QCOMPARE(restored.grantedScopes(), QStringList {QStringLiteral("profile")});
}

// A sign-in that brings no refresh token ends any stored session of the
// account: nothing of an earlier sign-in is left to be sent anywhere later.
void tst_StoredAccount::signInWithoutRefreshTokenReplacesTheStoredOne()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    {
        Session first(configFor(server->baseUrl(), store));
        QVERIFY(signIn(first));
    }
    QVERIFY(store->contains(QStringLiteral("default")));

    ScriptedHttpServer noRefresh;
    QVERIFY(noRefresh.listen());
    noRefresh.enqueue(ScriptedHttpServer::json(
            200, R"({"access_token":"at-1","token_type":"Bearer","expires_in":600})"));
    SessionConfig config;
    config.tokenEndpoint = noRefresh.url(QStringLiteral("/token"));
    config.clientId = QStringLiteral("demo");
    config.storageService = QStringLiteral("shared");
    config.account = QStringLiteral("default");
    config.secretStore = store;
    Session second(config);
    QVERIFY(signIn(second));
    QTRY_VERIFY_WITH_TIMEOUT(!store->contains(QStringLiteral("default")), kWait);
}

// Finding 12: a server may grant less than was asked for (RFC 6749 §3.3: it
// then names the scope it granted). The app sees the downgrade, is told of it,
// and so does a later process; a refresh that narrows it again is seen too.
void tst_StoredAccount::narrowedScopeIsVisible()
{
    ScriptedHttpServer server;
    QVERIFY(server.listen());
    server.enqueue(ScriptedHttpServer::json(
            200,
            R"({"access_token":"at-1","token_type":"Bearer","expires_in":600,)"
            R"("refresh_token":"rt-1","scope":"profile items"})"));
    auto store = std::make_shared<ScriptedSecretStore>();
    SessionConfig config;
    config.tokenEndpoint = server.url(QStringLiteral("/token"));
    config.clientId = QStringLiteral("demo");
    config.storageService = QStringLiteral("narrowed");
    config.secretStore = store;
    config.scopes = {QStringLiteral("profile"), QStringLiteral("email"), QStringLiteral("items")};
    {
        Session session(config);
        QSignalSpy changed(&session, &Session::grantedScopesChanged);
        QVERIFY(signIn(session));
        QCOMPARE(session.grantedScopes(),
                 (QStringList {QStringLiteral("profile"), QStringLiteral("items")}));
        QVERIFY(!session.grantedScopes().contains(QStringLiteral("email")));
        QVERIFY(changed.count() >= 1);

        // A refresh whose answer narrows the grant again.
        server.enqueue(ScriptedHttpServer::json(
                200,
                R"({"access_token":"at-2","token_type":"Bearer","expires_in":600,)"
                R"("refresh_token":"rt-2","scope":"items"})"));
        const int before = changed.count();
        QSignalSpy token(&session, &Session::accessTokenChanged);
        session.refresh();
        QVERIFY(token.wait(kWait));
        QCOMPARE(session.grantedScopes(), QStringList {QStringLiteral("items")});
        QCOMPARE(changed.count(), before + 1);
    }
    // A later process reads what was granted from the record, not what was asked.
    Session restored(config);
    QVERIFY(restore(restored));
    QCOMPARE(restored.grantedScopes(), QStringList {QStringLiteral("items")});
}

QTEST_GUILESS_MAIN(tst_StoredAccount)
#include "tst_storedaccount.moc"
