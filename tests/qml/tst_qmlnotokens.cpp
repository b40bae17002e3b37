// SPDX-License-Identifier: MIT
// Security rule 1 (docs/security-model.md): no token in any QML-visible property or signal
// argument. Every type the QML modules export (read from their generated
// .qmltypes, so a new type cannot slip past) is walked through its
// meta-object while a real session signs in, calls the API, refreshes, fails
// and signs out; every value and every signal argument is searched for the
// tokens the mock server issued.
#include "democonfig.h"
#include "mockadmin.h"
#include "mockauthserver.h"

#include <securetokens/qml/sessioncontroller.h>
#include <securetokens/qml/sessionnetworkaccessmanagerfactory.h>

#include <securetokens/session.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaMethod>
#include <QMetaProperty>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

using namespace SecureTokens;

namespace {

constexpr int timeoutMs = 15000;

//! Everything readable about \a value, as strings (gadgets and containers unfolded).
void flatten(const QVariant &value, QStringList &out, int depth = 0)
{
    if (depth > 4 || !value.isValid())
        return;
    const QMetaType type = value.metaType();
    if (const QMetaObject *gadget = type.metaObject();
        gadget && (type.flags() & QMetaType::IsGadget)) {
        for (int i = 0; i < gadget->propertyCount(); ++i)
            flatten(gadget->property(i).readOnGadget(value.constData()), out, depth + 1);
        return;
    }
    if (value.canConvert<QVariantMap>() && type.id() == QMetaType::QVariantMap) {
        out << QString::fromUtf8(
                QJsonDocument(QJsonObject::fromVariantMap(value.toMap())).toJson());
        return;
    }
    if (type.id() == QMetaType::QVariantList) {
        for (const QVariant &v : value.toList())
            flatten(v, out, depth + 1);
        return;
    }
    if (type.id() == QMetaType::QDateTime) {
        out << value.toDateTime().toString(Qt::ISODateWithMs);
        return;
    }
    if (type.id() == QMetaType::QByteArray) {
        out << QString::fromLatin1(value.toByteArray());
        return;
    }
    out << value.toString();
}

//! The strings a token could appear as: whole, and each JWT part but the shared header.
QStringList needlesFor(const QString &token)
{
    QStringList needles {token};
    const QStringList parts = token.split(QLatin1Char('.'));
    if (parts.size() == 3) {
        needles << parts.at(1) << parts.at(2);
    }
    return needles;
}

} // namespace

class tst_QmlNoTokens : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void scannerFindsATokenWhenThereIsOne();
    void everyExportedTypeIsCovered();
    void noTokenInPropertiesOrSignals();
    void cleanupTestCase();

private:
    //! C++ class name -> meta-object of each type the QML modules are meant to export.
    QHash<QString, const QMetaObject *> knownTypes() const;
    void snapshot(QObject *object);
    void collectTokens();
    QStringList leaks(const QStringList &haystack) const;

    std::unique_ptr<Mock::MockAuthServer> m_server;
    std::set<QString> m_tokens;
    QStringList m_values;
};

QHash<QString, const QMetaObject *> tst_QmlNoTokens::knownTypes() const
{
    return {
            {QStringLiteral("SecureTokens::Qml::SessionController"),
             &Qml::SessionController::staticMetaObject},
            {QStringLiteral("SecureTokensDemo::MockAdmin"),
             &SecureTokensDemo::MockAdmin::staticMetaObject},
    };
}

void tst_QmlNoTokens::initTestCase()
{
    Mock::ServerConfig config;
    config.admin = true; // records issued tokens for tokens()
    config.signing = Mock::ServerConfig::Signing::HS256;
    m_server = std::make_unique<Mock::MockAuthServer>(config);
    QVERIFY2(m_server->listen(), qPrintable(m_server->errorString()));
}

void tst_QmlNoTokens::cleanupTestCase()
{
    m_server.reset();
}

