// SPDX-License-Identifier: MIT
// The stored record's format (session/accountrecord): every field round-trips,
// bare values of an earlier release are recognised, damaged or foreign input is
// refused with a reason, and the binding to issuer and client is checked.
#include "session/accountrecord_p.h"

#include <securetokens/sessionconfig.h>

#include <QTest>
#include <QtEndian>

using namespace SecureTokens;

namespace {

AccountRecord fullRecord()
{
    AccountRecord r;
    r.kind = AccountRecord::Kind::OAuth;
    r.issuer = QStringLiteral("https://id.example");
    r.tokenEndpoint = QStringLiteral("https://id.example/token");
    r.clientId = QStringLiteral("app");
    r.refreshToken = SecretBytes(QByteArrayView("rt-1"));
    r.clientSecret = SecretBytes(QByteArrayView("not-so-secret"));
    r.idToken = SecretBytes(QByteArrayView("e30.e30.sig"));
    r.claimsJson = R"({"sub":"alice","name":"Alice"})";
    r.scope = QStringLiteral("openid profile");
    r.dpopPrivateKey = SecretBytes(QByteArrayView("\x30\x81\x87\x02\x01\x00", 6));
    r.dpopKeyReference = QStringLiteral("pkcs11:token=t;object=k");
    r.backend = QStringLiteral("secret-service");
    r.updatedAt = 1764614400;
    return r;
}

QByteArray encoded(const AccountRecord &r)
{
    return encodeAccountRecord(r).view().toByteArray();
}

// magic, version, then the fields given as (tag, bytes).
QByteArray handMade(quint8 version, const QList<QPair<quint8, QByteArray>> &fields)
{
    QByteArray out("\0STR", 4);
    out.append(char(version));
    for (const auto &[tag, bytes] : fields) {
        out.append(char(tag));
        char length[4];
        qToBigEndian(quint32(bytes.size()), length);
        out.append(length, 4);
        out.append(bytes);
    }
    return out;
}

SessionConfig configFor(const QString &issuer, const QString &clientId)
{
    SessionConfig config;
    config.issuer = QUrl(issuer);
    config.clientId = clientId;
    return config;
}

} // namespace

class tst_AccountRecord : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip();
    void emptyFieldsAreLeftOut();
    void legacyValues_data();
    void legacyValues();
    void refused_data();
    void refused();
    void newerVersionIsLeftAlone();
    void binding_data();
    void binding();
    void bindingMessageNamesBothSides();
    void derivedStorageService();
};

void tst_AccountRecord::roundTrip()
{
    const AccountRecord in = fullRecord();
    AccountRecord out;
    QVERIFY(!decodeAccountRecord(encoded(in), &out).isError());
    QVERIFY(!out.legacy);
    QCOMPARE(out.kind, in.kind);
    QCOMPARE(out.issuer, in.issuer);
    QCOMPARE(out.tokenEndpoint, in.tokenEndpoint);
    QCOMPARE(out.clientId, in.clientId);
    QVERIFY(out.refreshToken.equals(in.refreshToken));
    QVERIFY(out.clientSecret.equals(in.clientSecret));
    QVERIFY(out.idToken.equals(in.idToken));
    QCOMPARE(out.claimsJson, in.claimsJson);
    QCOMPARE(out.scope, in.scope);
    QVERIFY(out.dpopPrivateKey.equals(in.dpopPrivateKey));
    QCOMPARE(out.dpopKeyReference, in.dpopKeyReference);
    QCOMPARE(out.backend, in.backend);
    QCOMPARE(out.updatedAt, in.updatedAt);
    // A clone is a copy of every field, secrets included.
    const AccountRecord copy = out.clone();
    QVERIFY(copy.refreshToken.equals(in.refreshToken));
    QVERIFY(copy.dpopPrivateKey.equals(in.dpopPrivateKey));
    QCOMPARE(copy.claimsJson, in.claimsJson);
}

void tst_AccountRecord::emptyFieldsAreLeftOut()
{
    AccountRecord minimal;
    minimal.clientId = QStringLiteral("app");
    minimal.refreshToken = SecretBytes(QByteArrayView("rt"));
    const QByteArray bytes = encoded(minimal);
    // magic + version + kind (5+1) + client id (5+3) + refresh token (5+2)
    QCOMPARE(bytes.size(), 5 + 6 + 8 + 7);
    AccountRecord out;
    QVERIFY(!decodeAccountRecord(bytes, &out).isError());
    QVERIFY(out.issuer.isEmpty() && out.clientSecret.isEmpty() && out.claimsJson.isEmpty());
}

