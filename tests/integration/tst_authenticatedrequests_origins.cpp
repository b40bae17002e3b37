// SPDX-License-Identifier: MIT
// AuthenticatedNetworkAccessManager: where the bearer token may go.
// Allow-listed origins only, never across a redirect to another origin, never
// over plain http to a non-loopback host.
#include "tst_authenticatedrequests_fixture.h"

#include <QSignalSpy>

using namespace SecureTokens;
using namespace TestSupport;
using namespace Qt::StringLiterals;

class tst_AuthenticatedRequestsOrigins : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void qtCarriesAuthorizationAcrossOrigins();
    void otherOriginIsUntouched();
    void otherMockInstanceGetsNoToken();
    void sameOriginRedirectKeepsBearer_data();
    void sameOriginRedirectKeepsBearer();
    void crossOriginRedirectDropsBearer();
    void crossOriginRedirectToAllowListedOriginDropsBearer();
    void tokenDoesNotComeBackAfterLeaving();
    void manualRedirectPolicyDelivers3xx();
    void userVerifiedRedirectWaitsForApproval();
    void tooManyRedirects();
    void plainHttpToRemoteHostIsRefused();

private:
    QByteArray currentBearer() const
    {
        return "Bearer " + session->accessTokenForExternalUse().toByteArray();
    }

    std::unique_ptr<Mock::MockAuthServer> server;
    //! Allow-listed alongside the mock server: redirects and header recording.
    std::unique_ptr<ScriptedHttpServer> api;
    //! Not allow-listed.
    std::unique_ptr<ScriptedHttpServer> other;
    std::unique_ptr<Session> session;
    std::unique_ptr<AuthenticatedNetworkAccessManager> nam;
    QUrl base;
};

void tst_AuthenticatedRequestsOrigins::init()
{
    server = startMockServer();
    QVERIFY(server);
    base = server->baseUrl();
    api = std::make_unique<ScriptedHttpServer>();
    other = std::make_unique<ScriptedHttpServer>();
    QVERIFY(api->start());
    QVERIFY(other->start());
    session = std::make_unique<Session>(sessionConfigFor(base, {api->baseUrl()}));
    QVERIFY(signIn(*session));
    nam = std::make_unique<AuthenticatedNetworkAccessManager>(session.get());
}

void tst_AuthenticatedRequestsOrigins::cleanup()
{
    nam.reset();
    session.reset();
    api.reset();
    other.reset();
    server.reset();
}

