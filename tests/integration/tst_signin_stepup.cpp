// SPDX-License-Identifier: MIT
// Step-up authentication (RFC 9470) and more scopes later (RFC 6750 §3.1,
// incremental authorization) against the in-process mock server, with the
// test "browser": the API's challenge becomes a typed error and one
// stepUpRequired(), never a refresh; Session::stepUp() and requestScopes()
// sign in again on top of the session, which stays as it was when that fails.

#include "mockserverfixture.h"
#include "tst_signin_helpers.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;
using namespace SignInTest;
using Mock::ServerConfig;
using MockTest::startMockServer;

namespace {

struct Answer
{
    int status = 0;
    Error error = Error::NoError;
    ErrorInfo info;
};

Answer answerOf(QNetworkReply *reply)
{
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.error = reply->attribute(ErrorAttribute).value<Error>();
    a.info = reply->attribute(ErrorInfoAttribute).value<ErrorInfo>();
    return a;
}

//! Lets everything posted so far run (the session's queued signals among it).
void drainPostedEvents()
{
    bool reached = false;
    QTimer::singleShot(0, [&reached] { reached = true; });
    QTRY_VERIFY_WITH_TIMEOUT(reached, kWait);
}

int stat(const Mock::MockAuthServer &server, const char *name)
{
    return server.stats().value(QLatin1String(name)).toInt();
}

} // namespace

class tst_SignInStepUp : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Mock::MockAuthServer> m_server;
    std::shared_ptr<ScriptedSecretStore> m_store;
    FakeBrowser m_browser;
    //! Rewrites the authorization URL before the "browser" opens it (a provider that ignores a request).
    std::function<QUrl(QUrl)> m_tamper;
    bool m_browserRuns = true;
    QUrl m_opened; //!< the last URL the session asked to open
    std::unique_ptr<Session> m_session;
    std::unique_ptr<AuthenticatedNetworkAccessManager> m_nam;

    void signIn(const QStringList &scopes = {},
                const std::function<void(SessionConfig &)> &adjust = {})
    {
        ServerConfig serverConfig;
        serverConfig.users.append({QStringLiteral("bob"), QStringLiteral("builder")});
        m_server = startMockServer(serverConfig);
        m_store = std::make_shared<ScriptedSecretStore>();
        SessionConfig config = discoveryConfig(m_server->baseUrl(), m_store);
        if (!scopes.isEmpty())
            config.scopes = scopes;
        if (adjust)
            adjust(config);
        config.openBrowser = [this](const QUrl &url) {
            const QUrl opened = m_tamper ? m_tamper(url) : url;
            m_opened = opened;
            if (m_browserRuns)
                QTimer::singleShot(0, [this, opened] { m_browser.run(opened); });
            return true;
        };
        m_session = std::make_unique<Session>(config);
        m_nam = std::make_unique<AuthenticatedNetworkAccessManager>(m_session.get());
        QSignalSpy userInfo(m_session.get(), &Session::userInfoReceived);
        m_session->signInWithBrowser();
        QTRY_COMPARE_WITH_TIMEOUT(m_session->state(), Session::State::SignedIn, kWait);
        // The sign-in's own userinfo request rewrites the record: let it finish first.
        QTRY_COMPARE_WITH_TIMEOUT(userInfo.count(), 1, kWait);
    }
    Answer get(const char *path)
    {
        std::unique_ptr<QNetworkReply> reply(m_nam->get(
                QNetworkRequest(m_server->baseUrl().resolved(QUrl(QLatin1String(path))))));
        QSignalSpy finished(reply.get(), &QNetworkReply::finished);
        if (!reply->isFinished())
            finished.wait(kWait);
        return answerOf(reply.get());
    }
    QByteArray storedRecord() const
    {
        return m_store->peek(m_session->config().account).view().toByteArray();
    }

private Q_SLOTS:
    void init()
    {
        m_tamper = {};
        m_browserRuns = true;
        m_opened = QUrl();
        m_browser = FakeBrowser();
    }
    void cleanup()
    {
        m_nam.reset();
        m_session.reset();
        m_server.reset();
    }
    void challengeIsOneSignalNoRefresh();
    void stepUpRoundTrip();
    void stepUpMaxAgeZeroAsksForLogin();
    void wrongAcrKeepsOldSession();
    void otherUserKeepsOldSession();
    void cancelKeepsOldSession();
    void stepUpNeedsSession();
    void stepUpRenewsApiTokens();
    void insufficientScopeNamesScope();
    void insufficientScopeStormIsOneSignal();
    void stepUpMaxAgeRoundTrip();
    void requestScopesAddsScope();
};