void tst_QmlNoTokens::scannerFindsATokenWhenThereIsOne()
{
    // The search below must be able to fail: a token inside a map, a gadget-like
    // string list and a plain string are all found.
    const QString fake = QStringLiteral("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
    m_tokens.insert(fake);
    QStringList values;
    flatten(QVariantMap {{QStringLiteral("k"), QStringLiteral("prefix ") + fake}}, values);
    QCOMPARE(leaks(values).size(), 1);
    values.clear();
    flatten(QVariantList {QStringLiteral("x"), QStringLiteral("eyJzdWIiOiJ4In0")}, values);
    QCOMPARE(leaks(values).size(), 1); // the payload alone is caught too
    m_tokens.erase(fake);
}

void tst_QmlNoTokens::everyExportedTypeIsCovered()
{
    const QString dir = QStringLiteral(QML_MODULES_DIR);
    QStringList files;
    for (const QString &module :
         {QStringLiteral("SecureTokens"), QStringLiteral("SecureTokensDemo")}) {
        const QDir moduleDir(dir + QLatin1Char('/') + module);
        const QStringList found = moduleDir.entryList({QStringLiteral("*.qmltypes")}, QDir::Files);
        QVERIFY2(!found.isEmpty(),
                 qPrintable(QStringLiteral("no .qmltypes in ") + moduleDir.path()));
        for (const QString &f : found)
            files << moduleDir.filePath(f);
    }
    // Components with an "exports" list are the types QML can name.
    const QRegularExpression component(QStringLiteral(
            "Component \\{[^{}]*?name: \"([^\"]+)\"[^{}]*?exports: \\[([^\\]]*)\\]"));
    QStringList exported;
    for (const QString &path : files) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(file.readAll());
        for (auto it = component.globalMatch(text); it.hasNext();) {
            const auto match = it.next();
            if (match.captured(2).trimmed().isEmpty())
                continue;
            exported << match.captured(1);
        }
    }
    QVERIFY2(!exported.isEmpty(), "no exported types found: the scan is broken");
    const auto known = knownTypes();
    for (const QString &name : exported) {
        QVERIFY2(known.contains(name),
                 qPrintable(QStringLiteral("%1 is exported to QML but not covered by this test")
                                    .arg(name)));
    }
    for (auto it = known.cbegin(); it != known.cend(); ++it)
        QVERIFY2(exported.contains(it.key()),
                 qPrintable(it.key() + QStringLiteral(" not exported")));
}

void tst_QmlNoTokens::snapshot(QObject *object)
{
    const QMetaObject *meta = object->metaObject();
    for (int i = meta->propertyOffset(); i < meta->propertyCount(); ++i) {
        const QMetaProperty property = meta->property(i);
        if (property.isReadable())
            flatten(property.read(object), m_values);
    }
}

void tst_QmlNoTokens::collectTokens()
{
    const QJsonObject tokens = m_server->tokens();
    for (const auto &key : {QStringLiteral("access_tokens"), QStringLiteral("refresh_tokens")}) {
        for (const QJsonValue &v : tokens.value(key).toArray()) {
            if (!v.toString().isEmpty())
                m_tokens.insert(v.toString());
        }
    }
}

QStringList tst_QmlNoTokens::leaks(const QStringList &haystack) const
{
    // One entry per leaking value; the token itself is never printed.
    QStringList found;
    for (const QString &value : haystack) {
        const auto leaksToken = [&value](const QString &token) {
            const QStringList needles = needlesFor(token);
            return std::any_of(needles.cbegin(), needles.cend(), [&value](const QString &n) {
                return n.size() >= 8 && value.contains(n);
            });
        };
        if (std::any_of(m_tokens.cbegin(), m_tokens.cend(), leaksToken))
            found << QStringLiteral("a value of %1 characters holds a token").arg(value.size());
    }
    return found;
}

