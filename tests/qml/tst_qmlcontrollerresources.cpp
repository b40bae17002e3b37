// SPDX-License-Identifier: MIT
// Per-API tokens (SessionConfig::apiResources, RFC 8707) configured in QML
// alone: a SessionController declared in QML with its apiResources property,
// loaded by a real QQmlEngine (offscreen) from the build tree's module, as a
// QML-only app's engine loads it. The in-process mock server with two
// resource servers; the engine's own XMLHttpRequest sends to each. Each API
// origin gets a token whose aud names that API alone (and, where the entry
// asks, its own scope), the issuer's origin none. A wrong entry is refused
// with a warning naming it, and no session is made (InvalidConfiguration).
#include "mockserverfixture.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

const QString audienceA = u"https://api.a.example"_s;
const QString audienceB = u"https://api.b.example"_s;

//! The claims of the JWT in an Authorization header (Bearer or, by default, DPoP).
QJsonObject tokenClaims(const QString &authorization)
{
    if (!authorization.startsWith(u"Bearer "_s) && !authorization.startsWith(u"DPoP "_s))
        return {};
    const QString jwt = authorization.section(u' ', 1);
    return QJsonDocument::fromJson(QByteArray::fromBase64(jwt.section(u'.', 1, 1).toLatin1(),
                                                          QByteArray::Base64UrlEncoding
                                                                  | QByteArray::OmitTrailingEquals))
            .object();
}

//! A QML document: a SessionController with \a apiResources (a QML expression), and fetch().
QByteArray document(const QUrl &issuer, const QString &apiResources)
{
    return uR"(
import QtQuick
import SecureTokens
QtObject {
    property var seen: ({})
    property int done: 0
    property SessionController controller: SessionController {
        issuer: "%1"
        clientId: "demo"
        scopes: ["openid", "profile", "offline_access"]
        storagePolicy: SessionController.SessionOnly
        account: "qml-api-resources"
        apiResources: %2
    }
    function seenOf(name) { return seen[name] === undefined ? "" : seen[name] }
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
}
)"_s.arg(issuer.toString(), apiResources)
            .toUtf8();
}

} // namespace

class tst_QmlControllerResources : public QObject
{
    Q_OBJECT