void tst_SignInStepUp::challengeIsOneSignalNoRefresh()
{
    signIn();
    QSignalSpy stepUp(m_session.get(), &Session::stepUpRequired);
    QSignalSpy errors(m_session.get(), &Session::errorOccurred);
    m_server->setFaults(
            {{QStringLiteral("step_up"),
              QJsonObject {{QStringLiteral("acr_values"), QStringLiteral("urn:mfa urn:hwk")},
                           {QStringLiteral("max_age"), 300}}}});
    // Ten requests refused together: ten typed errors, one question to the app.
    std::vector<std::unique_ptr<QNetworkReply>> replies;
    for (int i = 0; i < 10; ++i)
        replies.emplace_back(m_nam->get(
                QNetworkRequest(m_server->baseUrl().resolved(QUrl(QStringLiteral("/api/me"))))));
    for (const auto &reply : replies) {
        QSignalSpy finished(reply.get(), &QNetworkReply::finished);
        if (!reply->isFinished())
            QVERIFY(finished.wait(kWait));
        const Answer a = answerOf(reply.get());
        QCOMPARE(a.status, 401);
        QCOMPARE(reply->error(), QNetworkReply::AuthenticationRequiredError);
        QCOMPARE(a.error, Error::StepUpRequired);
        QCOMPARE(a.info.code, Error::StepUpRequired);
        QCOMPARE(a.info.acrValues,
                 (QStringList {QStringLiteral("urn:mfa"), QStringLiteral("urn:hwk")}));
        QCOMPARE(a.info.maxAgeSeconds, 300);
        QCOMPARE(a.info.oauthError, QStringLiteral("insufficient_user_authentication"));
        QVERIFY(reply->errorString().contains(QStringLiteral("StepUpRequired")));
        // The body is the API's, delivered as it is.
        QVERIFY(reply->readAll().contains("insufficient_user_authentication"));
    }
    drainPostedEvents();
    QCOMPARE(stepUp.count(), 1);
    QCOMPARE(stepUp.at(0).at(0).toStringList(),
             (QStringList {QStringLiteral("urn:mfa"), QStringLiteral("urn:hwk")}));
    QCOMPARE(stepUp.at(0).at(1).toInt(), 300);
    // Never a refresh for it (RFC 9470 §3: a new token of the same sign-in would not help).
    QCOMPARE(stat(*m_server, "refresh_grants"), 0);
    QCOMPARE(stat(*m_server, "step_up_challenges"), 10);
    QCOMPARE(m_session->state(), Session::State::SignedIn);
    QVERIFY(errors.isEmpty());
    // Asked again with the same token: not a new question.
    QCOMPARE(get("/api/me").error, Error::StepUpRequired);
    drainPostedEvents();
    QCOMPARE(stepUp.count(), 1);
}

void tst_SignInStepUp::stepUpRoundTrip()
{
    signIn();
    const QByteArray before = storedRecord();
    m_server->setFaults({{QStringLiteral("step_up"),
                          QJsonObject {{QStringLiteral("acr_values"), QStringLiteral("urn:mfa")},
                                       {QStringLiteral("max_age"), 300}}}});
    const Answer refused = get("/api/me");
    QCOMPARE(refused.error, Error::StepUpRequired);

    QSignalSpy states(m_session.get(), &Session::stateChanged);
    QSignalSpy done(m_session.get(), &Session::reauthenticated);
    QSignalSpy errors(m_session.get(), &Session::errorOccurred);
    m_session->stepUp(refused.info.acrValues, refused.info.maxAgeSeconds);
    QVERIFY(done.isEmpty()); // never inside the call
    // The old session serves requests meanwhile (here: the challenge again).
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).value<ErrorInfo>().message));
    // OIDC Core §3.1.2.1: what the challenge asked for went to the provider.
    QCOMPARE(queryValue(m_browser.authorizationUrl, QStringLiteral("acr_values")),
             QStringLiteral("urn:mfa"));
    QCOMPARE(queryValue(m_browser.authorizationUrl, QStringLiteral("max_age")),
             QStringLiteral("300"));
    QVERIFY(queryValue(m_browser.authorizationUrl, QStringLiteral("prompt")).isEmpty());
    // Signed in all along: no SigningIn, no SignedOut.
    for (const auto &change : std::as_const(states))
        QVERIFY(change.at(0).value<Session::State>() != Session::State::SigningIn
                && change.at(0).value<Session::State>() != Session::State::SignedOut);
    QCOMPARE(m_session->state(), Session::State::SignedIn);
    QCOMPARE(m_session->idTokenClaims().value(QStringLiteral("acr")).toString(),
             QStringLiteral("urn:mfa"));
    QCOMPARE(m_session->subject(), QStringLiteral("alice"));
    // One record, the new grant's (store before use).
    QVERIFY(storedRecord() != before);
    QVERIFY(!storedRecord().isEmpty());
    // The application's retry is answered now; still no refresh grant.
    QCOMPARE(get("/api/me").status, 200);
    QCOMPARE(stat(*m_server, "refresh_grants"), 0);
    QCOMPARE(stat(*m_server, "authorization_code_grants"), 2);
    // The new grant is the one that refreshes, with its authentication kept.
    m_session->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(m_session->refreshCount(), 1, kWait);
    QCOMPARE(get("/api/me").status, 200);
}