void tst_QmlNoTokens::noTokenInPropertiesOrSignals()
{
    Session session(SecureTokensDemo::makeSessionConfig(m_server->baseUrl(), true));
    Qml::SessionController controller(&session);
    SecureTokensDemo::MockAdmin admin;
    admin.setServerUrl(m_server->baseUrl());
    Qml::SessionNetworkAccessManagerFactory factory(&session);
    std::unique_ptr<QNetworkAccessManager> nam(factory.create(nullptr));

    // Every signal of every exposed instance is recorded with its arguments.
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    const QList<QObject *> instances {&controller, &admin};
    for (QObject *object : instances) {
        const QMetaObject *meta = object->metaObject();
        for (int i = meta->methodOffset(); i < meta->methodCount(); ++i) {
            const QMetaMethod method = meta->method(i);
            if (method.methodType() == QMetaMethod::Signal)
                spies.push_back(std::make_unique<QSignalSpy>(object, method));
        }
    }
    QVERIFY(spies.size() >= 10);
    const auto checkpoint = [&] {
        for (QObject *object : instances)
            snapshot(object);
        collectTokens();
    };

    // Sign in, use the API, refresh, fail transiently, act out an expiry, sign out.
    controller.signIn(QStringLiteral("alice"), QStringLiteral("wonderland"));
    QTRY_VERIFY_WITH_TIMEOUT(controller.isSignedIn(), timeoutMs);
    checkpoint();

    QNetworkReply *reply = nam->get(
            QNetworkRequest(m_server->baseUrl().resolved(QUrl(QStringLiteral("/api/me")))));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(timeoutMs));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    delete reply;

    QSignalSpy statsChanged(&admin, &SecureTokensDemo::MockAdmin::statsChanged);
    admin.refreshStats();
    QVERIFY(statsChanged.wait(timeoutMs));

    const int refreshes = controller.refreshCount();
    controller.refresh();
    QTRY_COMPARE_WITH_TIMEOUT(controller.refreshCount(), refreshes + 1, timeoutMs);
    checkpoint();

    m_server->setFaults(QJsonObject {{QStringLiteral("refresh_errors"),
                                      QJsonArray {QJsonObject {{QStringLiteral("status"), 500}}}}});
    QSignalSpy errors(&controller, &Qml::SessionController::errorOccurred);
    controller.refresh();
    QVERIFY(errors.wait(timeoutMs));
    QVERIFY(controller.hasError());
    checkpoint();
    m_server->clearFaults();
    // The session retries with backoff after the transient failure and comes back.
    QTRY_VERIFY_WITH_TIMEOUT(!controller.isOffline(), timeoutMs);

    m_server->setFaults(QJsonObject {{QStringLiteral("expire_access_tokens"), true}});
    QNetworkReply *retried = nam->get(
            QNetworkRequest(m_server->baseUrl().resolved(QUrl(QStringLiteral("/api/items")))));
    QSignalSpy retriedFinished(retried, &QNetworkReply::finished);
    QVERIFY(retriedFinished.wait(timeoutMs));
    QCOMPARE(retried->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    delete retried;
    checkpoint();

    controller.signOut();
    QTRY_COMPARE_WITH_TIMEOUT(controller.state(), Qml::SessionController::State::SignedOut,
                              timeoutMs);
    checkpoint();

    // The server issued real tokens, so the search had something to look for.
    QVERIFY2(m_tokens.size() >= 4, qPrintable(QString::number(m_tokens.size())));

    QStringList arguments;
    int emissions = 0;
    for (const auto &spy : spies) {
        for (const QList<QVariant> &call : *spy) {
            ++emissions;
            for (const QVariant &argument : call)
                flatten(argument, arguments);
        }
    }
    QVERIFY2(emissions >= 10, "too few signals were emitted for the scan to mean anything");
    QVERIFY(!m_values.isEmpty());

    const QStringList inProperties = leaks(m_values);
    QVERIFY2(inProperties.isEmpty(), qPrintable(inProperties.join(QLatin1Char('\n'))));
    const QStringList inSignals = leaks(arguments);
    QVERIFY2(inSignals.isEmpty(), qPrintable(inSignals.join(QLatin1Char('\n'))));
}

QTEST_MAIN(tst_QmlNoTokens)
#include "tst_qmlnotokens.moc"
