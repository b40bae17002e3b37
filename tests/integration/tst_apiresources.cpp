// SPDX-License-Identifier: MIT
// Per-API access tokens (SessionConfig::apiResources, RFC 8707) against the
// in-process mock server with two extra resource servers, each of which
// accepts only tokens whose aud names its audience: each API receives its own
// token and no other, an origin without a mapping gets none, a 401 storm at
// one API costs one grant for it and none for the other, invalid_target keeps
// the session, sign-out wipes every token.
#include "tst_authenticatedrequests_fixture.h"

#include <QJsonArray>
#include <QSignalSpy>

#include <algorithm>

using namespace TestSupport;
using namespace Qt::StringLiterals;

namespace {

const QString audienceA = u"https://api.a.example"_s;
const QString audienceB = u"https://api.b.example/v1"_s;

//! The payload of the JWT in "Bearer <jwt>" (unverified: the test reads what was sent).
QJsonObject jwtPayload(const QString &authorization)
{
    const QString jwt = authorization.section(QLatin1Char(' '), 1);
    const QByteArray payload = QByteArray::fromBase64(
            jwt.section(QLatin1Char('.'), 1, 1).toLatin1(),
            QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    return QJsonDocument::fromJson(payload).object();
}

QString audOf(const QJsonObject &payload)
{
    const QJsonValue aud = payload.value(u"aud");
    return aud.isArray()
            ? QString::fromUtf8(QJsonDocument(aud.toArray()).toJson(QJsonDocument::Compact))
            : aud.toString();
}

} // namespace

class tst_ApiResources : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void eachApiGetsOnlyItsOwnToken();
    void unmappedOriginGetsNoToken();
    void stormAtOneApiCostsOneGrantForIt();
    void stormsAtBothApisCostOneGrantEach();
    void renewedAtUseOnItsOwnSchedule();
    void invalidTargetKeepsTheSession();
    void invalidResourceIsAConfigurationError();
    void resourcesGoToTheAuthorizationRequest();
    void signOutWipesEveryToken();

private:
    //! GETs \a url through the manager and waits for the answer.
    std::unique_ptr<ReplyProbe> fetch(const QUrl &url)
    {
        auto probe = std::make_unique<ReplyProbe>(nam->get(QNetworkRequest(url)));
        const bool finished = QTest::qWaitFor([&] { return probe->finishedCount == 1; }, 10000);
        if (!finished)
            qWarning("no answer from %s", qPrintable(url.toString()));
        return probe;
    }
    static QString authorizationSeen(const ReplyProbe &probe)
    {
        return probe.json().value(u"headers").toObject().value(u"Authorization").toString();
    }
    qint64 audienceCounter(const QString &audience, const char *name) const
    {
        return server->stats()
                .value(u"audiences")
                .toObject()
                .value(audience)
                .toObject()
                .value(QLatin1String(name))
                .toInteger();
    }
    //! aud of the last access token the server issued.
    QString lastIssuedAud() const
    {
        const QJsonArray issued = server->tokens().value(u"access_tokens").toArray();
        return issued.isEmpty() ? QString()
                                : audOf(jwtPayload(u"Bearer "_s + issued.last().toString()));
    }
    void startServerAndSession(qint64 accessTtl);
    void startSession(const QList<ApiResource> &resources)
    {
        SessionConfig config = sessionConfigFor(base);
        config.apiResources = resources;
        session = std::make_unique<Session>(config);
        QVERIFY(signIn(*session));
        nam = std::make_unique<AuthenticatedNetworkAccessManager>(session.get());
    }

    std::unique_ptr<Mock::MockAuthServer> server;
    std::unique_ptr<Session> session;
    std::unique_ptr<AuthenticatedNetworkAccessManager> nam;
    QUrl base;
    QUrl urlA;
    QUrl urlB;
};

void tst_ApiResources::init()
{
    startServerAndSession(900);
}