void tst_SignInStepUp::stepUpMaxAgeZeroAsksForLogin()
{
    signIn();
    QSignalSpy done(m_session.get(), &Session::reauthenticated);
    m_session->stepUp({}, 0);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    QCOMPARE(queryValue(m_browser.authorizationUrl, QStringLiteral("max_age")),
             QStringLiteral("0"));
    QCOMPARE(queryValue(m_browser.authorizationUrl, QStringLiteral("prompt")),
             QStringLiteral("login"));
    QVERIFY(queryValue(m_browser.authorizationUrl, QStringLiteral("acr_values")).isEmpty());
    QVERIFY(m_session->idTokenClaims().contains(QStringLiteral("auth_time")));
}

void tst_SignInStepUp::wrongAcrKeepsOldSession()
{
    signIn();
    const QString fingerprint = m_session->accessTokenFingerprint();
    const QByteArray before = storedRecord();
    // A provider that performs another level than the one asked for.
    m_tamper = [](QUrl url) {
        QUrlQuery query(url);
        query.removeAllQueryItems(QStringLiteral("acr_values"));
        query.addQueryItem(QStringLiteral("acr_values"), QStringLiteral("urn:pwd"));
        url.setQuery(query);
        return url;
    };
    QSignalSpy errors(m_session.get(), &Session::errorOccurred);
    QSignalSpy done(m_session.get(), &Session::reauthenticated);
    m_session->stepUp({QStringLiteral("urn:mfa")});
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kWait);
    const auto error = errors.at(0).at(0).value<ErrorInfo>();
    QCOMPARE(error.code, Error::IdTokenRejected);
    QVERIFY2(error.message.contains(QStringLiteral("acr")), qPrintable(error.message));
    QCOMPARE(error.operation, SessionOperation::SignIn);
    QVERIFY(error.sessionKept);
    QVERIFY(done.isEmpty());
    // The old session, unchanged, in memory and in storage.
    QCOMPARE(m_session->state(), Session::State::SignedIn);
    QCOMPARE(m_session->accessTokenFingerprint(), fingerprint);
    QCOMPARE(storedRecord(), before);
    QCOMPARE(get("/api/me").status, 200);
}

void tst_SignInStepUp::otherUserKeepsOldSession()
{
    signIn();
    const QString fingerprint = m_session->accessTokenFingerprint();
    const QByteArray before = storedRecord();
    // Someone else signs in in the browser: not this session's account.
    m_browser.username = QStringLiteral("bob");
    m_browser.password = QStringLiteral("builder");
    QSignalSpy errors(m_session.get(), &Session::errorOccurred);
    const int revocations = stat(*m_server, "revocations");
    m_session->stepUp({}, 60);
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kWait);
    QCOMPARE(errors.at(0).at(0).value<ErrorInfo>().code, Error::AccountMismatch);
    QCOMPARE(m_session->subject(), QStringLiteral("alice"));
    QCOMPARE(m_session->accessTokenFingerprint(), fingerprint);
    QCOMPARE(storedRecord(), before);
    // bob's grant is not left alive on the server.
    QTRY_COMPARE_WITH_TIMEOUT(stat(*m_server, "revocations"), revocations + 1, kWait);
    QCOMPARE(get("/api/me").status, 200);
}