void tst_AuthenticatedRequestsOrigins::qtCarriesAuthorizationAcrossOrigins()
{
    // What Qt does by itself (docs/networking.md): a plain QNetworkAccessManager
    // with its default NoLessSafeRedirectPolicy follows an http → http redirect
    // to another port (another origin) and sends the Authorization header along.
    api->handler = [this](const ScriptedHttpServer::Request &) {
        return ScriptedHttpServer::redirect(302, other->baseUrl().toEncoded() + "/landing");
    };
    QNetworkAccessManager plain;
    QNetworkRequest request(at(api->baseUrl(), "/start"));
    request.setRawHeader("Authorization", "Bearer not-a-real-token");
    QNetworkReply *reply = plain.get(request);
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(other->received.size(), 1);
    const bool carried = other->received.first().headers.contains("authorization");
    qInfo("Qt %s carries Authorization across origins on redirect: %s", qVersion(),
          carried ? "yes" : "no");
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    QVERIFY2(carried, "Qt 6.4 was expected to carry Authorization to another origin");
#endif
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::otherOriginIsUntouched()
{
    QNetworkRequest request(at(other->baseUrl(), "/plain"));
    request.setRawHeader("X-App", "kept");
    QNetworkReply *reply = nam->get(request);
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(other->received.size(), 1);
    QVERIFY(!other->received.first().headers.contains("authorization"));
    QCOMPARE(other->received.first().headers.value("x-app"), QByteArray("kept"));
    // Not proxied: Qt's own reply class.
    QVERIFY(!reply->inherits("SecureTokens::AuthenticatedReply"));
    reply->deleteLater();

    // The application's own Authorization for a foreign origin is its business.
    request.setRawHeader("Authorization", "Basic YXBwOmFwcA==");
    reply = nam->get(request);
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(other->received.last().headers.value("authorization"),
             QByteArray("Basic YXBwOmFwcA=="));
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::otherMockInstanceGetsNoToken()
{
    // A second resource server, not allow-listed: its /api/echo sees no bearer.
    auto second = startMockServer();
    QVERIFY(second);
    const qint64 grants = counter(*server, "refresh_grants");
    QNetworkReply *reply = nam->get(QNetworkRequest(at(second->baseUrl(), "/api/echo")));
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    // The mock answers a request without credentials with a bare Bearer challenge.
    QCOMPARE(httpStatus(reply), 401);
    QCOMPARE(counter(*second, "protected_requests"), 1);
    QCOMPARE(counter(*second, "unauthorized"), 1);
    QCOMPARE(probe.json().value(u"error_description").toString(),
             QStringLiteral("authentication required"));
    // A 401 from a foreign origin is not the session's problem: no refresh, no retry.
    QCOMPARE(counter(*server, "refresh_grants"), grants);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::sameOriginRedirectKeepsBearer_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("expectedMethod");
    QTest::addColumn<bool>("expectBody");

    QTest::addRow("302 GET") << 302 << QByteArray("GET") << QByteArray("GET") << false;
    QTest::addRow("301 POST → GET") << 301 << QByteArray("POST") << QByteArray("GET") << false;
    QTest::addRow("302 POST → GET") << 302 << QByteArray("POST") << QByteArray("GET") << false;
    QTest::addRow("303 PUT → GET") << 303 << QByteArray("PUT") << QByteArray("GET") << false;
    QTest::addRow("307 POST kept") << 307 << QByteArray("POST") << QByteArray("POST") << true;
    QTest::addRow("308 PUT kept") << 308 << QByteArray("PUT") << QByteArray("PUT") << true;
}

void tst_AuthenticatedRequestsOrigins::sameOriginRedirectKeepsBearer()
{
    QFETCH(int, status);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, expectedMethod);
    QFETCH(bool, expectBody);

    api->handler = [status](const ScriptedHttpServer::Request &request) {
        if (request.path == "/start")
            return ScriptedHttpServer::redirect(status, "/landing");
        return ScriptedHttpServer::echo(request);
    };
    QNetworkRequest request(at(api->baseUrl(), "/start"));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("text/plain"));
    const QByteArray body = "payload";
    QNetworkReply *reply = method == "GET" ? nam->get(request)
            : method == "POST"             ? nam->post(request, body)
                                           : nam->put(request, body);
    QSignalSpy redirected(reply, &QNetworkReply::redirected);
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(httpStatus(reply), 200);
    QCOMPARE(reply->url(), at(api->baseUrl(), "/landing"));
    QCOMPARE(redirected.count(), 1);
    QCOMPARE(probe.statusesSeen, QList<int> {200}); // the 3xx is not shown

    QCOMPARE(api->received.size(), 2);
    const ScriptedHttpServer::Request &second = api->received.at(1);
    QCOMPARE(second.headers.value("authorization"), currentBearer());
    QCOMPARE(second.method, expectedMethod);
    QCOMPARE(second.body, expectBody ? body : QByteArray());
    if (!expectBody)
        QVERIFY(!second.headers.contains("content-type"));
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::crossOriginRedirectDropsBearer()
{
    api->handler = [this](const ScriptedHttpServer::Request &) {
        return ScriptedHttpServer::redirect(307, other->baseUrl().toEncoded() + "/landing");
    };
    QNetworkRequest request(at(api->baseUrl(), "/start"));
    request.setRawHeader("Authorization",
                         "Basic c3RhbGU="); // the app's own: replaced, then dropped
    request.setRawHeader("X-App", "kept");
    QNetworkReply *reply = nam->get(request);
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(reply), 200);
    QCOMPARE(api->received.size(), 1);
    QCOMPARE(api->received.first().headers.value("authorization"), currentBearer());
    QCOMPARE(other->received.size(), 1);
    QVERIFY(!other->received.first().headers.contains("authorization"));
    QCOMPARE(other->received.first().headers.value("x-app"), QByteArray("kept"));
    QCOMPARE(reply->url(), at(other->baseUrl(), "/landing"));
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::crossOriginRedirectToAllowListedOriginDropsBearer()
{
    // Both origins are allow-listed, but a redirect is not the application
    // asking: the token does not cross origins that way either.
    api->handler = [this](const ScriptedHttpServer::Request &) {
        return ScriptedHttpServer::redirect(302, at(base, "/api/echo").toEncoded());
    };
    const qint64 grants = counter(*server, "refresh_grants");
    QNetworkReply *reply = nam->get(QNetworkRequest(at(api->baseUrl(), "/start")));
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(reply), 401); // the mock server saw no credentials
    QCOMPARE(counter(*server, "unauthorized"), 1);
    // That 401 came from a hop without the token: no refresh, no retry.
    QCOMPARE(counter(*server, "refresh_grants"), grants);
    QCOMPARE(counter(*server, "protected_requests"), 1);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::tokenDoesNotComeBackAfterLeaving()
{
    api->handler = [this](const ScriptedHttpServer::Request &request) {
        if (request.path == "/start")
            return ScriptedHttpServer::redirect(302, other->baseUrl().toEncoded() + "/bounce");
        return ScriptedHttpServer::echo(request);
    };
    other->handler = [this](const ScriptedHttpServer::Request &) {
        return ScriptedHttpServer::redirect(302, api->baseUrl().toEncoded() + "/back");
    };
    QNetworkReply *reply = nam->get(QNetworkRequest(at(api->baseUrl(), "/start")));
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(reply), 200);
    QCOMPARE(api->received.size(), 2);
    QVERIFY(api->received.at(0).headers.contains("authorization"));
    QVERIFY(!other->received.first().headers.contains("authorization"));
    // A foreign server chose this hop: it does not get the token back.
    QVERIFY(!api->received.at(1).headers.contains("authorization"));
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::manualRedirectPolicyDelivers3xx()
{
    api->handler = [](const ScriptedHttpServer::Request &) {
        return ScriptedHttpServer::redirect(302, "/landing");
    };
    QNetworkRequest request(at(api->baseUrl(), "/start"));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    QNetworkReply *reply = nam->get(request);
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(httpStatus(reply), 302);
    QCOMPARE(reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl(),
             QUrl(QStringLiteral("/landing")));
    QCOMPARE(api->received.size(), 1);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::userVerifiedRedirectWaitsForApproval()
{
    api->handler = [](const ScriptedHttpServer::Request &request) {
        if (request.path == "/start")
            return ScriptedHttpServer::redirect(302, "/landing");
        return ScriptedHttpServer::echo(request);
    };
    QNetworkRequest request(at(api->baseUrl(), "/start"));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::UserVerifiedRedirectPolicy);
    QNetworkReply *reply = nam->get(request);
    QSignalSpy redirected(reply, &QNetworkReply::redirected);
    QVERIFY(redirected.wait(10000));
    QCOMPARE(redirected.at(0).at(0).toUrl(), at(api->baseUrl(), "/landing"));
    QCOMPARE(api->received.size(), 1);
    QVERIFY(!reply->isFinished());
    Q_EMIT reply->redirectAllowed();
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(httpStatus(reply), 200);
    QCOMPARE(api->received.size(), 2);
    QCOMPARE(api->received.at(1).headers.value("authorization"), currentBearer());
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::tooManyRedirects()
{
    api->handler = [](const ScriptedHttpServer::Request &) {
        return ScriptedHttpServer::redirect(302, "/again");
    };
    QNetworkReply *reply = nam->get(QNetworkRequest(at(api->baseUrl(), "/start")));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(reply->error(), QNetworkReply::TooManyRedirectsError);
    QCOMPARE(api->received.size(), 11); // the request and 10 followed hops
    reply->deleteLater();
}

void tst_AuthenticatedRequestsOrigins::plainHttpToRemoteHostIsRefused()
{
    // http://example.invalid is allow-listed (a misconfiguration): a token must
    // still never travel in clear text. .invalid never resolves (RFC 6761), and
    // the refusal comes before any lookup anyway: HostNotFound would show one.
    SessionConfig config = sessionConfigFor(base, {QUrl(QStringLiteral("http://example.invalid"))});
    Session insecure(config);
    QVERIFY(signIn(insecure));
    AuthenticatedNetworkAccessManager manager(&insecure);
    const qint64 requests = counter(*server, "requests");

    QNetworkReply *reply
            = manager.get(QNetworkRequest(QUrl(QStringLiteral("http://example.invalid/api/me"))));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QSignalSpy errors(reply, &QNetworkReply::errorOccurred);
    QCOMPARE(finished.count(), 0); // never inside get()
    QVERIFY(finished.wait(5000));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(reply->error(), QNetworkReply::ProtocolUnknownError);
    QCOMPARE(sdkError(reply), Error::InsecureTransport);
    QVERIFY2(reply->errorString().contains(u"SecureTokens::Error::InsecureTransport"),
             qPrintable(reply->errorString()));
    QVERIFY(!reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid());
    // Nothing was sent, not even a refresh.
    QCOMPARE(counter(*server, "requests"), requests);
    reply->deleteLater();
}

QTEST_GUILESS_MAIN(tst_AuthenticatedRequestsOrigins)
#include "tst_authenticatedrequests_origins.moc"