void tst_ApiResources::startServerAndSession(qint64 accessTtl)
{
    nam.reset();
    session.reset();
    server = startMockServer(accessTtl);
    base = server->baseUrl();
    urlA = server->addApiListener(audienceA);
    urlB = server->addApiListener(audienceB);
    QVERIFY(urlA.port() > 0 && urlB.port() > 0);
    startSession({{urlA, audienceA, {}, {}}, {urlB, audienceB, {}, {}}});
}

void tst_ApiResources::cleanup()
{
    nam.reset();
    session.reset();
    server.reset();
}

void tst_ApiResources::eachApiGetsOnlyItsOwnToken()
{
    const qint64 grants = counter(*server, "refresh_grants");
    const auto a = fetch(at(urlA, "/api/echo"));
    QCOMPARE(httpStatus(a->reply), 200);
    const auto b = fetch(at(urlB, "/api/echo"));
    QCOMPARE(httpStatus(b->reply), 200);
    // Each API saw a token for itself alone (RFC 8707 §2.2), obtained with
    // one refresh grant each on first use.
    const QString sentA = authorizationSeen(*a);
    const QString sentB = authorizationSeen(*b);
    QCOMPARE(audOf(jwtPayload(sentA)), audienceA);
    QCOMPARE(audOf(jwtPayload(sentB)), audienceB);
    QVERIFY(sentA != sentB);
    QCOMPARE(counter(*server, "refresh_grants"), grants + 2);
    // The session's own token (the sign-in's) went to neither.
    const SecretBytes own = session->accessTokenForExternalUse();
    QVERIFY(!own.isEmpty());
    QVERIFY(sentA.toLatin1() != QByteArray("Bearer ") + own.toByteArray());
    QVERIFY(sentB.toLatin1() != QByteArray("Bearer ") + own.toByteArray());

    // Again: the tokens are reused, no grant, no 401 anywhere.
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(httpStatus(fetch(at(urlA, "/api/me"))->reply), 200);
        QCOMPARE(httpStatus(fetch(at(urlB, "/api/me"))->reply), 200);
    }
    QCOMPARE(counter(*server, "refresh_grants"), grants + 2);
    for (const QString &audience : {audienceA, audienceB}) {
        QCOMPARE(audienceCounter(audience, "requests"), 4);
        QCOMPARE(audienceCounter(audience, "authorized_requests"), 4);
        QCOMPARE(audienceCounter(audience, "unauthorized"), 0);
    }
}

void tst_ApiResources::unmappedOriginGetsNoToken()
{
    // The issuer's own /api/* takes every token of this server, so it would
    // show one if any were sent: with apiResources, none is.
    const qint64 protectedBefore = counter(*server, "authorized_requests");
    const auto probe = fetch(at(base, "/api/echo"));
    QCOMPARE(httpStatus(probe->reply), 401);
    QCOMPARE(probe->reply->rawHeader("WWW-Authenticate"), QByteArray("Bearer"));
    QCOMPARE(counter(*server, "authorized_requests"), protectedBefore);
    QCOMPARE(counter(*server, "refresh_grants"), 0);
}

void tst_ApiResources::stormAtOneApiCostsOneGrantForIt()
{
    QCOMPARE(httpStatus(fetch(at(urlA, "/api/me"))->reply), 200);
    QCOMPARE(httpStatus(fetch(at(urlB, "/api/me"))->reply), 200);
    const qint64 grants = counter(*server, "refresh_grants");
    const qint64 requestsB = audienceCounter(audienceB, "requests");

    constexpr int count = 50;
    server->setFaults(QJsonObject {{u"reject_access_tokens"_s, count}});
    std::vector<std::unique_ptr<ReplyProbe>> probes;
    for (int i = 0; i < count; ++i)
        probes.push_back(
                std::make_unique<ReplyProbe>(nam->get(QNetworkRequest(at(urlA, "/api/echo")))));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(probes.begin(), probes.end(),
                                         [](const auto &p) { return p->finishedCount == 1; }),
                             20000);
    for (const auto &probe : probes) {
        QCOMPARE(httpStatus(probe->reply), 200);
        QCOMPARE(probe->statusesSeen, QList<int> {200}); // the 401 never showed
    }
    // N rejections at A: one grant, and it was for A.
    QCOMPARE(counter(*server, "refresh_grants"), grants + 1);
    QCOMPARE(lastIssuedAud(), audienceA);
    QCOMPARE(audienceCounter(audienceA, "unauthorized"), count);
    QCOMPARE(audienceCounter(audienceA, "authorized_requests"), 1 + count);
    // B was neither asked nor renewed; its token still works.
    QCOMPARE(audienceCounter(audienceB, "requests"), requestsB);
    QCOMPARE(httpStatus(fetch(at(urlB, "/api/me"))->reply), 200);
    QCOMPARE(counter(*server, "refresh_grants"), grants + 1);
    QCOMPARE(audienceCounter(audienceB, "unauthorized"), 0);
}