void tst_SignInStepUp::cancelKeepsOldSession()
{
    signIn();
    const QString fingerprint = m_session->accessTokenFingerprint();
    m_browserRuns = false; // the user walks away from the browser
    m_opened = QUrl();
    QSignalSpy errors(m_session.get(), &Session::errorOccurred);
    m_session->stepUp({QStringLiteral("urn:mfa")}, 60);
    QTRY_VERIFY_WITH_TIMEOUT(m_opened.isValid(), kWait);
    QCOMPARE(queryValue(m_opened, QStringLiteral("acr_values")), QStringLiteral("urn:mfa"));
    // Requests go on with the old token while the browser is open.
    QCOMPARE(get("/api/me").status, 200);
    // A second one meanwhile is refused.
    m_session->requestScopes({QStringLiteral("items:write")});
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kWait);
    QCOMPARE(errors.at(0).at(0).value<ErrorInfo>().code, Error::OperationInProgress);
    m_session->cancelSignIn();
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 2, kWait);
    QCOMPARE(errors.at(1).at(0).value<ErrorInfo>().code, Error::Cancelled);
    QCOMPARE(m_session->state(), Session::State::SignedIn);
    QCOMPARE(m_session->accessTokenFingerprint(), fingerprint);
    QCOMPARE(get("/api/me").status, 200);
}

void tst_SignInStepUp::stepUpNeedsSession()
{
    m_server = startMockServer();
    m_store = std::make_shared<ScriptedSecretStore>();
    SessionConfig config = discoveryConfig(m_server->baseUrl(), m_store);
    config.openBrowser = [](const QUrl &) {
        return true;
    };
    Session session(config);
    QSignalSpy errors(&session, &Session::errorOccurred);
    session.stepUp({QStringLiteral("urn:mfa")});
    QVERIFY(errors.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kWait);
    QCOMPARE(errors.at(0).at(0).value<ErrorInfo>().code, Error::NotSignedIn);
    QCOMPARE(session.state(), Session::State::SignedOut);
}

void tst_SignInStepUp::stepUpRenewsApiTokens()
{
    // An API with its own token (RFC 8707): that token came from the old
    // grant, so after the step-up it is fetched anew, from the new one.
    const QString audience = QStringLiteral("https://api.stepup.example");
    QUrl api;
    signIn({}, [&](SessionConfig &config) {
        api = m_server->addApiListener(audience);
        config.apiResources = {{api, audience, {}, {}}};
    });
    QVERIFY(api.port() > 0);
    const auto at = [&api](const char *path) {
        return api.resolved(QUrl(QLatin1String(path)));
    };
    const auto fetch = [this](const QUrl &url) {
        std::unique_ptr<QNetworkReply> reply(m_nam->get(QNetworkRequest(url)));
        QSignalSpy finished(reply.get(), &QNetworkReply::finished);
        if (!reply->isFinished())
            finished.wait(kWait);
        return answerOf(reply.get());
    };
    QCOMPARE(fetch(at("/api/me")).status, 200);
    m_server->setFaults(
            {{QStringLiteral("step_up"),
              QJsonObject {{QStringLiteral("acr_values"), QStringLiteral("urn:mfa")}}}});
    const Answer refused = fetch(at("/api/me"));
    QCOMPARE(refused.error, Error::StepUpRequired);
    const int grants = stat(*m_server, "refresh_grants");
    QSignalSpy done(m_session.get(), &Session::reauthenticated);
    m_session->stepUp(refused.info.acrValues, refused.info.maxAgeSeconds);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    QCOMPARE(fetch(at("/api/me")).status, 200);
    QCOMPARE(stat(*m_server, "refresh_grants"), grants + 1); // the API's new token
}

void tst_SignInStepUp::insufficientScopeNamesScope()
{
    signIn();
    QSignalSpy stepUp(m_session.get(), &Session::stepUpRequired);
    m_server->setFaults({{QStringLiteral("require_scope"), QStringLiteral("items:write")}});
    const Answer a = get("/api/me");
    QCOMPARE(a.status, 403);
    QCOMPARE(a.error, Error::InsufficientScope);
    QCOMPARE(a.info.requiredScopes, QStringList {QStringLiteral("items:write")});
    QCOMPARE(a.info.oauthError, QStringLiteral("insufficient_scope"));
    QCOMPARE(stat(*m_server, "refresh_grants"), 0);
    drainPostedEvents();
    QVERIFY(stepUp.isEmpty());
}

