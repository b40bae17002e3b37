// SPDX-License-Identifier: MIT
// AuthenticatedNetworkAccessManager: 401 → one shared refresh → one retry,
// and the replay rules for bodies and methods. Real HTTP over loopback
// against the in-process mock server.
#include "tst_authenticatedrequests_fixture.h"

#include <QBuffer>
#include <QSignalSpy>

using namespace SecureTokens;
using namespace TestSupport;
using namespace Qt::StringLiterals;

namespace {

//! A body that can be read only once, like a socket or a pipe.
class OneShotDevice : public QIODevice
{
public:
    explicit OneShotDevice(QByteArray data) : m_data(std::move(data)) { open(ReadOnly); }
    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override
    {
        return m_data.size() - m_pos + QIODevice::bytesAvailable();
    }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 n = std::min<qint64>(maxSize, m_data.size() - m_pos);
        if (n <= 0)
            return -1;
        memcpy(data, m_data.constData() + m_pos, size_t(n));
        m_pos += n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_data;
    qint64 m_pos = 0;
};

} // namespace

class tst_AuthenticatedRequestsRetry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void bearerIsAttached();
    void oneRejectionRefreshesOnceAndRetries();
    void secondRejectionIsDelivered();
    void parallelRejectionsShareOneRefresh();
    void challengeDecidesRetry_data();
    void challengeDecidesRetry();
    void oneShotBodyIsNotReplayed();
    void nonIdempotentPolicy_data();
    void nonIdempotentPolicy();
    void bodyOverReplayLimitIsNotReplayed();

private:
    QNetworkReply *getEcho() { return nam->get(QNetworkRequest(at(base, "/api/echo"))); }

    std::unique_ptr<Mock::MockAuthServer> server;
    std::unique_ptr<Session> session;
    std::unique_ptr<AuthenticatedNetworkAccessManager> nam;
    QUrl base;
};

void tst_AuthenticatedRequestsRetry::init()
{
    server = startMockServer();
    QVERIFY(server);
    base = server->baseUrl();
    session = std::make_unique<Session>(sessionConfigFor(base));
    QVERIFY(signIn(*session));
    nam = std::make_unique<AuthenticatedNetworkAccessManager>(session.get());
}

void tst_AuthenticatedRequestsRetry::cleanup()
{
    nam.reset();
    session.reset();
    server.reset();
}

void tst_AuthenticatedRequestsRetry::bearerIsAttached()
{
    QNetworkReply *reply = getEcho();
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(httpStatus(reply), 200);
    const QString authorization
            = probe.json().value(u"headers").toObject().value(u"Authorization").toString();
    const SecretBytes token = session->accessTokenForExternalUse();
    QCOMPARE(authorization.toLatin1(), QByteArray("Bearer ") + token.toByteArray());
    // The application's request object never gets the token.
    QVERIFY(!reply->request().hasRawHeader("Authorization"));
    QVERIFY(reply->header(QNetworkRequest::ContentTypeHeader)
                    .toString()
                    .startsWith(u"application/json"));
    QCOMPARE(counter(*server, "unauthorized"), 0);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsRetry::oneRejectionRefreshesOnceAndRetries()
{
    const qint64 grants = counter(*server, "refresh_grants");
    server->setFaults(QJsonObject {{u"reject_access_tokens"_s, 1}});
    QSignalSpy managerFinished(nam.get(), &QNetworkAccessManager::finished);
    QNetworkReply *reply = getEcho();
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);

    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(httpStatus(reply), 200);
    QCOMPARE(probe.json().value(u"method").toString(), QStringLiteral("GET"));
    // The first 401 never showed: every metaDataChanged saw the final 200.
    QVERIFY(!probe.statusesSeen.isEmpty());
    for (int status : std::as_const(probe.statusesSeen))
        QCOMPARE(status, 200);
    QCOMPARE(probe.errors, 0);
    QCOMPARE(counter(*server, "refresh_grants") - grants, 1);
    QCOMPARE(counter(*server, "unauthorized"), 1);
    QCOMPARE(counter(*server, "protected_requests"), 2);
    QCOMPARE(managerFinished.count(), 1);
    QCOMPARE(managerFinished.at(0).at(0).value<QNetworkReply *>(), reply);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsRetry::secondRejectionIsDelivered()
{
    const qint64 grants = counter(*server, "refresh_grants");
    server->setFaults(QJsonObject {{u"reject_access_tokens"_s, 2}});
    QNetworkReply *reply = getEcho();
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);

    QCOMPARE(httpStatus(reply), 401);
    QCOMPARE(reply->error(), QNetworkReply::AuthenticationRequiredError);
    QCOMPARE(probe.errors, 1);
    QVERIFY(reply->rawHeader("WWW-Authenticate").startsWith("Bearer"));
    QVERIFY(probe.json().contains(u"error")); // the 401's own body is readable
    QCOMPARE(counter(*server, "refresh_grants") - grants, 1);
    QCOMPARE(counter(*server, "protected_requests"), 2); // no loop
    // Nothing more is going on.
    QTest::qWait(300);
    QCOMPARE(counter(*server, "protected_requests"), 2);
    QCOMPARE(counter(*server, "refresh_grants") - grants, 1);
    QCOMPARE(probe.finishedCount, 1);
    reply->deleteLater();
}