void tst_ApiResources::stormsAtBothApisCostOneGrantEach()
{
    QCOMPARE(httpStatus(fetch(at(urlA, "/api/me"))->reply), 200);
    QCOMPARE(httpStatus(fetch(at(urlB, "/api/me"))->reply), 200);
    const qint64 grants = counter(*server, "refresh_grants");
    // Every token so far is refused: both APIs' storms at once, interleaved.
    // B's grant waits behind A's (one refresh-token grant on the wire), and
    // each API's 401s join its own grant.
    server->setFaults(QJsonObject {{u"expire_access_tokens"_s, true}});
    constexpr int perApi = 20;
    std::vector<std::unique_ptr<ReplyProbe>> probes;
    for (int i = 0; i < perApi; ++i) {
        for (const QUrl &api : {urlA, urlB})
            probes.push_back(
                    std::make_unique<ReplyProbe>(nam->get(QNetworkRequest(at(api, "/api/echo")))));
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(probes.begin(), probes.end(),
                                         [](const auto &p) { return p->finishedCount == 1; }),
                             20000);
    for (std::size_t i = 0; i < probes.size(); ++i) {
        QCOMPARE(httpStatus(probes[i]->reply), 200);
        QCOMPARE(audOf(jwtPayload(authorizationSeen(*probes[i]))), i % 2 ? audienceB : audienceA);
    }
    QCOMPARE(counter(*server, "refresh_grants"), grants + 2);
    QCOMPARE(audienceCounter(audienceA, "unauthorized"), perApi);
    QCOMPARE(audienceCounter(audienceB, "unauthorized"), perApi);
    QCOMPARE(counter(*server, "reuse_detected"), 0);
}

void tst_ApiResources::renewedAtUseOnItsOwnSchedule()
{
    // Access tokens that live 4 s: renewed after 2 s (lead: half the lifetime).
    startServerAndSession(4);
    const auto first = fetch(at(urlA, "/api/echo"));
    QCOMPARE(httpStatus(first->reply), 200);
    QCOMPARE(httpStatus(fetch(at(urlB, "/api/me"))->reply), 200);
    const qint64 grants = counter(*server, "refresh_grants");
    // Past A's lead time (no signal marks it: the renewal happens at use).
    QTest::qWait(2300);
    const auto due = fetch(at(urlA, "/api/echo"));
    QCOMPARE(httpStatus(due->reply), 200);
    // Sent with the current token; the renewal is one grant in the background.
    QCOMPARE(authorizationSeen(*due), authorizationSeen(*first));
    QTRY_COMPARE_WITH_TIMEOUT(counter(*server, "refresh_grants"), grants + 1, 10000);
    QCOMPARE(lastIssuedAud(), audienceA);
    const auto renewed = fetch(at(urlA, "/api/echo"));
    QCOMPARE(httpStatus(renewed->reply), 200);
    QVERIFY(authorizationSeen(*renewed) != authorizationSeen(*first));
    QCOMPARE(audOf(jwtPayload(authorizationSeen(*renewed))), audienceA);
    // No 401 anywhere, and B (not used) cost nothing.
    QCOMPARE(audienceCounter(audienceA, "unauthorized"), 0);
    QCOMPARE(counter(*server, "refresh_grants"), grants + 1);
}