void tst_SignInStepUp::insufficientScopeStormIsOneSignal()
{
    // RFC 6750 §3.1: insufficient_scope is a question for the application
    // (Session::requestScopes()), asked once per token and challenge however
    // many requests the API refused with it; a refresh would bring a token of
    // the same scope, so none is made.
    signIn();
    QSignalSpy scopeRequired(m_session.get(), &Session::scopeRequired);
    QSignalSpy stepUp(m_session.get(), &Session::stepUpRequired);
    QSignalSpy errors(m_session.get(), &Session::errorOccurred);
    m_server->setFaults({{QStringLiteral("require_scope"), QStringLiteral("items:write")}});
    constexpr int storm = 25;
    std::vector<std::unique_ptr<QNetworkReply>> replies;
    for (int i = 0; i < storm; ++i)
        replies.emplace_back(m_nam->get(
                QNetworkRequest(m_server->baseUrl().resolved(QUrl(QStringLiteral("/api/me"))))));
    for (const auto &reply : replies) {
        QSignalSpy finished(reply.get(), &QNetworkReply::finished);
        if (!reply->isFinished())
            QVERIFY(finished.wait(kWait));
        const Answer a = answerOf(reply.get());
        QCOMPARE(a.status, 403);
        QCOMPARE(a.error, Error::InsufficientScope);
        QCOMPARE(a.info.requiredScopes, QStringList {QStringLiteral("items:write")});
    }
    QVERIFY(scopeRequired.isEmpty() || scopeRequired.count() == 1);
    drainPostedEvents();
    QCOMPARE(scopeRequired.count(), 1);
    QCOMPARE(scopeRequired.at(0).at(0).toStringList(), QStringList {QStringLiteral("items:write")});
    QCOMPARE(stat(*m_server, "insufficient_scope"), storm);
    QCOMPARE(stat(*m_server, "refresh_grants"), 0);
    QCOMPARE(m_session->refreshCount(), 0);
    QVERIFY(stepUp.isEmpty());
    QVERIFY(errors.isEmpty());
    QCOMPARE(m_session->state(), Session::State::SignedIn);
    // The same token refused again for the same scope: not a new question.
    QCOMPARE(get("/api/me").error, Error::InsufficientScope);
    drainPostedEvents();
    QCOMPARE(scopeRequired.count(), 1);
    // A new token refused in turn (the app refreshed it, nothing else
    // changed) is a new question: once per token, not once per session.
    m_session->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(m_session->refreshCount(), 1, kWait);
    QCOMPARE(stat(*m_server, "refresh_grants"), 1);
    QCOMPARE(get("/api/me").error, Error::InsufficientScope);
    drainPostedEvents();
    QCOMPARE(scopeRequired.count(), 2);
    QCOMPARE(scopeRequired.at(1).at(0).toStringList(), QStringList {QStringLiteral("items:write")});
    QCOMPARE(stat(*m_server, "refresh_grants"), 1); // the app's own, none for the challenge
}