void tst_AuthenticatedRequestsRetry::parallelRejectionsShareOneRefresh()
{
    constexpr int count = 200;
    const qint64 grants = counter(*server, "refresh_grants");
    // Every access token issued so far is now refused: all first attempts 401.
    server->setFaults(QJsonObject {{u"expire_access_tokens"_s, true}});
    std::vector<std::unique_ptr<ReplyProbe>> probes;
    for (int i = 0; i < count; ++i)
        probes.push_back(std::make_unique<ReplyProbe>(getEcho()));

    int done = 0;
    QTRY_VERIFY_WITH_TIMEOUT(
            (done = int(std::count_if(probes.begin(), probes.end(),
                                      [](const auto &p) { return p->finishedCount == 1; })))
                    == count,
            60000);
    int ok = 0;
    for (const auto &p : probes) {
        if (p->reply->error() == QNetworkReply::NoError && httpStatus(p->reply) == 200)
            ++ok;
        QVERIFY(!p->statusesSeen.contains(401));
        p->reply->deleteLater();
    }
    QCOMPARE(ok, count);
    QCOMPARE(counter(*server, "refresh_grants") - grants, 1);
    QCOMPARE(counter(*server, "unauthorized"), count);
    QCOMPARE(counter(*server, "authorized_requests"), count);
}

void tst_AuthenticatedRequestsRetry::challengeDecidesRetry_data()
{
    QTest::addColumn<QByteArray>("challenge");
    QTest::addColumn<bool>("retryOnBare");
    QTest::addColumn<int>("expectedStatus");
    QTest::addColumn<int>("expectedRefreshes");

    QTest::addRow("bearer invalid_token")
            << QByteArray("Bearer error=\"invalid_token\"") << true << 200 << 1;
    QTest::addRow("bare 401, retry on") << QByteArray() << true << 200 << 1;
    QTest::addRow("bare 401, retry off") << QByteArray() << false << 401 << 0;
    QTest::addRow("basic only") << QByteArray("Basic realm=\"x\"") << true << 401 << 0;
    QTest::addRow("insufficient_scope")
            << QByteArray("Bearer error=\"insufficient_scope\", scope=\"items\"") << true << 401
            << 0;
}

