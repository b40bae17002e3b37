// SPDX-License-Identifier: MIT
// Regression inputs found by the libFuzzer harnesses in fuzz/. Each row is
// the minimised input (also kept as a seed in fuzz/corpus/<harness>/regression_*)
// and the property the harness checks.

#include "signin/redirectrequest_p.h"

#include <QTest>

using namespace SecureTokens;

class FuzzRegressions : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void redirectRequestFieldValues_data();
    void redirectRequestFieldValues();
};

void FuzzRegressions::redirectRequestFieldValues_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<bool>("ok");

    // Controls: the parser's answer for well-formed heads is unchanged.
    QTest::addRow("well-formed") << QByteArray("GET /callback?code=a HTTP/1.1\r\n"
                                               "Host: 127.0.0.1:1\r\n\r\n")
                                 << true;
    QTest::addRow("tab in a value")
            << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nX: b\tc\r\n\r\n") << true;
    // fuzz_redirectrequest, crash-3a3e1a87 (minimised; fixed): a bare LF inside the
    // Host value was accepted, so r.host held "a\nb" and a hidden header line.
    // RFC 9110 §5.5: a recipient of CR, LF or NUL within a field value MUST
    // reject the message (or replace them with SP).
    QTest::addRow("bare LF in Host") << QByteArray("GET / HTTP/1.1\r\nHost: a\nb\r\n\r\n") << false;
    QTest::addRow("bare CR in Host") << QByteArray("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n") << false;
    QTest::addRow("NUL in a value")
            << QByteArrayLiteral("GET / HTTP/1.1\r\nHost: a\r\nX: b\0c\r\n\r\n") << false;
    QTest::addRow("second Host hidden after LF")
            << QByteArray("GET / HTTP/1.1\r\nX: y\nHost: evil\r\nHost: 127.0.0.1:1\r\n\r\n")
            << false;
}

void FuzzRegressions::redirectRequestFieldValues()
{
    QFETCH(QByteArray, head);
    QFETCH(bool, ok);
    const RedirectRequest request = parseRedirectRequest(head);
    QCOMPARE(request.ok, ok);
    if (request.ok)
        QVERIFY(!request.host.contains('\n') && !request.host.contains('\r'));
}

QTEST_GUILESS_MAIN(FuzzRegressions)
#include "tst_fuzzregressions.moc"
