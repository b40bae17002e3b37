// SPDX-License-Identifier: MIT
// QML's XMLHttpRequest with per-API tokens (SessionConfig::apiResources),
// unchanged for QML: through SessionNetworkAccessManagerFactory each API's
// origin gets its own token (its aud names that API alone) and the issuer's
// origin none. The in-process mock server with two resource servers.
#include "mockserverfixture.h"

#include <securetokens/memorysecretstore.h>
#include <securetokens/qml/sessionnetworkaccessmanagerfactory.h>
#include <securetokens/session.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QQmlEngine>
#include <QTest>

using namespace SecureTokens;
using namespace Qt::StringLiterals;

namespace {

const QString audienceA = u"https://api.a.example"_s;
const QString audienceB = u"https://api.b.example"_s;

QString audOfBearer(const QString &authorization)
{
    const QString jwt = authorization.section(u' ', 1);
    return QJsonDocument::fromJson(QByteArray::fromBase64(jwt.section(u'.', 1, 1).toLatin1(),
                                                          QByteArray::Base64UrlEncoding
                                                                  | QByteArray::OmitTrailingEquals))
            .object()
            .value(u"aud")
            .toString();
}

} // namespace

class tst_QmlApiResources : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void xmlHttpRequestGetsTheTokenOfItsOrigin()
    {
        auto server = MockTest::startMockServer();
        const QUrl urlA = server->addApiListener(audienceA);
        const QUrl urlB = server->addApiListener(audienceB);
        SessionConfig config;
        config.issuer = server->baseUrl();
        config.tokenEndpoint = QUrl(server->baseUrl().toString() + u"/oauth/token"_s);
        config.clientId = u"demo"_s;
        config.secretStore = std::make_shared<MemorySecretStore>();
        config.apiResources = {{urlA, audienceA, {}, {}}, {urlB, audienceB, {}, {}}};
        Session session(config);
        session.signInWithPassword(u"alice"_s, u"wonderland"_s);
        QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn(), 10000);

        Qml::SessionNetworkAccessManagerFactory factory(&session); // outlives the engine
        QQmlEngine engine;
        engine.setNetworkAccessManagerFactory(&factory);
        // The engine's own XMLHttpRequest, as a QML file would use it.
        const QJSValue defined = engine.evaluate(uR"(
            var seen = {}
            var done = 0
            function fetch(name, url) {
                const xhr = new XMLHttpRequest()
                xhr.onreadystatechange = function() {
                    if (xhr.readyState !== XMLHttpRequest.DONE)
                        return
                    seen[name] = xhr.status === 200
                            ? (JSON.parse(xhr.responseText).headers.Authorization || "")
                            : "status " + xhr.status
                    done = done + 1
                }
                xhr.open("GET", url)
                xhr.send()
            }
        )"_s);
        QVERIFY2(!defined.isError(), qPrintable(defined.toString()));
        for (const auto &[name, base] : {std::pair {"a", urlA}, std::pair {"b", urlB},
                                         std::pair {"issuer", server->baseUrl()}}) {
            const QJSValue sent = engine.evaluate(u"fetch('%1', '%2')"_s.arg(
                    QLatin1String(name), base.toString() + u"/api/echo"_s));
            QVERIFY2(!sent.isError(), qPrintable(sent.toString()));
        }
        QTRY_COMPARE_WITH_TIMEOUT(engine.evaluate(u"done"_s).toInt(), 3, 10000);
        const auto seen = [&engine](const char *name) {
            return engine.evaluate(u"seen['%1']"_s.arg(QLatin1String(name))).toString();
        };
        QCOMPARE(audOfBearer(seen("a")), audienceA);
        QCOMPARE(audOfBearer(seen("b")), audienceB);
        // The issuer's /api/echo would take any token of this server: none was sent.
        QCOMPARE(seen("issuer"), u"status 401"_s);
    }
};
QTEST_GUILESS_MAIN(tst_QmlApiResources)
#include "tst_qmlapiresources.moc"