void tst_AuthenticatedRequestsRetry::challengeDecidesRetry()
{
    QFETCH(QByteArray, challenge);
    QFETCH(bool, retryOnBare);
    QFETCH(int, expectedStatus);
    QFETCH(int, expectedRefreshes);

    // A resource server of our own: the first request gets the scripted 401.
    ScriptedHttpServer api;
    QVERIFY(api.start());
    api.handler = [&api, challenge](const ScriptedHttpServer::Request &request) {
        if (api.received.size() > 1)
            return ScriptedHttpServer::echo(request);
        ScriptedHttpServer::Response r;
        r.status = 401;
        if (!challenge.isEmpty())
            r.headers.append({"WWW-Authenticate", challenge});
        r.body = "denied";
        return r;
    };
    Session apiSession(sessionConfigFor(base, {api.baseUrl()}));
    QVERIFY(signIn(apiSession));
    AuthenticatedNetworkAccessManager manager(&apiSession);
    manager.setRetryOnBare401(retryOnBare);
    QCOMPARE(manager.retryOnBare401(), retryOnBare);

    const int refreshesBefore = apiSession.refreshCount();
    QNetworkReply *reply = manager.get(QNetworkRequest(at(api.baseUrl(), "/thing")));
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(reply), expectedStatus);
    QCOMPARE(apiSession.refreshCount() - refreshesBefore, expectedRefreshes);
    QCOMPARE(api.received.size(), expectedStatus == 200 ? 2 : 1);
    if (expectedStatus == 401)
        QCOMPARE(probe.body, QByteArray("denied"));
    reply->deleteLater();
}

void tst_AuthenticatedRequestsRetry::oneShotBodyIsNotReplayed()
{
    server->setFaults(QJsonObject {{u"reject_access_tokens"_s, 1}});
    OneShotDevice body("one-shot payload");
    QNetworkRequest request(at(base, "/api/echo"));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("text/plain"));
    request.setRawHeader("Idempotency-Key", "k-1"); // would allow a replay, but the body cannot
    QNetworkReply *reply = nam->post(request, &body);
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);

    QCOMPARE(httpStatus(reply), 401);
    QCOMPARE(reply->error(), QNetworkReply::AuthenticationRequiredError);
    QVERIFY2(reply->errorString().contains(u"cannot be sent again"),
             qPrintable(reply->errorString()));
    QVERIFY(reply->errorString().startsWith(u"SecureTokens::Error::"));
    QCOMPARE(sdkError(reply), Error::RequestNotReplayable);
    QCOMPARE(counter(*server, "protected_requests"), 1);
    reply->deleteLater();

    // The rejected token was renewed anyway, so the application's resend works.
    QTRY_COMPARE_WITH_TIMEOUT(counter(*server, "refresh_grants"), 1, 10000);
    OneShotDevice again("one-shot payload");
    QNetworkReply *resend = nam->post(request, &again);
    ReplyProbe resendProbe(resend);
    QTRY_COMPARE_WITH_TIMEOUT(resendProbe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(resend), 200);
    QCOMPARE(resendProbe.json().value(u"body").toString(), QStringLiteral("one-shot payload"));
    resend->deleteLater();
}

void tst_AuthenticatedRequestsRetry::nonIdempotentPolicy_data()
{
    QTest::addColumn<QByteArray>("verb");
    QTest::addColumn<QString>("optIn"); // none | key | attribute | manager
    QTest::addColumn<int>("expectedStatus");

    QTest::addRow("POST, no opt-in") << QByteArray("POST") << "none" << 401;
    QTest::addRow("POST + Idempotency-Key") << QByteArray("POST") << "key" << 200;
    QTest::addRow("POST + attribute") << QByteArray("POST") << "attribute" << 200;
    QTest::addRow("POST + manager policy") << QByteArray("POST") << "manager" << 200;
    QTest::addRow("PATCH, no opt-in") << QByteArray("PATCH") << "none" << 401;
    QTest::addRow("PATCH + Idempotency-Key") << QByteArray("PATCH") << "key" << 200;
    QTest::addRow("PUT is idempotent") << QByteArray("PUT") << "none" << 200;
    QTest::addRow("DELETE is idempotent") << QByteArray("DELETE") << "none" << 200;
}

