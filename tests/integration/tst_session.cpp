// SPDX-License-Identifier: MIT
// Session against the real mock authorization server over loopback, and
// against a scripted loopback server for answers a good server never gives.

#include "mockserverfixture.h"
#include "scriptedhttpserver.h"

#include <mockauthserver.h>
#include <securetokens/authenticatednetworkaccessmanager.h>
#include "scriptedsecretstore.h"
#include "session/accountrecord_p.h"
#include <securetokens/session.h>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QMetaMethod>
#include <QMetaProperty>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>

using namespace SecureTokens;
using Mock::MockAuthServer;
using Mock::ServerConfig;
using MockTest::startMockServer;
using Status = SecretStore::Status;

namespace {

constexpr int kWait = 10000;

SessionConfig configFor(const QUrl &base, std::shared_ptr<SecretStore> store)
{
    SessionConfig config;
    config.issuer = base;
    config.tokenEndpoint = QUrl(base.toString() + QStringLiteral("/oauth/token"));
    config.revocationEndpoint = QUrl(base.toString() + QStringLiteral("/oauth/revoke"));
    config.clientId = QStringLiteral("demo");
    // OpenID Connect: the identity (subject) comes from the verified ID token.
    config.scopes = {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("email"),
                     QStringLiteral("items")};
    config.account = QStringLiteral("alice@test");
    config.secretStore = std::move(store);
    return config;
}

//! The refresh token inside the account's stored record (empty when none).
SecretBytes storedRefreshToken(const ScriptedSecretStore &store, const QString &account)
{
    AccountRecord record;
    const SecretBytes stored = store.peek(account);
    if (stored.isEmpty() || decodeAccountRecord(stored.view(), &record).isError())
        return {};
    return std::move(record.refreshToken);
}

QByteArray tokenBody(const QByteArray &access, const QByteArray &refresh, int expiresIn = 600)
{
    QByteArray body = "{\"access_token\":\"" + access
            + "\",\"token_type\":\"Bearer\",\"expires_in\":" + QByteArray::number(expiresIn);
    if (!refresh.isEmpty())
        body += ",\"refresh_token\":\"" + refresh + '"';
    return body + '}';
}

QStringList stringsOf(const QJsonValue &value)
{
    QStringList out;
    for (const QJsonValue &v : value.toArray())
        out.append(v.toString());
    return out;
}

// Everything a QVariant can say about itself, for the "no token reachable" test.
QString dump(const QVariant &value)
{
    if (value.canConvert<ErrorInfo>()) {
        const ErrorInfo e = value.value<ErrorInfo>();
        return e.message + e.oauthError + e.oauthErrorDescription + e.oauthErrorUri.toString();
    }
    QString text;
    QDebug(&text) << value;
    return text + value.toString();
}

// Posts a refresh grant by hand, as another client would.
int refreshByHand(const QUrl &tokenEndpoint, const QString &refreshToken)
{
    QNetworkAccessManager nam;
    QNetworkRequest request(tokenEndpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("grant_type"), QStringLiteral("refresh_token"));
    form.addQueryItem(QStringLiteral("refresh_token"), refreshToken);
    form.addQueryItem(QStringLiteral("client_id"), QStringLiteral("demo"));
    QNetworkReply *reply = nam.post(request, form.query(QUrl::FullyEncoded).toUtf8());
    QSignalSpy finished(reply, &QNetworkReply::finished);
    finished.wait(kWait);
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    delete reply;
    return status;
}

} // namespace