void tst_SignInStepUp::stepUpMaxAgeRoundTrip()
{
    // RFC 9470 §3 and OpenID Connect Core §3.1.2.1 end to end: the API asks
    // for a sign-in at most 60 s old, the session asks the app once, stepUp()
    // sends max_age=60, the new ID token's auth_time is checked (one that is
    // too old is refused and the session kept), and the retry succeeds.
    signIn();
    m_server->setFaults(
            {{QStringLiteral("step_up"), QJsonObject {{QStringLiteral("max_age"), 60}}}});
    QSignalSpy stepUpRequired(m_session.get(), &Session::stepUpRequired);
    const Answer refused = get("/api/me");
    QCOMPARE(refused.status, 401);
    QCOMPARE(refused.error, Error::StepUpRequired);
    QCOMPARE(refused.info.maxAgeSeconds, 60);
    QVERIFY(refused.info.acrValues.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(stepUpRequired.count(), 1, kWait);
    QVERIFY(stepUpRequired.at(0).at(0).toStringList().isEmpty());
    const int maxAge = stepUpRequired.at(0).at(1).toInt();
    QCOMPARE(maxAge, 60);
    const QString fingerprint = m_session->accessTokenFingerprint();
    const QByteArray before = storedRecord();

    // A provider that answers with a sign-in older than max_age (an old
    // login state it should not have reused): auth_time an hour ago.
    const qint64 anHourAgo = QDateTime::currentSecsSinceEpoch() - 3600;
    m_server->setFaults({{QStringLiteral("step_up"), QJsonObject {{QStringLiteral("max_age"), 60}}},
                         {QStringLiteral("id_token_claims"),
                          QJsonObject {{QStringLiteral("auth_time"), anHourAgo}}}});
    QSignalSpy errors(m_session.get(), &Session::errorOccurred);
    QSignalSpy done(m_session.get(), &Session::reauthenticated);
    m_session->stepUp(stepUpRequired.at(0).at(0).toStringList(), maxAge);
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kWait);
    QCOMPARE(queryValue(m_browser.authorizationUrl, QStringLiteral("max_age")),
             QStringLiteral("60"));
    const auto tooOld = errors.at(0).at(0).value<ErrorInfo>();
    QCOMPARE(tooOld.code, Error::IdTokenRejected);
    QVERIFY2(tooOld.message.contains(QStringLiteral("auth_time")), qPrintable(tooOld.message));
    QCOMPARE(tooOld.operation, SessionOperation::SignIn);
    QVERIFY(tooOld.sessionKept);
    QVERIFY(done.isEmpty());
    QCOMPARE(m_session->state(), Session::State::SignedIn);
    QCOMPARE(m_session->accessTokenFingerprint(), fingerprint);
    QCOMPARE(storedRecord(), before);
    QCOMPARE(get("/api/me").error, Error::StepUpRequired); // still not recent enough

    // The provider does what was asked: a fresh sign-in, auth_time now.
    m_session->stepUp({}, maxAge);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(queryValue(m_browser.authorizationUrl, QStringLiteral("max_age")),
             QStringLiteral("60"));
    const qint64 authTime
            = m_session->idTokenClaims().value(QStringLiteral("auth_time")).toLongLong();
    QVERIFY2(QDateTime::currentSecsSinceEpoch() - authTime <= 60,
             qPrintable(QString::number(authTime)));
    QVERIFY(storedRecord() != before);
    // The application's retry passes the API's max_age check; no refresh for any of it.
    const Answer retried = get("/api/me");
    QCOMPARE(retried.status, 200);
    QCOMPARE(retried.error, Error::NoError);
    QCOMPARE(stat(*m_server, "refresh_grants"), 0);
    QCOMPARE(stepUpRequired.count(), 1);
}

void tst_SignInStepUp::requestScopesAddsScope()
{
    signIn();
    const QByteArray before = storedRecord();
    QVERIFY(!m_session->grantedScopes().contains(QStringLiteral("items:write")));
    m_server->setFaults({{QStringLiteral("require_scope"), QStringLiteral("items:write")}});
    const Answer refused = get("/api/me");
    QCOMPARE(refused.error, Error::InsufficientScope);

    QSignalSpy done(m_session.get(), &Session::reauthenticated);
    QSignalSpy scopes(m_session.get(), &Session::grantedScopesChanged);
    QSignalSpy errors(m_session.get(), &Session::errorOccurred);
    m_session->requestScopes(refused.info.requiredScopes);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).value<ErrorInfo>().message));
    // The current scopes and the new one, in one request.
    const QStringList asked = queryValue(m_browser.authorizationUrl, QStringLiteral("scope"))
                                      .split(QLatin1Char(' '));
    for (const char *scope : {"openid", "profile", "email", "items", "items:write"})
        QVERIFY2(asked.contains(QLatin1String(scope)), scope);
    QVERIFY(m_session->grantedScopes().contains(QStringLiteral("items:write")));
    QVERIFY(m_session->grantedScopes().contains(QStringLiteral("items")));
    QCOMPARE(scopes.count(), 1);
    // One refresh token kept: the new grant's replaced the old record.
    QVERIFY(storedRecord() != before);
    QCOMPARE(get("/api/me").status, 200);
    m_session->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(m_session->refreshCount(), 1, kWait);
    QVERIFY(m_session->grantedScopes().contains(QStringLiteral("items:write")));
    QCOMPARE(get("/api/me").status, 200);
    // Asked again for what is granted: done at once, nothing opened.
    const QUrl opened = m_browser.authorizationUrl;
    m_session->requestScopes({QStringLiteral("items:write")});
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, kWait);
    QCOMPARE(m_browser.authorizationUrl, opened);
    QCOMPARE(stat(*m_server, "authorization_code_grants"), 2);
}

QTEST_GUILESS_MAIN(tst_SignInStepUp)
#include "tst_signin_stepup.moc"
