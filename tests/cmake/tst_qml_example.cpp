// SPDX-License-Identifier: MIT
// examples/qml, built against an installed prefix (qml-example.cmake), run
// offscreen the way a user would start it, against the mock server process:
// it signs in, calls the API with XMLHttpRequest and signs out, and says so.
#include "mockserverprocess.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QTest>

class tst_QmlExample : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void signInCallSignOut();
};

void tst_QmlExample::signInCallSignOut()
{
    MockServerProcess server;
    QVERIFY2(server.start({QStringLiteral("--admin")}), qPrintable(server.errorString()));

    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("LD_LIBRARY_PATH"), QStringLiteral(INSTALL_PREFIX "/lib"));
    // Nothing from the build tree: the module comes from the prefix or not at all.
    env.remove(QStringLiteral("QML_IMPORT_PATH"));
    env.remove(QStringLiteral("QML2_IMPORT_PATH"));
    app.setProcessEnvironment(env);
    app.start(QStringLiteral(EXAMPLE_EXECUTABLE),
              {QStringLiteral("--server"), server.baseUrl().toString(), QStringLiteral("--auto")});
    QVERIFY2(app.waitForStarted(), qPrintable(app.errorString()));
    QVERIFY2(app.waitForFinished(60000), "the example did not exit within 60 s");
    const QString output = QString::fromUtf8(app.readAllStandardError());
    QVERIFY2(app.exitStatus() == QProcess::NormalExit && app.exitCode() == 0,
             qPrintable(QStringLiteral("exit code %1:\n%2").arg(app.exitCode()).arg(output)));

    // In this order: signed in, one authenticated call answered, signed out.
    const qsizetype signedIn = output.indexOf(QLatin1String("signed in as alice"));
    const qsizetype called = output.indexOf(QLatin1String("GET /api/me: 200"));
    const qsizetype signedOut = output.indexOf(QLatin1String("signed out"), called);
    QVERIFY2(signedIn >= 0 && called > signedIn && signedOut > called, qPrintable(output));
    QVERIFY2(output.contains(QLatin1String("\"sub\":\"alice\"")), qPrintable(output));

    // The server saw it too: one password grant, the bearer token on the API, a revocation.
    const QJsonObject stats = server.stats();
    QCOMPARE(stats.value(QStringLiteral("password_grants")).toInt(), 1);
    QVERIFY(stats.value(QStringLiteral("authorized_requests")).toInt() >= 1);
    QCOMPARE(stats.value(QStringLiteral("revocations")).toInt(), 1);
    QVERIFY(server.stop());
}

QTEST_GUILESS_MAIN(tst_QmlExample)

#include "tst_qml_example.moc"