void tst_AccountRecord::legacyValues_data()
{
    QTest::addColumn<QByteArray>("stored");
    // What 0.1.0 stored: the refresh token itself (RFC 6749 VSCHAR) ...
    QTest::addRow("refresh token") << QByteArray("8xLOxBtZp8-opaque.refresh~token");
    QTest::addRow("JWT refresh token") << QByteArray("eyJhbGciOiJIUzI1NiJ9.e30.c2ln");
    // ... or the cookie transport's envelope.
    QTest::addRow("cookie envelope") << QByteArray("stc1\nY29va2ll\ndG9rZW4");
}

void tst_AccountRecord::legacyValues()
{
    QFETCH(QByteArray, stored);
    AccountRecord out;
    QVERIFY(!decodeAccountRecord(stored, &out).isError());
    QVERIFY(out.legacy);
    QVERIFY(out.refreshToken.equals(stored));
    QVERIFY(out.clientId.isEmpty());
    // No binding: it matches any configuration, once (then it is rewritten).
    QVERIFY(!checkAccountBinding(out, configFor(QStringLiteral("https://x"), QStringLiteral("y")))
                     .isError());
}

void tst_AccountRecord::refused_data()
{
    QTest::addColumn<QByteArray>("stored");
    QTest::addColumn<QString>("why");
    const QByteArray kind(1, char(1));
    const QList<QPair<quint8, QByteArray>> good {{1, kind}, {4, "app"}, {5, "rt"}};
    QTest::addRow("empty") << QByteArray() << QStringLiteral("empty");
    QTest::addRow("no version") << QByteArray("\0STR", 4) << QStringLiteral("version");
    QTest::addRow("version 0") << handMade(0, good) << QStringLiteral("version 0");
    QTest::addRow("unknown field")
            << handMade(1, good + QList<QPair<quint8, QByteArray>> {{99, "x"}})
            << QStringLiteral("unknown field");
    QTest::addRow("field twice") << handMade(1,
                                             good + QList<QPair<quint8, QByteArray>> {{5, "rt2"}})
                                 << QStringLiteral("twice");
    QTest::addRow("empty field") << handMade(1, {{1, kind}, {4, ""}, {5, "rt"}})
                                 << QStringLiteral("length");
    QByteArray truncated = handMade(1, good);
    truncated.chop(1);
    QTest::addRow("cut short") << truncated << QStringLiteral("length");
    QByteArray headerOnly = handMade(1, good);
    headerOnly.append(char(5)).append("\0\0", 2);
    QTest::addRow("field header cut") << headerOnly << QStringLiteral("cut short");
    QTest::addRow("no refresh token")
            << handMade(1, {{1, kind}, {4, "app"}}) << QStringLiteral("refresh credential");
    QTest::addRow("no client") << handMade(1, {{1, kind}, {5, "rt"}}) << QStringLiteral("client");
    QTest::addRow("unknown kind") << handMade(1, {{1, QByteArray(1, char(7))}, {4, "a"}, {5, "r"}})
                                  << QStringLiteral("kind");
    QTest::addRow("bad time stamp")
            << handMade(1, good + QList<QPair<quint8, QByteArray>> {{13, "abc"}})
            << QStringLiteral("time stamp");
    QTest::addRow("too large") << QByteArray(maxAccountRecordBytes + 1, 'a')
                               << QStringLiteral("larger than");
}

void tst_AccountRecord::refused()
{
    QFETCH(QByteArray, stored);
    QFETCH(QString, why);
    AccountRecord out;
    out.clientId = QStringLiteral("untouched");
    const ErrorInfo error = decodeAccountRecord(stored, &out);
    QCOMPARE(error.code, Error::StorageFailed);
    QVERIFY2(error.message.contains(why), qPrintable(error.message));
    QCOMPARE(out.clientId, QStringLiteral("untouched"));
    QVERIFY(out.refreshToken.isEmpty());
}

void tst_AccountRecord::newerVersionIsLeftAlone()
{
    AccountRecord out;
    const ErrorInfo error = decodeAccountRecord(
            handMade(AccountRecord::currentVersion + 1, {{4, "app"}, {5, "rt"}}), &out);
    QCOMPARE(error.code, Error::StorageFailed);
    QVERIFY2(error.message.contains(QLatin1String("newer")), qPrintable(error.message));
}

