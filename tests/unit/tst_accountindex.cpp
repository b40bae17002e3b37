// SPDX-License-Identifier: MIT
// The account index's format (session/accountindex): entries round-trip,
// damaged or foreign input is refused with a reason and leaves the output
// untouched, a newer release's list is recognised as such, the limits hold
// on both sides, and a record's entry carries its binding and display claims
// but never a token.
#include "session/accountindex_p.h"
#include "session/accountrecord_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace SecureTokens;

namespace {

AccountIndexEntry entry(const QString &account, const QString &sub = QStringLiteral("alice"))
{
    AccountIndexEntry e;
    e.account = account;
    e.issuer = QStringLiteral("https://id.example");
    e.tokenEndpoint = QStringLiteral("https://id.example/token");
    e.clientId = QStringLiteral("app");
    e.subject = sub;
    e.name = QStringLiteral("Alice Liddell");
    e.email = QStringLiteral("alice@example.com");
    e.updatedAt = 1764614400;
    return e;
}

AccountIndex sample()
{
    AccountIndex index;
    index.upsert(entry(QStringLiteral("work"), QStringLiteral("a-1")));
    index.upsert(entry(QStringLiteral("home"), QStringLiteral("a-2")));
    return index;
}

QByteArray listOf(const QJsonArray &accounts, int version = 1)
{
    return QJsonDocument(QJsonObject {{QStringLiteral("v"), version},
                                      {QStringLiteral("accounts"), accounts}})
            .toJson(QJsonDocument::Compact);
}

} // namespace

