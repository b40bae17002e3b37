// SPDX-License-Identifier: MIT
// SessionConfig::apiResources resolved into token slots (apiresources_p.h):
// the defaults, one slot per resource, the first entry per origin, the RFC
// 8707 §2 check, and what the authorization request gets.
#include "session/apiresources_p.h"

#include <QTest>

using namespace SecureTokens;
using namespace Qt::StringLiterals;

class tst_ApiResourceMap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyMeansNoSlots();
    void resourceDefaults_data();
    void resourceDefaults();
    void oneSlotPerResource();
    void firstEntryPerOriginWins();
    void invalidResource_data();
    void invalidResource();
    void mergedIntoAuthorizationRequest();
};

void tst_ApiResourceMap::emptyMeansNoSlots()
{
    const ApiResourceMap map = resolveApiResources({});
    QVERIFY(map.isEmpty());
    QCOMPARE(map.slotFor(u"https://api.example.com:443"_s), -1);
}

void tst_ApiResourceMap::resourceDefaults_data()
{
    QTest::addColumn<ApiResource>("entry");
    QTest::addColumn<QString>("resource");
    QTest::addColumn<QString>("audience");
    QTest::addRow("origin is the resource")
            << ApiResource {QUrl(u"https://API.example.com/v1/items?x=1"_s), {}, {}, {}}
            << u"https://api.example.com"_s << QString();
    QTest::addRow("explicit resource")
            << ApiResource {QUrl(u"https://api.example.com"_s), u"urn:example:api"_s, {}, {}}
            << u"urn:example:api"_s << QString();
    QTest::addRow("audience only (Auth0)")
            << ApiResource {QUrl(u"https://api.example.com"_s), {}, u"my-api"_s, {}} << QString()
            << u"my-api"_s;
}

void tst_ApiResourceMap::resourceDefaults()
{
    QFETCH(ApiResource, entry);
    QFETCH(QString, resource);
    QFETCH(QString, audience);
    const ApiResourceMap map = resolveApiResources({entry});
    QCOMPARE(map.slots.size(), 1);
    QCOMPARE(map.slots.at(0).resource, resource);
    QCOMPARE(map.slots.at(0).audience, audience);
    QVERIFY(!map.slots.at(0).error.isError());
    // Looked up by originOf(): default port filled in, host lower-cased.
    QCOMPARE(map.slotFor(u"https://api.example.com:443"_s), 0);
    QCOMPARE(map.slotFor(u"http://api.example.com:80"_s), -1);
}

void tst_ApiResourceMap::oneSlotPerResource()
{
    const ApiResourceMap map = resolveApiResources({
            {QUrl(u"https://a.example"_s), u"urn:api"_s, {}, {}},
            {QUrl(u"https://b.example"_s), u"urn:api"_s, {}, {}},
            {QUrl(u"https://c.example"_s), u"urn:api"_s, {}, {u"items"_s}},
            {QUrl(u"https://d.example:8443"_s), {}, {}, {}},
    });
    QCOMPARE(map.slots.size(), 3);
    QCOMPARE(map.slotFor(u"https://a.example:443"_s), 0);
    QCOMPARE(map.slotFor(u"https://b.example:443"_s), 0); // the same token
    QCOMPARE(map.slotFor(u"https://c.example:443"_s), 1); // other scopes: its own
    QCOMPARE(map.slotFor(u"https://d.example:8443"_s), 2);
    QCOMPARE(map.slots.at(2).resource, u"https://d.example:8443"_s);
}

void tst_ApiResourceMap::firstEntryPerOriginWins()
{
    const ApiResourceMap map = resolveApiResources({
            {QUrl(u"https://a.example/one"_s), u"urn:one"_s, {}, {}},
            {QUrl(u"https://a.example/two"_s), u"urn:two"_s, {}, {}},
            {QUrl(u"not a url"_s), u"urn:three"_s, {}, {}},
            {QUrl(), u"urn:four"_s, {}, {}},
    });
    QCOMPARE(map.slots.size(), 1);
    QCOMPARE(map.slots.at(0).resource, u"urn:one"_s);
    QCOMPARE(map.slotOfOrigin.size(), 1);
}

void tst_ApiResourceMap::invalidResource_data()
{
    QTest::addColumn<QString>("resource");
    QTest::addRow("fragment") << u"https://api.example.com/#frag"_s;
    QTest::addRow("relative") << u"/api"_s;
    QTest::addRow("not a URI") << u"api a"_s;
}

void tst_ApiResourceMap::invalidResource()
{
    QFETCH(QString, resource);
    const ApiResourceMap map
            = resolveApiResources({{QUrl(u"https://api.example.com"_s), resource, {}, {}}});
    QCOMPARE(map.slots.size(), 1);
    const ErrorInfo &error = map.slots.at(0).error;
    QCOMPARE(error.code, Error::InvalidConfiguration);
    QVERIFY2(error.message.contains(u"RFC 8707 §2"), qPrintable(error.message));
    // Not named in the authorization request either.
    SessionConfig config;
    mergeIntoAuthorizationRequest(map, &config);
    QVERIFY(config.resources.isEmpty());
}

void tst_ApiResourceMap::mergedIntoAuthorizationRequest()
{
    SessionConfig config;
    config.resources = {u"urn:one"_s};
    const ApiResourceMap map = resolveApiResources({
            {QUrl(u"https://a.example"_s), u"urn:one"_s, {}, {}},
            {QUrl(u"https://b.example"_s), u"urn:two"_s, u"aud-b"_s, {}},
            {QUrl(u"https://c.example"_s), {}, u"aud-c"_s, {}},
    });
    mergeIntoAuthorizationRequest(map, &config);
    QCOMPARE(config.resources, (QStringList {u"urn:one"_s, u"urn:two"_s}));
    QCOMPARE(config.audience, u"aud-b"_s); // the first one; Auth0 takes one
    config.audience = u"set"_s;
    mergeIntoAuthorizationRequest(map, &config);
    QCOMPARE(config.audience, u"set"_s);
    QCOMPARE(config.resources.size(), 2);
}

QTEST_GUILESS_MAIN(tst_ApiResourceMap)
#include "tst_apiresourcemap.moc"