void tst_AccountRecord::binding_data()
{
    QTest::addColumn<QString>("storedIssuer");
    QTest::addColumn<QString>("storedEndpoint");
    QTest::addColumn<QString>("storedClient");
    QTest::addColumn<QString>("issuer");
    QTest::addColumn<QString>("endpoint");
    QTest::addColumn<QString>("client");
    QTest::addColumn<bool>("matches");
    const QString a = QStringLiteral("https://a.example");
    const QString b = QStringLiteral("https://b.example");
    const QString ta = QStringLiteral("https://a.example/token");
    const QString tb = QStringLiteral("https://b.example/token");
    const QString app = QStringLiteral("app");
    QTest::addRow("same issuer and client") << a << ta << app << a << QString() << app << true;
    // The token endpoint may come from discovery: the issuer decides.
    QTest::addRow("same issuer, endpoint not known yet")
            << a << ta << app << a << QString() << app << true;
    QTest::addRow("other issuer") << a << ta << app << b << QString() << app << false;
    QTest::addRow("other client") << a << ta << app << a << QString() << QStringLiteral("other")
                                  << false;
    QTest::addRow("issuer dropped from config")
            << a << ta << app << QString() << ta << app << false;
    QTest::addRow("by hand, same endpoint")
            << QString() << ta << app << QString() << ta << app << true;
    QTest::addRow("by hand, other endpoint")
            << QString() << ta << app << QString() << tb << app << false;
}

void tst_AccountRecord::binding()
{
    QFETCH(QString, storedIssuer);
    QFETCH(QString, storedEndpoint);
    QFETCH(QString, storedClient);
    QFETCH(QString, issuer);
    QFETCH(QString, endpoint);
    QFETCH(QString, client);
    QFETCH(bool, matches);
    AccountRecord record;
    record.issuer = storedIssuer;
    record.tokenEndpoint = storedEndpoint;
    record.clientId = storedClient;
    record.refreshToken = SecretBytes(QByteArrayView("rt"));
    SessionConfig config;
    config.issuer = QUrl(issuer);
    config.tokenEndpoint = QUrl(endpoint);
    config.clientId = client;
    const ErrorInfo error = checkAccountBinding(record, config);
    QCOMPARE(!error.isError(), matches);
    if (!matches)
        QCOMPARE(error.code, Error::AccountMismatch);

    // bindAccountRecord() makes a record that matches its configuration.
    AccountRecord bound;
    bindAccountRecord(&bound, config);
    QVERIFY(!checkAccountBinding(bound, config).isError());
}

void tst_AccountRecord::bindingMessageNamesBothSides()
{
    AccountRecord record;
    bindAccountRecord(&record,
                      configFor(QStringLiteral("https://a.example"), QStringLiteral("app")));
    const ErrorInfo error = checkAccountBinding(
            record, configFor(QStringLiteral("https://b.example"), QStringLiteral("app")));
    QVERIFY2(error.message.contains(QLatin1String("\"https://a.example\""))
                     && error.message.contains(QLatin1String("\"https://b.example\"")),
             qPrintable(error.message));

    SessionConfig cookie;
    cookie.transport = RefreshTransportKind::Cookie;
    cookie.cookieAuthBase = QUrl(QStringLiteral("https://app.example/auth"));
    const ErrorInfo kind = checkAccountBinding(record, cookie);
    QCOMPARE(kind.code, Error::AccountMismatch);
    QVERIFY2(kind.message.contains(QLatin1String("cookie")), qPrintable(kind.message));
}

// Finding 3: no storage namespace is shared by default.
void tst_AccountRecord::derivedStorageService()
{
    QVERIFY(SessionConfig().storageService.isEmpty());
    const SessionConfig a = configFor(QStringLiteral("https://a.example"), QStringLiteral("app"));
    const SessionConfig b = configFor(QStringLiteral("https://b.example"), QStringLiteral("app"));
    const SessionConfig c = configFor(QStringLiteral("https://a.example"), QStringLiteral("other"));
    QVERIFY(a.effectiveStorageService() != b.effectiveStorageService());
    QVERIFY(a.effectiveStorageService() != c.effectiveStorageService());
    QCOMPARE(a.effectiveStorageService(),
             configFor(QStringLiteral("https://a.example"), QStringLiteral("app"))
                     .effectiveStorageService());
    // Neither the server nor the client appears in the entry name other
    // processes can list.
    QVERIFY(!a.effectiveStorageService().contains(QLatin1String("example")));
    QVERIFY(!a.effectiveStorageService().contains(QLatin1String("app")));
    QVERIFY(a.effectiveStorageService().startsWith(QLatin1String("securetokens-")));
    SessionConfig named = a;
    named.storageService = QStringLiteral("com.example.myapp");
    QCOMPARE(named.effectiveStorageService(), QStringLiteral("com.example.myapp"));
}

QTEST_GUILESS_MAIN(tst_AccountRecord)
#include "tst_accountrecord.moc"