class tst_AccountIndex : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip()
    {
        const AccountIndex index = sample();
        AccountIndex decoded;
        QVERIFY(!decodeAccountIndex(encodeAccountIndex(index), &decoded).isError());
        QCOMPARE(decoded.entries.size(), 2);
        // Sorted by name, every field back, the time stamp too.
        QCOMPARE(decoded.entries.at(0).account, QStringLiteral("home"));
        QCOMPARE(decoded.entries.at(1).account, QStringLiteral("work"));
        for (int i = 0; i < 2; ++i) {
            QVERIFY(decoded.entries.at(i).sameAs(index.entries.at(i)));
            QCOMPARE(decoded.entries.at(i).updatedAt, index.entries.at(i).updatedAt);
        }
    }

    void upsertAndRemove()
    {
        AccountIndex index = sample();
        // The same entry again: no change, nothing to write.
        QVERIFY(!index.upsert(entry(QStringLiteral("work"), QStringLiteral("a-1"))));
        // Only the time differs: still no change (rotation does not rewrite the list).
        AccountIndexEntry later = entry(QStringLiteral("work"), QStringLiteral("a-1"));
        later.updatedAt += 60;
        QVERIFY(!index.upsert(later));
        // Another identity under the same name replaces it.
        QVERIFY(index.upsert(entry(QStringLiteral("work"), QStringLiteral("b-1"))));
        QCOMPARE(index.entries.size(), 2);
        QCOMPARE(index.entries.at(1).subject, QStringLiteral("b-1"));
        QVERIFY(index.remove(QStringLiteral("home")));
        QVERIFY(!index.remove(QStringLiteral("home")));
        QCOMPARE(index.entries.size(), 1);
        // An entry without a name is never listed.
        QVERIFY(!index.upsert(AccountIndexEntry()));
    }

    void limitsHoldOnWrite()
    {
        AccountIndex index;
        for (int i = 0; i < maxAccountIndexEntries; ++i)
            QVERIFY(index.upsert(entry(QStringLiteral("a%1").arg(i, 3, 10, QLatin1Char('0')))));
        QVERIFY(!index.upsert(entry(QStringLiteral("one-too-many"))));
        QCOMPARE(index.entries.size(), maxAccountIndexEntries);
        AccountIndex decoded;
        QVERIFY(!decodeAccountIndex(encodeAccountIndex(index), &decoded).isError());
        QCOMPARE(decoded.entries.size(), maxAccountIndexEntries);

        // Entries at the field limit: the byte limit stops the list before
        // it grows into something decodeAccountIndex() refuses.
        AccountIndex big;
        int added = 0;
        for (int i = 0; i < maxAccountIndexEntries; ++i) {
            AccountIndexEntry e = entry(QStringLiteral("b%1").arg(i));
            e.name = QString(maxAccountIndexField, QChar(0x00e9)); // 2 bytes each in UTF-8
            e.email = QString(maxAccountIndexField, QLatin1Char('x'));
            e.subject = QString(maxAccountIndexField, QLatin1Char('s'));
            added += big.upsert(e) ? 1 : 0;
        }
        QVERIFY(added < maxAccountIndexEntries);
        QVERIFY(encodeAccountIndex(big).size() <= maxAccountIndexBytes);
        QVERIFY(!decodeAccountIndex(encodeAccountIndex(big), &decoded).isError());
        QCOMPARE(decoded.entries.size(), added);
    }

    void damagedInputIsRefused_data()
    {
        QTest::addColumn<QByteArray>("stored");
        QTest::addColumn<QString>("reason");
        const QJsonObject ok {{QStringLiteral("account"), QStringLiteral("a")}};
        QTest::addRow("empty") << QByteArray() << "not a JSON object";
        QTest::addRow("not json") << QByteArray("\0STR\x01", 5) << "not a JSON object";
        QTest::addRow("array") << QByteArray("[]") << "not a JSON object";
        QTest::addRow("no version") << QByteArray(R"({"accounts":[]})") << "no format version";
        QTest::addRow("version 0") << listOf({ok}, 0) << "no format version";
        QTest::addRow("fractional version")
                << QByteArray(R"({"v":1.5,"accounts":[]})") << "no format version";
        QTest::addRow("string version")
                << QByteArray(R"({"v":"1","accounts":[]})") << "no format version";
        QTest::addRow("no array") << QByteArray(R"({"v":1,"accounts":{}})") << "no account array";
        QTest::addRow("entry not object") << listOf({1}) << "not an object";
        QTest::addRow("no name") << listOf(
                {QJsonObject {{QStringLiteral("sub"), QStringLiteral("x")}}})
                                 << "names no account";
        QTest::addRow("empty name")
                << listOf({QJsonObject {{QStringLiteral("account"), QStringLiteral("")}}})
                << "names no account";
        QTest::addRow("reserved name")
                << listOf({QJsonObject {{QStringLiteral("account"), accountIndexEntryName()}}})
                << "the list's own name";
        QTest::addRow("twice") << listOf({ok, ok}) << "listed twice";
        QTest::addRow("number as name") << listOf({QJsonObject {{QStringLiteral("account"), 7}}})
                                        << "field \"account\" is malformed";
        QTest::addRow("long field") << listOf({QJsonObject {
                {QStringLiteral("account"), QStringLiteral("a")},
                {QStringLiteral("email"), QString(maxAccountIndexField + 1, QLatin1Char('x'))}}})
                                    << "field \"email\" is malformed";
        QTest::addRow("negative time")
                << listOf({QJsonObject {{QStringLiteral("account"), QStringLiteral("a")},
                                        {QStringLiteral("updated_at"), -1}}})
                << "time stamp is malformed";
        QTest::addRow("string time")
                << listOf({QJsonObject {{QStringLiteral("account"), QStringLiteral("a")},
                                        {QStringLiteral("updated_at"), QStringLiteral("now")}}})
                << "time stamp is malformed";
        QJsonArray many;
        for (int i = 0; i <= maxAccountIndexEntries; ++i)
            many.append(QJsonObject {{QStringLiteral("account"), QString::number(i)}});
        QTest::addRow("too many") << listOf(many) << "more than";
        QTest::addRow("too large") << QByteArray(maxAccountIndexBytes + 1, ' ') << "larger than";
    }

    void damagedInputIsRefused()
    {
        QFETCH(QByteArray, stored);
        QFETCH(QString, reason);
        AccountIndex out = sample();
        bool newer = true;
        const ErrorInfo error = decodeAccountIndex(stored, &out, &newer);
        QCOMPARE(error.code, Error::StorageFailed);
        QVERIFY2(error.message.contains(reason), qPrintable(error.message));
        QVERIFY(!newer);
        // Nothing lost: the output is what it was.
        QCOMPARE(out.entries.size(), 2);
        QCOMPARE(out.entries.at(0).account, QStringLiteral("home"));
    }

    void newerVersionIsLeftAlone()
    {
        AccountIndex out = sample();
        bool newer = false;
        const ErrorInfo error = decodeAccountIndex(
                listOf({QJsonObject {{QStringLiteral("account"), QStringLiteral("a")}}}, 2), &out,
                &newer);
        QCOMPARE(error.code, Error::StorageFailed);
        QVERIFY(newer);
        QVERIFY(error.message.contains(QLatin1String("newer")));
        QCOMPARE(out.entries.size(), 2);
    }

    void unknownFieldsOfThisVersionAreIgnored()
    {
        // A later minor change may add a field; this release reads past it.
        AccountIndex out;
        QVERIFY(!decodeAccountIndex(
                         listOf({QJsonObject {{QStringLiteral("account"), QStringLiteral("a")},
                                              {QStringLiteral("picture"), QStringLiteral("p")}}}),
                         &out)
                         .isError());
        QCOMPARE(out.entries.size(), 1);
    }

    void entryOfARecord()
    {
        AccountRecord record;
        record.issuer = QStringLiteral("https://id.example");
        record.tokenEndpoint = QStringLiteral("https://id.example/token");
        record.clientId = QStringLiteral("app");
        record.refreshToken = SecretBytes(QByteArrayView("rt-secret-value"));
        record.idToken = SecretBytes(QByteArrayView("idtoken-secret-value"));
        record.clientSecret = SecretBytes(QByteArrayView("client-secret-value"));
        record.claimsJson = R"({"sub":"alice","name":"Alice","email":"a@example.com","x":"y"})";
        record.updatedAt = 1764614400;
        const AccountIndexEntry e = indexEntryOf(QStringLiteral("work"), record);
        QCOMPARE(e.account, QStringLiteral("work"));
        QCOMPARE(e.issuer, record.issuer);
        QCOMPARE(e.tokenEndpoint, record.tokenEndpoint);
        QCOMPARE(e.clientId, record.clientId);
        QCOMPARE(e.subject, QStringLiteral("alice"));
        QCOMPARE(e.name, QStringLiteral("Alice"));
        QCOMPARE(e.email, QStringLiteral("a@example.com"));
        QCOMPARE(e.updatedAt, record.updatedAt);
        AccountIndex index;
        QVERIFY(index.upsert(e));
        const QByteArray stored = encodeAccountIndex(index);
        // No secret of the record reaches the list.
        for (const char *secret :
             {"rt-secret-value", "idtoken-secret-value", "client-secret-value"})
            QVERIFY(!stored.contains(secret));

        // Not listed: a bare legacy value, no refresh credential, the reserved
        // name, a binding over the limit.
        AccountRecord legacy = record.clone();
        legacy.legacy = true;
        QVERIFY(indexEntryOf(QStringLiteral("work"), legacy).account.isEmpty());
        AccountRecord empty = record.clone();
        empty.refreshToken.clear();
        QVERIFY(indexEntryOf(QStringLiteral("work"), empty).account.isEmpty());
        QVERIFY(indexEntryOf(accountIndexEntryName(), record).account.isEmpty());
        AccountRecord longIssuer = record.clone();
        longIssuer.issuer = QString(maxAccountIndexField + 1, QLatin1Char('i'));
        QVERIFY(indexEntryOf(QStringLiteral("work"), longIssuer).account.isEmpty());
        QVERIFY(indexEntryOf(QString(maxAccountIndexField + 1, QLatin1Char('n')), record)
                        .account.isEmpty());
        // Long display claims are cut, not refused.
        AccountRecord longName = record.clone();
        longName.claimsJson
                = QJsonDocument(
                          QJsonObject {{QStringLiteral("sub"), QStringLiteral("alice")},
                                       {QStringLiteral("name"), QString(4000, QLatin1Char('n'))}})
                          .toJson(QJsonDocument::Compact);
        QCOMPARE(indexEntryOf(QStringLiteral("work"), longName).name.size(), maxAccountIndexField);
    }

    void reservedName()
    {
        QVERIFY(isReservedAccountName(accountIndexEntryName()));
        QVERIFY(!isReservedAccountName(QStringLiteral("default")));
        QVERIFY(!isReservedAccountName(QStringLiteral("accounts")));
    }
};

QTEST_GUILESS_MAIN(tst_AccountIndex)
#include "tst_accountindex.moc"