    std::unique_ptr<QObject> create(QQmlEngine &engine, const QByteArray &qml)
    {
        engine.addImportPath(QStringLiteral(QML_MODULES_DIR));
        QQmlComponent component(&engine);
        component.setData(qml, QUrl(u"qrc:/tst_qmlcontrollerresources.qml"_s));
        std::unique_ptr<QObject> root(component.create());
        if (!root)
            qWarning().noquote() << component.errorString();
        return root;
    }

private Q_SLOTS:
    void eachOriginGetsItsOwnToken()
    {
        auto server = MockTest::startMockServer();
        const QUrl urlA = server->addApiListener(audienceA);
        const QUrl urlB = server->addApiListener(audienceB);
        QQmlEngine engine;
        // A's resource is named; B is named by its audience (Auth0), with a narrower scope.
        const auto root
                = create(engine,
                         document(server->baseUrl(),
                                  uR"([{origin: "%1", resource: "%2"},
                              {origin: "%3", audience: "%4", scopes: ["profile"]}])"_s.arg(
                                          urlA.toString(), audienceA, urlB.toString(), audienceB)));
        QVERIFY(root);
        auto *controller = root->property("controller").value<QObject *>();
        QVERIFY(controller);
        // What the property reads back is what QML declared.
        const QVariantList declared = controller->property("apiResources").toList();
        QCOMPARE(declared.size(), 2);
        QCOMPARE(declared.at(0).toMap().value(u"resource"_s).toString(), audienceA);
        QCOMPARE(declared.at(1).toMap().value(u"scopes"_s).toStringList(),
                 QStringList {u"profile"_s});

        QVERIFY(QMetaObject::invokeMethod(controller, "signIn", Q_ARG(QString, u"alice"_s),
                                          Q_ARG(QString, u"wonderland"_s)));
        QTRY_VERIFY_WITH_TIMEOUT(controller->property("signedIn").toBool(), 10000);
        QCOMPARE(controller->property("lastErrorCode").toString(), QString());

        const int grants = server->stats().value(u"refresh_grants"_s).toInt();
        for (const auto &[name, base] : {std::pair {"a", urlA}, std::pair {"b", urlB},
                                         std::pair {"issuer", server->baseUrl()}}) {
            QVERIFY(QMetaObject::invokeMethod(root.get(), "fetch",
                                              Q_ARG(QVariant, QString::fromLatin1(name)),
                                              Q_ARG(QVariant, base.toString() + u"/api/echo"_s)));
        }
        QTRY_COMPARE_WITH_TIMEOUT(root->property("done").toInt(), 3, 10000);
        const auto seen = [&root](const char *name) {
            QVariant value;
            QMetaObject::invokeMethod(root.get(), "seenOf", Q_RETURN_ARG(QVariant, value),
                                      Q_ARG(QVariant, QString::fromLatin1(name)));
            return value.toString();
        };
        const QJsonObject a = tokenClaims(seen("a"));
        const QJsonObject b = tokenClaims(seen("b"));
        // What was seen, but never the token itself in a failure message.
        QVERIFY2(!a.isEmpty(), qPrintable(seen("a").left(12)));
        QVERIFY2(!b.isEmpty(), qPrintable(seen("b").left(12)));
        QCOMPARE(a.value(u"aud").toString(), audienceA);
        QCOMPARE(b.value(u"aud").toString(), audienceB);
        // B's entry asked for "profile" alone (RFC 6749 §6 scope on its refresh grant).
        QCOMPARE(b.value(u"scope").toString(), u"profile"_s);
        QVERIFY(a.value(u"scope").toString().contains(u"openid"_s));
        QVERIFY(a.value(u"jti") != b.value(u"jti"));
        // The issuer's /api/echo would take any token of this server: none was sent.
        QCOMPARE(seen("issuer"), u"status 401"_s);
        // One grant per API, on first use.
        QCOMPARE(server->stats().value(u"refresh_grants"_s).toInt(), grants + 2);
    }

    void wrongEntryIsRefused_data()
    {
        QTest::addColumn<QString>("entries");
        QTest::addColumn<QString>("why");
        const QString api = u"http://127.0.0.1:1"_s;
        QTest::newRow("not an object") << u"[\"%1\"]"_s.arg(api) << u"must be an object"_s;
        QTest::newRow("typo") << u"[{origin: \"%1\", audiance: \"x\"}]"_s.arg(api)
                              << u"unknown key \"audiance\""_s;
        QTest::newRow("no origin") << u"[{resource: \"https://api.example\"}]"_s
                                   << u"\"origin\" must be an http or https URL"_s;
        QTest::newRow("ftp origin") << u"[{origin: \"ftp://files.example\"}]"_s
                                    << u"\"origin\" must be an http or https URL"_s;
        QTest::newRow("relative resource") << u"[{origin: \"%1\", resource: \"api\"}]"_s.arg(api)
                                           << u"absolute URI without a fragment"_s;
        QTest::newRow("scopes a string")
                << u"[{origin: \"%1\", scopes: \"api:read api:write\"}]"_s.arg(api)
                << u"\"scopes\" must be a list"_s;
        QTest::newRow("twice") << u"[{origin: \"%1\"}, {origin: \"%1/other\"}]"_s.arg(api)
                               << u"\"origin\" %1/other is listed twice"_s.arg(api);
    }
    void wrongEntryIsRefused()
    {
        QFETCH(QString, entries);
        QFETCH(QString, why);
        auto server = MockTest::startMockServer();
        QQmlEngine engine;
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(u"SessionController: apiResources\\[\\d\\]: .*"_s
                                                + QRegularExpression::escape(why)));
        const auto root = create(engine, document(server->baseUrl(), entries));
        QVERIFY(root);
        auto *controller = root->property("controller").value<QObject *>();
        QVERIFY(controller);
        QVERIFY(controller->property("apiResources").toList().isEmpty());
        // Fail closed: no session, so nothing is sent anywhere with any token.
        QSignalSpy errors(controller, SIGNAL(errorOccurred(QString, QString, bool)));
        QVERIFY(QMetaObject::invokeMethod(controller, "signIn", Q_ARG(QString, u"alice"_s),
                                          Q_ARG(QString, u"wonderland"_s)));
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).toString(), u"InvalidConfiguration"_s);
        QCOMPARE(controller->property("lastErrorCode").toString(), u"InvalidConfiguration"_s);
        QCOMPARE(controller->property("signedIn").toBool(), false);
        QCOMPARE(server->stats().value(u"password_grants"_s).toInt(), 0);
    }
};

QTEST_MAIN(tst_QmlControllerResources)
#include "tst_qmlcontrollerresources.moc"