void tst_AuthenticatedRequestsRetry::nonIdempotentPolicy()
{
    QFETCH(QByteArray, verb);
    QFETCH(QString, optIn);
    QFETCH(int, expectedStatus);

    // 48 KiB: more than one read chunk, within the mock server's 64 KiB limit.
    QByteArray payload;
    for (int i = 0; payload.size() < 48 * 1024; ++i)
        payload += "line " + QByteArray::number(i) + '\n';

    const qint64 grants = counter(*server, "refresh_grants");
    server->setFaults(QJsonObject {{u"reject_access_tokens"_s, 1}});
    QNetworkRequest request(at(base, "/api/echo"));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("text/plain"));
    if (optIn == QLatin1String("key"))
        request.setRawHeader("Idempotency-Key", "7f1c2a");
    if (optIn == QLatin1String("attribute"))
        request.setAttribute(RetryNonIdempotentAttribute, true);
    nam->setRetryNonIdempotent(optIn == QLatin1String("manager"));

    QNetworkReply *reply = verb == "POST" ? nam->post(request, payload)
            : verb == "PUT"               ? nam->put(request, payload)
                                          : nam->sendCustomRequest(request, verb, payload);
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(reply), expectedStatus);
    // Retried or not, the rejected token is renewed once (not retried: in the
    // background, so the application's resend finds a fresh token).
    QTRY_COMPARE_WITH_TIMEOUT(counter(*server, "refresh_grants") - grants, 1, 10000);
    if (expectedStatus == 200) {
        QCOMPARE(probe.json().value(u"method").toString().toLatin1(), verb);
        QCOMPARE(probe.json().value(u"body").toString().toLatin1(), payload);
        QCOMPARE(counter(*server, "protected_requests"), 2);
    } else {
        QVERIFY2(reply->errorString().contains(u"not idempotent"),
                 qPrintable(reply->errorString()));
        QCOMPARE(sdkError(reply), Error::RequestNotReplayable);
        QCOMPARE(counter(*server, "protected_requests"), 1);
    }
    reply->deleteLater();
}

void tst_AuthenticatedRequestsRetry::bodyOverReplayLimitIsNotReplayed()
{
    nam->setMaxReplayBodySize(16);
    QCOMPARE(nam->maxReplayBodySize(), 16);
    server->setFaults(QJsonObject {{u"reject_access_tokens"_s, 1}});
    QNetworkRequest request(at(base, "/api/echo"));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("text/plain"));
    QNetworkReply *reply = nam->put(request, QByteArray(1024, 'x'));
    ReplyProbe probe(reply);
    QTRY_COMPARE_WITH_TIMEOUT(probe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(reply), 401);
    QVERIFY2(reply->errorString().contains(u"replay limit"), qPrintable(reply->errorString()));
    QVERIFY(reply->errorString().startsWith(u"SecureTokens::Error::RequestNotReplayable: "));
    QCOMPARE(sdkError(reply), Error::RequestNotReplayable);
    QCOMPARE(counter(*server, "protected_requests"), 1);

    // Within the limit the same PUT is replayed.
    nam->setMaxReplayBodySize(4096);
    server->setFaults(QJsonObject {{u"reject_access_tokens"_s, 1}});
    QNetworkReply *second = nam->put(request, QByteArray(1024, 'y'));
    ReplyProbe secondProbe(second);
    QTRY_COMPARE_WITH_TIMEOUT(secondProbe.finishedCount, 1, 10000);
    QCOMPARE(httpStatus(second), 200);
    QCOMPARE(secondProbe.json().value(u"body").toString().toLatin1(), QByteArray(1024, 'y'));
    reply->deleteLater();
    second->deleteLater();
}

QTEST_GUILESS_MAIN(tst_AuthenticatedRequestsRetry)
#include "tst_authenticatedrequests_retry.moc"