class tst_Session : public QObject
{
    Q_OBJECT

private:
    // Signs in and waits for SignedIn.
    bool signIn(Session &session)
    {
        QSignalSpy state(&session, &Session::stateChanged);
        session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
        return QTest::qWaitFor([&] { return session.state() == Session::State::SignedIn; }, kWait);
    }

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<ErrorInfo>(); }

    void signInStoresRefreshTokenAndKeepsAccessTokenInMemory()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        Session session(configFor(server->baseUrl(), store));
        QSignalSpy errors(&session, &Session::errorOccurred);
        QSignalSpy states(&session, &Session::stateChanged);

        QVERIFY(signIn(session));
        QCOMPARE(errors.count(), 0);
        QCOMPARE(states.first().first().value<Session::State>(), Session::State::SigningIn);
        QVERIFY(session.isSignedIn());
        QCOMPARE(session.subject(), QStringLiteral("alice"));
        QCOMPARE(session.accessTokenFingerprint().size(), 8);
        QVERIFY(session.accessTokenExpiresAt() > QDateTime::currentDateTimeUtc().addSecs(800));

        const QJsonObject tokens = server->tokens();
        const QStringList refresh = stringsOf(tokens.value(QLatin1String("refresh_tokens")));
        const QStringList access = stringsOf(tokens.value(QLatin1String("access_tokens")));
        QCOMPARE(refresh.size(), 1);
        QCOMPARE(access.size(), 1);
        QVERIFY(storedRefreshToken(*store, QStringLiteral("alice@test"))
                        .equals(refresh.first().toLatin1()));
        QVERIFY(session.accessTokenForExternalUse().equals(access.first().toLatin1()));
        QCOMPARE(server->stats().value(QLatin1String("password_grants")).toInt(), 1);
    }

    void restoreInANewSessionObject()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        {
            Session first(configFor(server->baseUrl(), store));
            QVERIFY(signIn(first));
        }
        const QString before
                = stringsOf(server->tokens().value(QLatin1String("refresh_tokens"))).first();

        Session second(configFor(server->baseUrl(), store));
        QSignalSpy errors(&second, &Session::errorOccurred);
        second.restore();
        QCOMPARE(second.state(), Session::State::Restoring);
        QTRY_COMPARE_WITH_TIMEOUT(second.state(), Session::State::SignedIn, kWait);
        QCOMPARE(errors.count(), 0);
        QCOMPARE(second.refreshCount(), 1);
        QCOMPARE(second.subject(), QStringLiteral("alice"));
        QCOMPARE(server->stats().value(QLatin1String("refresh_grants")).toInt(), 1);
        // Rotated, and the rotated token was stored.
        const QString after
                = stringsOf(server->tokens().value(QLatin1String("refresh_tokens"))).first();
        QVERIFY(after != before);
        QVERIFY(storedRefreshToken(*store, QStringLiteral("alice@test")).equals(after.toLatin1()));
    }

    void restoreWithNothingStoredIsSignedOutWithoutError()
    {
        auto server = startMockServer();
        Session session(configFor(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
        QSignalSpy errors(&session, &Session::errorOccurred);
        QSignalSpy states(&session, &Session::stateChanged);
        session.restore();
        QTRY_COMPARE_WITH_TIMEOUT(states.count(), 2, kWait);
        QCOMPARE(session.state(), Session::State::SignedOut);
        QCOMPARE(errors.count(), 0);
        QCOMPARE(server->stats().value(QLatin1String("refresh_grants")).toInt(), 0);
    }

    void restoreDistinguishesStorageFailureFromNoSession_data()
    {
        QTest::addColumn<Status>("status");
        QTest::addColumn<Error>("expected");
        QTest::addRow("locked") << Status::Locked << Error::StorageLocked;
        QTest::addRow("unavailable") << Status::Unavailable << Error::StorageUnavailable;
        QTest::addRow("denied") << Status::AccessDenied << Error::StorageAccessDenied;
        QTest::addRow("failed") << Status::Failed << Error::StorageFailed;
        QTest::addRow("timeout") << Status::Timeout << Error::StorageTimeout;
    }

    void restoreDistinguishesStorageFailureFromNoSession()
    {
        QFETCH(Status, status);
        QFETCH(Error, expected);
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        {
            Session first(configFor(server->baseUrl(), store));
            QVERIFY(signIn(first));
        }
        store->setFailure(ScriptedSecretStore::Operation::Read, status);
        Session second(configFor(server->baseUrl(), store));
        QSignalSpy errors(&second, &Session::errorOccurred);
        second.restore();
        QVERIFY(errors.wait(kWait));
        QCOMPARE(errors.first().first().value<ErrorInfo>().code, expected);
        QTRY_COMPARE(second.state(), Session::State::SignedOut);
        // Nothing lost: the stored token is still there for the next attempt.
        QVERIFY(store->contains(QStringLiteral("alice@test")));
        QCOMPARE(server->stats().value(QLatin1String("refresh_grants")).toInt(), 0);
    }

    void hungStoreTimesOut()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        store->setTimeout(std::chrono::milliseconds(300));
        store->setHang(ScriptedSecretStore::Operation::Read, true);
        Session session(configFor(server->baseUrl(), store));
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.restore();
        QVERIFY(errors.wait(kWait));
        QCOMPARE(errors.first().first().value<ErrorInfo>().code, Error::StorageTimeout);
        QCOMPARE(session.state(), Session::State::SignedOut);
    }

    void wrongPasswordAndUnknownClient_data()
    {
        QTest::addColumn<QString>("client");
        QTest::addColumn<QString>("password");
        QTest::addColumn<Error>("expected");
        QTest::addRow("wrong password") << "demo"
                                        << "nope" << Error::InvalidGrant;
        QTest::addRow("unknown client") << "intruder"
                                        << "wonderland" << Error::InvalidClient;
    }

    void wrongPasswordAndUnknownClient()
    {
        QFETCH(QString, client);
        QFETCH(QString, password);
        QFETCH(Error, expected);
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(server->baseUrl(), store);
        config.clientId = client;
        Session session(config);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithPassword(QStringLiteral("alice"), password);
        QVERIFY(errors.wait(kWait));
        const ErrorInfo error = errors.first().first().value<ErrorInfo>();
        QCOMPARE(error.code, expected);
        QVERIFY(!error.oauthError.isEmpty());
        QVERIFY(error.httpStatus >= 400);
        QTRY_COMPARE(session.state(), Session::State::SignedOut);
        QVERIFY(!store->contains(QStringLiteral("alice@test")));
        QVERIFY(session.accessTokenFingerprint().isEmpty());
    }

    void tokenResponseErrorPathsAtSignIn_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<Error>("expected");
        QTest::addRow("html 200") << 0 << Error::UnexpectedContentType;
        QTest::addRow("token_type mac") << 1 << Error::UnsupportedTokenType;
        QTest::addRow("no access_token") << 2 << Error::MalformedResponse;
        QTest::addRow("huge body") << 3 << Error::ResponseTooLarge;
        QTest::addRow("500") << 4 << Error::ServerError;
        QTest::addRow("503 + Retry-After") << 5 << Error::TemporarilyUnavailable;
        QTest::addRow("429") << 6 << Error::RateLimited;
        QTest::addRow("connection dropped") << 7 << Error::NetworkError;
        QTest::addRow("no answer") << 8 << Error::Timeout;
        QTest::addRow("redirect") << 9 << Error::MalformedResponse;
        QTest::addRow("not json") << 10 << Error::MalformedResponse;
        QTest::addRow("expires_in negative") << 11 << Error::MalformedResponse;
        QTest::addRow("invalid_scope") << 12 << Error::InvalidScope;
    }

    void tokenResponseErrorPathsAtSignIn()
    {
        QFETCH(int, kind);
        QFETCH(Error, expected);
        ScriptedHttpServer http;
        QVERIFY(http.listen());
        using A = ScriptedHttpServer;
        const QList<A::Answer> answers {
                A::json(200, "<html>hello</html>", "text/html"),
                A::json(200, "{\"access_token\":\"abc\",\"token_type\":\"mac\"}"),
                A::json(200, "{\"token_type\":\"Bearer\",\"expires_in\":60}"),
                A::json(200, "{\"access_token\":\"" + QByteArray(200 * 1024, 'a') + "\"}"),
                A::json(500, "{\"error\":\"server_error\"}"),
                A::json(503, "busy", "text/plain", "Retry-After: 7\r\n"),
                A::json(429, "{\"error\":\"slow_down\"}", "application/json", "Retry-After: 3\r\n"),
                A::Answer {QByteArray(), false},
                A::Answer {QByteArray(), true},
                A::json(302, "", "text/plain", "Location: http://127.0.0.1:1/x\r\n"),
                A::json(200, "{\"access_token\": \"abc\", "),
                A::json(200,
                        "{\"access_token\":\"abc\",\"token_type\":\"Bearer\",\"expires_in\":-5}"),
                A::json(400, "{\"error\":\"invalid_scope\",\"error_description\":\"no\"}"),
        };
        http.enqueue(answers.at(kind));

        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(http.url(), store);
        config.tokenEndpoint = http.url(QStringLiteral("/token"));
        config.requestTimeout = std::chrono::milliseconds(500);
        Session session(config);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
        QVERIFY(errors.wait(kWait));
        const ErrorInfo error = errors.first().first().value<ErrorInfo>();
        QCOMPARE(error.code, expected);
        if (kind == 5)
            QCOMPARE(error.retryAfterSeconds, 7);
        if (kind == 6)
            QCOMPARE(error.retryAfterSeconds, 3);
        QTRY_COMPARE(session.state(), Session::State::SignedOut);
        QVERIFY(!store->contains(QStringLiteral("alice@test")));
        QCOMPARE(errors.count(), 1);
        // The password travelled in the form body, never in the URL.
        QVERIFY(http.lastRequest().startsWith("POST /token HTTP/1.1"));
    }

    void refreshFailureKeepsOrEndsSession_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<Error>("expected");
        QTest::addColumn<bool>("kept");
        auto json = [](int status, const QByteArray &body) {
            return ScriptedHttpServer::json(status, body).raw;
        };
        QTest::addRow("500 keeps") << json(500, "{}") << Error::ServerError << true;
        QTest::addRow("503 keeps") << json(503, "{\"error\":\"temporarily_unavailable\"}")
                                   << Error::TemporarilyUnavailable << true;
        QTest::addRow("429 keeps") << json(429, "{}") << Error::RateLimited << true;
        QTest::addRow("dropped keeps") << QByteArray() << Error::NetworkError << true;
        QTest::addRow("malformed keeps") << json(200, "{]") << Error::MalformedResponse << true;
        QTest::addRow("invalid_request keeps")
                << json(400, "{\"error\":\"invalid_request\"}") << Error::InvalidRequest << true;
        // Issue 19 item 7: only a JSON invalid_grant / invalid_client ends the
        // session. A gateway's own 401/403 page in front of the server says
        // nothing about the grant: transient. A 400 without an error code
        // keeps the session too, as a plain (not transient) failure.
        const QByteArray page = "<html><body><h1>401 Authorization Required</h1></body></html>";
        QTest::addRow("401 gateway html keeps")
                << ScriptedHttpServer::json(401, page, "text/html",
                                            "WWW-Authenticate: Basic realm=\"gw\"\r\n")
                           .raw
                << Error::MalformedResponse << true;
        QTest::addRow("403 gateway html keeps")
                << ScriptedHttpServer::json(403, page, "text/html").raw << Error::MalformedResponse
                << true;
        QTest::addRow("401 json without error keeps")
                << json(401, "{\"message\":\"Unauthorized\"}") << Error::MalformedResponse << true;
        QTest::addRow("401 unknown code keeps")
                << json(401, "{\"error\":\"unauthorized\"}") << Error::MalformedResponse << true;
        QTest::addRow("400 without error code keeps")
                << json(400, "{\"message\":\"bad\"}") << Error::InvalidRequest << true;
        QTest::addRow("invalid_grant ends")
                << json(400, "{\"error\":\"invalid_grant\"}") << Error::InvalidGrant << false;
        QTest::addRow("invalid_client ends")
                << json(401, "{\"error\":\"invalid_client\"}") << Error::InvalidClient << false;
    }

    void refreshFailureKeepsOrEndsSession()
    {
        QFETCH(QByteArray, raw);
        QFETCH(Error, expected);
        QFETCH(bool, kept);
        ScriptedHttpServer http;
        QVERIFY(http.listen());
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-1", "rt-1")));
        http.enqueue({raw, false});

        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(http.url(), store);
        config.tokenEndpoint = http.url(QStringLiteral("/token"));
        config.revocationEndpoint = QUrl();
        Session session(config);
        QVERIFY(signIn(session));
        QVERIFY(storedRefreshToken(*store, config.account).equals(QByteArrayView("rt-1")));

        QSignalSpy errors(&session, &Session::errorOccurred);
        session.refresh();
        QVERIFY(errors.wait(kWait));
        QCOMPARE(errors.first().first().value<ErrorInfo>().code, expected);
        QTRY_VERIFY(session.state() != Session::State::Refreshing);
        QCOMPARE(store->contains(config.account), kept);
        if (kept) {
            QCOMPARE(session.state(), Session::State::SignedIn);
            QCOMPARE(session.isOffline(), isTransient(expected));
        } else {
            QCOMPARE(session.state(), Session::State::ReauthenticationRequired);
            QVERIFY(session.accessTokenFingerprint().isEmpty());
        }
    }

    void transientFailureThenRecovery()
    {
        ScriptedHttpServer http;
        QVERIFY(http.listen());
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-1", "rt-1")));
        // Dropped connections. Qt itself re-sends a request whose connection
        // closed before any answer arrived, so drop every attempt.
        for (int i = 0; i < 5; ++i)
            http.enqueue({QByteArray(), false});
        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(http.url(), store);
        config.tokenEndpoint = http.url(QStringLiteral("/token"));
        Session session(config);
        QVERIFY(signIn(session));
        QSignalSpy offline(&session, &Session::offlineChanged);
        session.refresh();
        QVERIFY(offline.wait(kWait));
        QVERIFY(session.isOffline());
        QTRY_COMPARE(session.state(), Session::State::SignedIn);
        QVERIFY(store->contains(config.account));
        http.clearQueue();
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-2", "rt-2")));
        session.refresh();
        QTRY_VERIFY_WITH_TIMEOUT(!session.isOffline(), kWait);
        QVERIFY(session.accessTokenForExternalUse().equals(QByteArrayView("at-2")));
        QVERIFY(storedRefreshToken(*store, config.account).equals(QByteArrayView("rt-2")));
        // The refresh grant sent the token the store held.
        QVERIFY(http.lastRequest().contains("refresh_token=rt-1"));
    }

    void transientFailureIsRetriedInTheBackground()
    {
        ScriptedHttpServer http;
        QVERIFY(http.listen());
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-1", "rt-1")));
        http.enqueue(ScriptedHttpServer::json(500, "{}"));
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-2", "rt-2")));
        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(http.url(), store);
        config.tokenEndpoint = http.url(QStringLiteral("/token"));
        Session session(config);
        QVERIFY(signIn(session));
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.refresh();
        QVERIFY(errors.wait(kWait));
        QVERIFY(session.isOffline());
        // Nobody asks again: the session retries by itself (backoff 0.5-1 s) and recovers.
        QTRY_VERIFY_WITH_TIMEOUT(!session.isOffline(), kWait);
        QCOMPARE(session.refreshCount(), 1);
        QCOMPARE(http.requestCount(), 3);
        QVERIFY(storedRefreshToken(*store, config.account).equals(QByteArrayView("rt-2")));
        QCOMPARE(errors.count(), 1);
    }

    void requestsDuringBackoffFailPromptly()
    {
        ScriptedHttpServer http;
        QVERIFY(http.listen());
        // A one-second token: renewed proactively at once, and that renewal fails.
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-1", "rt-1", 1)));
        http.enqueue(ScriptedHttpServer::json(503, "{}", "application/json", "Retry-After: 2\r\n"));
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-2", "rt-2")));
        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(http.url(), store);
        config.tokenEndpoint = http.url(QStringLiteral("/token"));
        Session session(config);
        QVERIFY(signIn(session));
        QTRY_VERIFY_WITH_TIMEOUT(session.isOffline(), kWait);
        QCOMPARE(http.requestCount(), 2);

        AuthenticatedNetworkAccessManager manager(&session);
        QNetworkReply *reply = manager.get(QNetworkRequest(http.url(QStringLiteral("/api"))));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(kWait));
        // Answered from the backoff state, before the next attempt reached the server.
        QCOMPARE(http.requestCount(), 2);
        QVERIFY(reply->error() != QNetworkReply::NoError);
        delete reply;

        QTRY_VERIFY_WITH_TIMEOUT(!session.isOffline(), kWait);
        QCOMPARE(http.requestCount(), 3);
        QCOMPARE(session.state(), Session::State::SignedIn);
    }

    void restoreLooksAgainWhenTheKeychainIsNotReady()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        {
            Session first(configFor(server->baseUrl(), store));
            QVERIFY(signIn(first));
        }
        store->setFailure(ScriptedSecretStore::Operation::Read, Status::Unavailable, 1);
        Session second(configFor(server->baseUrl(), store));
        QSignalSpy errors(&second, &Session::errorOccurred);
        second.restore();
        QTRY_COMPARE_WITH_TIMEOUT(second.state(), Session::State::SignedIn, kWait);
        QCOMPARE(errors.count(), 0);
    }

    void refreshWithoutRotationKeepsTheRefreshToken()
    {
        ScriptedHttpServer http;
        QVERIFY(http.listen());
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-1", "rt-1")));
        http.enqueue(ScriptedHttpServer::json(200, tokenBody("at-2", QByteArray())));
        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(http.url(), store);
        config.tokenEndpoint = http.url(QStringLiteral("/token"));
        Session session(config);
        QVERIFY(signIn(session));
        session.refresh();
        QTRY_COMPARE(session.refreshCount(), 1);
        QVERIFY(storedRefreshToken(*store, config.account).equals(QByteArrayView("rt-1")));
        // The record was written once, at sign-in (the account list beside it too).
        QCOMPARE(store->writeCount(config.account), 1);
    }

    void storageFailureAtSignIn_data()
    {
        QTest::addColumn<Status>("status");
        QTest::addColumn<Error>("expected");
        QTest::addRow("unavailable") << Status::Unavailable << Error::StorageUnavailable;
        QTest::addRow("locked") << Status::Locked << Error::StorageLocked;
        QTest::addRow("denied") << Status::AccessDenied << Error::StorageAccessDenied;
        QTest::addRow("too large") << Status::TooLarge << Error::StorageTooLarge;
        QTest::addRow("failed") << Status::Failed << Error::StorageFailed;
        QTest::addRow("timeout") << Status::Timeout << Error::StorageTimeout;
    }

    void storageFailureAtSignIn()
    {
        QFETCH(Status, status);
        QFETCH(Error, expected);
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        if (status == Status::Timeout) {
            store->setTimeout(std::chrono::milliseconds(300));
            store->setHang(ScriptedSecretStore::Operation::Write, true);
        } else {
            store->setFailure(ScriptedSecretStore::Operation::Write, status);
        }
        Session session(configFor(server->baseUrl(), store));
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
        QVERIFY(errors.wait(kWait));
        QCOMPARE(errors.first().first().value<ErrorInfo>().code, expected);
        QCOMPARE(session.state(), Session::State::SignedOut);
        QVERIFY(session.accessTokenFingerprint().isEmpty());
        // Required storage: no silent downgrade, and the orphaned refresh token is revoked.
        QTRY_COMPARE_WITH_TIMEOUT(server->stats().value(QLatin1String("revocations")).toInt(), 1,
                                  kWait);
    }

    void storageWriteFailureAfterRotationKeepsWorkingInMemory()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        Session session(configFor(server->baseUrl(), store));
        QVERIFY(signIn(session));
        store->setFailure(ScriptedSecretStore::Operation::Write, Status::Locked, 1);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.refresh();
        QVERIFY(errors.wait(kWait));
        QCOMPARE(errors.first().first().value<ErrorInfo>().code, Error::StorageLocked);
        QTRY_COMPARE(session.state(), Session::State::SignedIn);
        QCOMPARE(session.refreshCount(), 1);
        // The store still has the consumed token; the next refresh must use the
        // memory copy (the successor), not trigger reuse detection.
        session.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(session.refreshCount(), 2, kWait);
        QCOMPARE(server->stats().value(QLatin1String("reuse_detected")).toInt(), 0);
        const QString live
                = stringsOf(server->tokens().value(QLatin1String("refresh_tokens"))).first();
        QVERIFY(storedRefreshToken(*store, QStringLiteral("alice@test")).equals(live.toLatin1()));
    }

    void anotherSessionRotatedTheStoredToken()
    {
        // Two Session objects sharing one store behave like two processes of
        // one app: the second must pick up the first one's rotation.
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        Session first(configFor(server->baseUrl(), store));
        QVERIFY(signIn(first));
        Session second(configFor(server->baseUrl(), store));
        second.restore();
        QTRY_COMPARE_WITH_TIMEOUT(second.state(), Session::State::SignedIn, kWait);
        QSignalSpy errors(&first, &Session::errorOccurred);
        first.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(first.refreshCount(), 1, kWait);
        QCOMPARE(errors.count(), 0);
        QCOMPARE(server->stats().value(QLatin1String("reuse_detected")).toInt(), 0);
    }

    void concurrentRefreshCallsShareOneGrant()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        Session session(configFor(server->baseUrl(), store));
        QVERIFY(signIn(session));
        for (int i = 0; i < 10; ++i)
            session.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(session.refreshCount(), 1, kWait);
        QTRY_COMPARE(session.state(), Session::State::SignedIn);
        QCOMPARE(server->stats().value(QLatin1String("refresh_grants")).toInt(), 1);
    }

    void proactiveRefreshBeforeExpiry()
    {
        ServerConfig serverConfig;
        serverConfig.accessTtl = 2;
        auto server = startMockServer(serverConfig);
        Session session(configFor(server->baseUrl(), std::make_shared<ScriptedSecretStore>()));
        QVERIFY(signIn(session));
        const QString first = session.accessTokenFingerprint();
        // Renewed at half the lifetime, before it expires.
        QTRY_VERIFY_WITH_TIMEOUT(session.refreshCount() >= 1, 5000);
        QVERIFY(session.accessTokenFingerprint() != first);
        QCOMPARE(server->stats().value(QLatin1String("unauthorized")).toInt(), 0);
    }

    void proactiveRefreshHonoursSubSecondLead()
    {
        ServerConfig serverConfig;
        serverConfig.accessTtl = 2;
        auto server = startMockServer(serverConfig);
        SessionConfig config
                = configFor(server->baseUrl(), std::make_shared<ScriptedSecretStore>());
        config.refreshLeadTime = std::chrono::milliseconds(400);
        Session session(config);
        QVERIFY(signIn(session));
        QElapsedTimer sinceSignIn;
        sinceSignIn.start();
        QSignalSpy renewed(&session, &Session::accessTokenChanged);
        QVERIFY(renewed.wait(5000));
        // Due 1.6 s after the token arrived. The default lead (half of a 2 s
        // lifetime) would renew at 1.0 s, and a lead rounded to whole seconds
        // would fall back to that default. Timers never fire early, so only a
        // lower bound is checked, with room for the time signIn() took to return.
        QVERIFY2(sinceSignIn.elapsed() >= 1200,
                 qPrintable(QStringLiteral("renewed after %1 ms").arg(sinceSignIn.elapsed())));
        QCOMPARE(session.refreshCount(), 1);
        QCOMPARE(server->stats().value(QLatin1String("unauthorized")).toInt(), 0);
    }

    void signOutRevokesAndWipes()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        Session session(configFor(server->baseUrl(), store));
        QVERIFY(signIn(session));
        const QString refresh
                = stringsOf(server->tokens().value(QLatin1String("refresh_tokens"))).first();
        QSignalSpy signedOut(&session, &Session::signedOut);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signOut();
        // The access token is gone at once, before the server answers.
        QVERIFY(session.accessTokenFingerprint().isEmpty());
        QVERIFY(session.accessTokenForExternalUse().isEmpty());
        QVERIFY(signedOut.wait(kWait));
        QCOMPARE(errors.count(), 0);
        QCOMPARE(session.state(), Session::State::SignedOut);
        QVERIFY(!store->contains(QStringLiteral("alice@test")));
        QCOMPARE(server->stats().value(QLatin1String("revocations")).toInt(), 1);
        QCOMPARE(refreshByHand(QUrl(server->baseUrl().toString() + QStringLiteral("/oauth/token")),
                               refresh),
                 400);
    }

    void signOutWithoutReachableServerStillWipes()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(server->baseUrl(), store);
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        config.revocationEndpoint
                = QUrl(QStringLiteral("http://127.0.0.1:%1/oauth/revoke").arg(closed.serverPort()));
        closed.close(); // nothing listens there any more: connection refused
        Session session(config);
        QVERIFY(signIn(session));
        QSignalSpy signedOut(&session, &Session::signedOut);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signOut();
        QVERIFY(signedOut.wait(kWait));
        QCOMPARE(session.state(), Session::State::SignedOut);
        QVERIFY(!store->contains(QStringLiteral("alice@test")));
        QVERIFY(session.accessTokenFingerprint().isEmpty());
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.first().first().value<ErrorInfo>().code, Error::NetworkError);
    }

    void signOutInANewProcessRevokesTheStoredToken()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        {
            Session first(configFor(server->baseUrl(), store));
            QVERIFY(signIn(first));
        }
        Session fresh(configFor(server->baseUrl(), store));
        QSignalSpy signedOut(&fresh, &Session::signedOut);
        fresh.signOut();
        QVERIFY(signedOut.wait(kWait));
        QVERIFY(!store->contains(QStringLiteral("alice@test")));
        QCOMPARE(server->stats().value(QLatin1String("revocations")).toInt(), 1);
    }

    void noTokenReachableThroughTheMetaObjectSystem()
    {
        auto server = startMockServer();
        auto store = std::make_shared<ScriptedSecretStore>();
        Session session(configFor(server->baseUrl(), store));

        // Spy on every signal the Session has.
        std::vector<std::unique_ptr<QSignalSpy>> spies;
        const QMetaObject *meta = session.metaObject();
        for (int i = 0; i < meta->methodCount(); ++i) {
            const QMetaMethod method = meta->method(i);
            if (method.methodType() == QMetaMethod::Signal && method.parameterCount() > 0)
                spies.push_back(std::make_unique<QSignalSpy>(&session, method));
        }
        QVERIFY(signIn(session));
        session.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(session.refreshCount(), 1, kWait);

        QStringList secrets;
        const QJsonObject tokens = server->tokens();
        secrets << stringsOf(tokens.value(QLatin1String("access_tokens")))
                << stringsOf(tokens.value(QLatin1String("refresh_tokens")));
        QCOMPARE(secrets.size(), 3);

        auto check = [&](const QString &where, const QString &text) {
            for (const QString &secret : secrets) {
                QVERIFY2(!text.contains(secret), qPrintable(where));
                // No partial leak either (a token split across fields).
                QVERIFY2(!text.contains(secret.mid(secret.size() / 2, 16)), qPrintable(where));
            }
        };
        for (int i = 0; i < meta->propertyCount(); ++i) {
            const QMetaProperty property = meta->property(i);
            check(QString::fromLatin1(property.name()), dump(property.read(&session)));
        }
        int arguments = 0;
        for (const auto &spy : spies) {
            for (const QList<QVariant> &emission : *spy) {
                for (const QVariant &argument : emission) {
                    ++arguments;
                    check(QString::fromLatin1(spy->signal()), dump(argument));
                }
            }
        }
        QVERIFY(arguments > 0);
        // Debug output of the secret type shows a fingerprint only.
        QString debug;
        QDebug(&debug) << session.accessTokenForExternalUse();
        check(QStringLiteral("QDebug"), debug);
        QVERIFY(debug.contains(session.accessTokenFingerprint()));
    }

    void destroyingTheSessionMidSignInIsSafe()
    {
        ScriptedHttpServer http;
        QVERIFY(http.listen());
        http.enqueue({QByteArray(), true}); // never answers
        auto store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = configFor(http.url(), store);
        config.tokenEndpoint = http.url(QStringLiteral("/token"));
        auto session = std::make_unique<Session>(config);
        session->signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
        QTRY_COMPARE(http.requestCount(), 1);
        session.reset();
        // The aborted reply must not call back into the destroyed session.
        QCoreApplication::sendPostedEvents();
        QCoreApplication::processEvents();
        QVERIFY(!store->contains(QStringLiteral("alice@test")));
    }

    void preconditionErrorsAreReportedLater()
    {
        SessionConfig config;
        config.secretStore = std::make_shared<ScriptedSecretStore>();
        Session session(config);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("x"));
        QCOMPARE(errors.count(), 0); // never inside the call
        QVERIFY(errors.wait(kWait));
        QCOMPARE(errors.first().first().value<ErrorInfo>().code, Error::InvalidConfiguration);

        config.tokenEndpoint = QUrl(QStringLiteral("http://auth.example.invalid/token"));
        config.clientId = QStringLiteral("demo");
        Session insecure(config);
        QSignalSpy insecureErrors(&insecure, &Session::errorOccurred);
        insecure.signInWithPassword(QStringLiteral("alice"), QStringLiteral("x"));
        QVERIFY(insecureErrors.wait(kWait));
        QCOMPARE(insecureErrors.first().first().value<ErrorInfo>().code, Error::InsecureTransport);
        QCOMPARE(insecure.state(), Session::State::SignedOut);
    }
};

QTEST_GUILESS_MAIN(tst_Session)
#include "tst_session.moc"
