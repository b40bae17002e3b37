// SPDX-License-Identifier: MIT
// Per-API access tokens (SessionConfig::apiResources, RFC 8707) against node's
// oidc-provider (resourceIndicators, JWT access tokens per resource) and its
// two resource servers, each accepting only tokens for its own audience: one
// browser sign-in for both resources (RFC 8707 §2.1), then each API receives
// a token for itself alone, obtained with resource= on the refresh grant
// (§2.2), one grant each. The code exchange names one resource: oidc-provider
// refuses an access token request with several (this test's failure before).
// A storm at one API whose token was revoked costs one refresh grant for that
// resource and none for the other, counted on the provider's side.

#include "interopprocess.h"

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>
#include <securetokens/sessionconfig.h>

#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace SecureTokens;
using Interop::InteropProvider;
using Interop::InteropResourceServer;
using namespace Qt::StringLiterals;

namespace {
const QString apiA = u"https://api-a.interop.test/"_s;
const QString apiB = u"https://api-b.interop.test/"_s;
} // namespace

class tst_InteropResources : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    SessionConfig config(const InteropProvider &provider) const
    {
        SessionConfig c;
        c.issuer = QUrl(provider.issuer());
        c.clientId = u"native-audience"_s;
        c.scopes = {u"openid"_s, u"offline_access"_s, u"api:read"_s};
        c.secretStore = std::make_shared<MemorySecretStore>();
        // The resource servers here take Bearer tokens (resource-server.mjs without --dpop).
        c.dpop = DpopMode::Off;
        const QString log = m_dir.filePath(u"browser.log"_s);
        c.openBrowser = [log](const QUrl &url) {
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(u"INTEROP_BROWSER_LOG"_s, log);
            QProcess browser;
            browser.setProgram(Interop::node());
            browser.setArguments(
                    {Interop::script(u"browser.mjs"_s), QString::fromLatin1(url.toEncoded())});
            browser.setProcessEnvironment(env);
            return browser.startDetached();
        };
        return c;
    }

    static QNetworkReply *getAndWait(QNetworkAccessManager &nam, const QUrl &url)
    {
        QNetworkReply *reply = nam.get(QNetworkRequest(url));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!reply->isFinished())
            finished.wait(30000);
        return reply;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void eachApiGetsItsOwnToken()
    {
        InteropProvider provider;
        QVERIFY2(provider.start(u"audience"_s), provider.failureText());
        InteropResourceServer a;
        QVERIFY2(a.start(provider.issuer(), apiA, u"api-a"_s), a.failureText());
        InteropResourceServer b;
        QVERIFY2(b.start(provider.issuer(), apiB, u"api-b"_s), b.failureText());

        SessionConfig c = config(provider);
        c.apiResources = {{QUrl(a.origin()), apiA, {}, {}}, {QUrl(b.origin()), apiB, {}, {}}};
        Session session(c);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithBrowser();
        QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), 60000);
        const QString why
                = errors.isEmpty() ? QString() : errors.first().first().value<ErrorInfo>().message;
        QVERIFY2(errors.isEmpty(), qPrintable(why));

        AuthenticatedNetworkAccessManager nam(&session);
        const int before = provider.events(u"grant.success:refresh_token"_s);
        for (int round = 0; round < 2; ++round) {
            for (InteropResourceServer *api : {&a, &b}) {
                QUrl url(api->origin());
                url.setPath(u"/me"_s);
                std::unique_ptr<QNetworkReply> reply(getAndWait(nam, url));
                QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
                const QJsonObject claims = QJsonDocument::fromJson(reply->readAll()).object();
                QCOMPARE(claims.value(u"aud").toString(), api == &a ? apiA : apiB);
            }
        }
        // One grant per API, on first use; none in the second round.
        QCOMPARE(provider.events(u"grant.success:refresh_token"_s), before + 2);
        // Each resource server accepted only its own token and refused nothing.
        for (InteropResourceServer *api : {&a, &b}) {
            const QJsonObject stats = api->stats();
            QCOMPARE(stats.value(u"accepted").toInt(), 2);
            QVERIFY(stats.value(u"rejected").toObject().isEmpty());
        }
        QVERIFY(provider.stop());
    }

    void stormAtOneResourceIsOneGrantForIt()
    {
        InteropProvider provider;
        QVERIFY2(provider.start(u"audience"_s), provider.failureText());
        InteropResourceServer a;
        QVERIFY2(a.start(provider.issuer(), apiA, u"api-a"_s), a.failureText());
        InteropResourceServer b;
        QVERIFY2(b.start(provider.issuer(), apiB, u"api-b"_s), b.failureText());

        SessionConfig c = config(provider);
        c.apiResources = {{QUrl(a.origin()), apiA, {}, {}}, {QUrl(b.origin()), apiB, {}, {}}};
        Session session(c);
        QSignalSpy errors(&session, &Session::errorOccurred);
        session.signInWithBrowser();
        QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn() || !errors.isEmpty(), 60000);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).value(0).value<ErrorInfo>().message));

        AuthenticatedNetworkAccessManager nam(&session);
        const auto urlOf = [](const InteropResourceServer &api) {
            QUrl url(api.origin());
            url.setPath(u"/me"_s);
            return url;
        };
        // Each API's first token (one grant each).
        for (InteropResourceServer *api : {&a, &b}) {
            std::unique_ptr<QNetworkReply> reply(getAndWait(nam, urlOf(*api)));
            QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        }
        const QString grantsA = u"grant.success:refresh_token@"_s + apiA;
        const QString grantsB = u"grant.success:refresh_token@"_s + apiB;
        QCOMPARE(provider.events(grantsA), 1);
        QCOMPARE(provider.events(grantsB), 1);
        const int refreshGrants = provider.events(u"grant.success:refresh_token"_s);

        // api-a's token is revoked at api-a; api-b's is untouched.
        QCOMPARE(a.revokeAccepted(), 1);
        constexpr int storm = 50;
        constexpr int others = 5;
        std::vector<std::unique_ptr<QNetworkReply>> replies;
        for (int i = 0; i < storm; ++i)
            replies.emplace_back(nam.get(QNetworkRequest(urlOf(a))));
        for (int i = 0; i < others; ++i)
            replies.emplace_back(nam.get(QNetworkRequest(urlOf(b))));
        for (std::size_t i = 0; i < replies.size(); ++i) {
            QNetworkReply *reply = replies[i].get();
            QSignalSpy finished(reply, &QNetworkReply::finished);
            if (!reply->isFinished())
                QVERIFY(finished.wait(30000));
            QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            const QJsonObject claims = QJsonDocument::fromJson(reply->readAll()).object();
            QCOMPARE(claims.value(u"aud").toString(), i < storm ? apiA : apiB);
        }
        // The provider's count: one refresh grant, with resource=api-a; none for api-b.
        QCOMPARE(provider.events(grantsA), 2);
        QCOMPARE(provider.events(grantsB), 1);
        QCOMPARE(provider.events(u"grant.success:refresh_token"_s), refreshGrants + 1);
        // The APIs' count: api-a refused the storm once each and accepted each
        // retry; api-b refused nothing.
        const QJsonObject statsA = a.stats();
        QCOMPARE(statsA.value(u"rejected").toObject().value(u"invalid_token").toInt(), storm);
        QCOMPARE(statsA.value(u"accepted").toInt(), 1 + storm);
        const QJsonObject statsB = b.stats();
        QVERIFY(statsB.value(u"rejected").toObject().isEmpty());
        QCOMPARE(statsB.value(u"accepted").toInt(), 1 + others);
        QVERIFY(errors.isEmpty());
        QVERIFY(provider.stop());
    }
};

QTEST_GUILESS_MAIN(tst_InteropResources)
#include "tst_interop_resources.moc"