void tst_ApiResources::invalidTargetKeepsTheSession()
{
    // The server refuses the resource of A's first grant (RFC 8707 §2).
    server->setFaults(QJsonObject {
            {u"refresh_errors"_s, QJsonArray {QJsonObject {{u"error"_s, u"invalid_target"_s}}}}});
    QSignalSpy errors(session.get(), &Session::errorOccurred);
    const auto a = fetch(at(urlA, "/api/me"));
    QCOMPARE(sdkError(a->reply), Error::InvalidTarget);
    QCOMPARE(a->reply->error(), QNetworkReply::ProtocolInvalidOperationError);
    QVERIFY2(a->reply->errorString().contains(u"InvalidTarget"),
             qPrintable(a->reply->errorString()));
    QCOMPARE(audienceCounter(audienceA, "requests"), 0); // nothing was sent there
    // The session, its refresh token and the other API are untouched.
    QCOMPARE(session->state(), Session::State::SignedIn);
    QVERIFY(session->isRefreshable());
    QCOMPARE(errors.size(), 1);
    const ErrorInfo reported = errors.at(0).at(0).value<ErrorInfo>();
    QCOMPARE(reported.code, Error::InvalidTarget);
    QVERIFY(reported.sessionKept);
    QCOMPARE(httpStatus(fetch(at(urlB, "/api/me"))->reply), 200);
    QCOMPARE(httpStatus(fetch(at(urlA, "/api/me"))->reply), 200);
    QCOMPARE(counter(*server, "reuse_detected"), 0);
}

void tst_ApiResources::invalidResourceIsAConfigurationError()
{
    nam.reset();
    session.reset();
    startSession({{urlA, u"https://api.a.example/#fragment"_s, {}, {}}, {urlB, audienceB, {}, {}}});
    const qint64 grants = counter(*server, "refresh_grants");
    const auto a = fetch(at(urlA, "/api/me"));
    QCOMPARE(sdkError(a->reply), Error::InvalidConfiguration);
    QVERIFY2(a->reply->errorString().contains(u"RFC 8707"), qPrintable(a->reply->errorString()));
    QCOMPARE(counter(*server, "refresh_grants"), grants);
    QCOMPARE(httpStatus(fetch(at(urlB, "/api/me"))->reply), 200);
}

void tst_ApiResources::resourcesGoToTheAuthorizationRequest()
{
    // RFC 8707 §2.1: the authorization request names every resource.
    const QStringList resources = session->config().resources;
    QCOMPARE(resources, (QStringList {audienceA, audienceB}));
    // Defaults: the origin is the resource; with an audience only, none is sent.
    nam.reset();
    session.reset();
    SessionConfig config = sessionConfigFor(base);
    config.apiResources = {{urlA, {}, {}, {}}, {urlB, {}, u"my-api"_s, {}}};
    Session defaults(config);
    QCOMPARE(defaults.config().resources, QStringList {urlA.toString()});
    QCOMPARE(defaults.config().audience, u"my-api"_s);
}

void tst_ApiResources::signOutWipesEveryToken()
{
    QCOMPARE(httpStatus(fetch(at(urlA, "/api/me"))->reply), 200);
    QCOMPARE(httpStatus(fetch(at(urlB, "/api/me"))->reply), 200);
    QSignalSpy signedOut(session.get(), &Session::signedOut);
    session->signOut();
    QVERIFY(signedOut.wait(10000));
    for (const QUrl &url : {urlA, urlB}) {
        const auto probe = fetch(at(url, "/api/me"));
        QCOMPARE(sdkError(probe->reply), Error::NotSignedIn);
    }
    QCOMPARE(audienceCounter(audienceA, "requests"), 1);
    QCOMPARE(audienceCounter(audienceB, "requests"), 1);
}

QTEST_GUILESS_MAIN(tst_ApiResources)
#include "tst_apiresources.moc"
