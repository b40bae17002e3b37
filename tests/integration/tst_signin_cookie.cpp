// SPDX-License-Identifier: MIT
// The cookie transport (web-app style /auth/login, /auth/refresh,
// /auth/logout with a CSRF header) against the in-process mock server.

#include "mockserverfixture.h"
#include "tst_signin_helpers.h"

#include "signin/cookietransportparsing_p.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QJsonArray>
#include <QNetworkCookieJar>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using Mock::MockAuthServer;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {
struct InspectableJar : QNetworkCookieJar
{
    using QNetworkCookieJar::allCookies;
};
} // namespace

class tst_SignInCookie : public QObject
{
    Q_OBJECT

private:
    static SessionConfig cookieConfig(const QUrl &base, std::shared_ptr<SecretStore> store)
    {
        SessionConfig config;
        config.transport = RefreshTransportKind::Cookie;
        config.cookieAuthBase = QUrl(base.toString() + QStringLiteral("/auth"));
        config.apiOrigins = {base};
        config.account = QStringLiteral("alice@cookie");
        config.secretStore = std::move(store);
        return config;
    }
    static ErrorInfo lastError(const QSignalSpy &spy)
    {
        return spy.isEmpty() ? ErrorInfo() : spy.last().at(0).value<ErrorInfo>();
    }
    static QByteArray stored(ScriptedSecretStore &store, const QString &account)
    {
        QByteArray out;
        bool done = false;
        QObject context;
        store.read(account, &context, [&](SecretStore::Result result, SecretBytes value) {
            if (result.ok())
                out = value.view().toByteArray();
            done = true;
        });
        if (!QTest::qWaitFor([&] { return done; }, kWait))
            qWarning("secret store read did not complete");
        return out;
    }

private Q_SLOTS:
    void loginRefreshLogout();
    void wrongPassword();
    void revokedCookieEndsSession();
    void notConfigured();
};

void tst_SignInCookie::loginRefreshLogout()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    const SessionConfig config = cookieConfig(server->baseUrl(), store);
    Session session(config);
    auto *jar = new InspectableJar;
    session.authorizationNetworkAccessManager()->setCookieJar(jar);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithCookieLogin(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(session.subject(), QStringLiteral("alice"));
    QCOMPARE(server->stats().value(QStringLiteral("cookie_logins")).toInt(), 1);
    // The refresh cookie never went into a jar (Set-Cookie is parsed by hand).
    QVERIFY(jar->allCookies().isEmpty());

    // The stored credential is the envelope: the live cookie and a CSRF token.
    QByteArray cookie, csrf;
    const QByteArray first = stored(*store, config.account);
    QVERIFY(parseCookieEnvelope(first, &cookie, &csrf));
    QVERIFY(!csrf.isEmpty());
    const QJsonArray live = server->tokens().value(QStringLiteral("refresh_tokens")).toArray();
    QCOMPARE(live.size(), 1);
    QCOMPARE(cookie, live.first().toString().toLatin1());

    // Refresh: cookie + CSRF header sent, rotated cookie stored before use.
    session.refresh();
    QTRY_COMPARE_WITH_TIMEOUT(session.refreshCount(), 1, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(lastError(errors).message));
    QCOMPARE(server->stats().value(QStringLiteral("cookie_refreshes")).toInt(), 1);
    QCOMPARE(server->stats().value(QStringLiteral("csrf_failures")).toInt(), 0);
    QByteArray cookie2, csrf2;
    QVERIFY(parseCookieEnvelope(stored(*store, config.account), &cookie2, &csrf2));
    QVERIFY(cookie2 != cookie);
    QVERIFY(csrf2 != csrf);
    QCOMPARE(cookie2,
             server->tokens()
                     .value(QStringLiteral("refresh_tokens"))
                     .toArray()
                     .first()
                     .toString()
                     .toLatin1());

    // The access token works on the API.
    AuthenticatedNetworkAccessManager api(&session);
    QNetworkReply *reply = api.get(
            QNetworkRequest(QUrl(server->baseUrl().toString() + QStringLiteral("/api/me"))));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(kWait));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    reply->deleteLater();

    // A second session restores from the stored envelope (a new process).
    Session again(config);
    again.restore();
    QTRY_COMPARE_WITH_TIMEOUT(again.state(), Session::State::SignedIn, kWait);
    QCOMPARE(server->stats().value(QStringLiteral("cookie_refreshes")).toInt(), 2);

    // Logout revokes the family on the server and wipes locally.
    QSignalSpy signedOut(&again, &Session::signedOut);
    QSignalSpy againErrors(&again, &Session::errorOccurred);
    again.signOut();
    QVERIFY(signedOut.wait(kWait));
    QVERIFY2(againErrors.isEmpty(), qPrintable(lastError(againErrors).message));
    QCOMPARE(server->stats().value(QStringLiteral("cookie_logouts")).toInt(), 1);
    QCOMPARE(server->stats().value(QStringLiteral("live_families")).toInt(), 0);
    QVERIFY(!store->contains(config.account));
}

void tst_SignInCookie::wrongPassword()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    Session session(cookieConfig(server->baseUrl(), store));
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.signInWithCookieLogin(QStringLiteral("alice"), QStringLiteral("nope"));
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InvalidGrant);
    QCOMPARE(session.state(), Session::State::SignedOut);
    QVERIFY(!store->contains(QStringLiteral("alice@cookie")));
}

void tst_SignInCookie::revokedCookieEndsSession()
{
    auto server = startMockServer();
    auto store = std::make_shared<ScriptedSecretStore>();
    Session session(cookieConfig(server->baseUrl(), store));
    session.signInWithCookieLogin(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), Session::State::SignedIn, kWait);
    // A thief replays the consumed cookie: the server revokes the family.
    server->setFaults(QJsonObject {{QStringLiteral("replay_refresh_token"), true}});
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.refresh();
    QVERIFY(errors.wait(kWait));
    QCOMPARE(lastError(errors).code, Error::InvalidGrant);
    QCOMPARE(session.state(), Session::State::ReauthenticationRequired);
}

void tst_SignInCookie::notConfigured()
{
    // A cookie login on an OAuth session, and a cookie session without URLs.
    auto server = startMockServer();
    SessionConfig oauth
            = discoveryConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    Session a(oauth);
    QSignalSpy errorsA(&a, &Session::errorOccurred);
    a.signInWithCookieLogin(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QVERIFY(errorsA.wait(kWait));
    QCOMPARE(lastError(errorsA).code, Error::InvalidConfiguration);

    SessionConfig cookie = cookieConfig(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
    cookie.cookieAuthBase = QUrl(QStringLiteral("http://example.com/auth"));
    Session b(cookie);
    QSignalSpy errorsB(&b, &Session::errorOccurred);
    b.signInWithCookieLogin(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QVERIFY(errorsB.wait(kWait));
    QCOMPARE(lastError(errorsB).code, Error::InsecureTransport);
    QCOMPARE(server->stats().value(QStringLiteral("cookie_logins")).toInt(), 0);
}

QTEST_GUILESS_MAIN(tst_SignInCookie)
#include "tst_signin_cookie.moc"
