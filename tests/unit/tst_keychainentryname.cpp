// SPDX-License-Identifier: MIT
// The flat entry name of backends with one namespace (Windows Credential
// Manager): no two (service, account) pairs may share an entry (security
// review, finding 10). Pure, so it runs on every platform.

#include "storage/keychainentryname.h"

#include <QSet>
#include <QTest>

using namespace SecureTokens::Internal;

class tst_KeychainEntryName : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void separatorInEitherPartDoesNotCollide();
    void distinctPairsGetDistinctNames();
    void plainNamesAreUnchanged();
};

void tst_KeychainEntryName::separatorInEitherPartDoesNotCollide()
{
    // The demonstrated collision: "a/b" + "c" and "a" + "b/c" were both "a/b/c".
    QVERIFY(flatEntryName(QStringLiteral("a/b"), QStringLiteral("c"))
            != flatEntryName(QStringLiteral("a"), QStringLiteral("b/c")));
    // And the escape itself must not open a new one: a literal "%2F" is not a '/'.
    QVERIFY(flatEntryName(QStringLiteral("a%2Fb"), QStringLiteral("c"))
            != flatEntryName(QStringLiteral("a/b"), QStringLiteral("c")));
    QVERIFY(flatEntryName(QStringLiteral("a"), QStringLiteral("b%2Fc"))
            != flatEntryName(QStringLiteral("a"), QStringLiteral("b/c")));
}

void tst_KeychainEntryName::distinctPairsGetDistinctNames()
{
    // Every split of strings over the alphabet {a, /, %, 2, F} up to length 5
    // into (service, account): each pair its own name.
    const QString alphabet = QStringLiteral("a/%2F");
    QStringList words {QString()};
    QStringList frontier {QString()};
    for (int length = 1; length <= 5; ++length) {
        QStringList next;
        for (const QString &w : std::as_const(frontier))
            for (const QChar c : alphabet)
                next.append(w + c);
        words += next;
        frontier = next;
    }
    QSet<QString> names;
    int pairs = 0;
    for (const QString &word : std::as_const(words)) {
        for (qsizetype cut = 0; cut <= word.size(); ++cut) {
            const QString name = flatEntryName(word.left(cut), word.mid(cut));
            QVERIFY2(!names.contains(name), qPrintable(name));
            names.insert(name);
            ++pairs;
        }
    }
    QCOMPARE(names.size(), pairs);
}

void tst_KeychainEntryName::plainNamesAreUnchanged()
{
    // Without '/' or '%' the name is what 0.1.0 wrote: stored sessions of the
    // default configuration (a derived "securetokens-<hex>" service) are found.
    QCOMPARE(flatEntryName(QStringLiteral("securetokens-0123456789abcdef"),
                           QStringLiteral("alice@example.com")),
             QStringLiteral("securetokens-0123456789abcdef/alice@example.com"));
    QCOMPARE(flatEntryName(QStringLiteral("a/b"), QStringLiteral("c")), QStringLiteral("a%2Fb/c"));
    QCOMPARE(flatEntryName(QStringLiteral("100%"), QStringLiteral("x/y")),
             QStringLiteral("100%25/x%2Fy"));
}

QTEST_GUILESS_MAIN(tst_KeychainEntryName)
#include "tst_keychainentryname.moc"
