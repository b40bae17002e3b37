// SPDX-License-Identifier: MIT
// securetokens-demo --screenshot, as the README uses it: the sign-in screen
// and the security panel (signed in against an in-process mock server) are
// written as PNGs that show something, not a blank or single-colour window.
#include "mockauthserver.h"

#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace SecureTokens;

namespace {

constexpr int runTimeoutMs = 60000;

int distinctColours(const QImage &image)
{
    QSet<QRgb> colours;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < rgb.height(); y += 2) {
        const auto *line = reinterpret_cast<const QRgb *>(rgb.constScanLine(y));
        for (int x = 0; x < rgb.width(); x += 2)
            colours.insert(line[x]);
    }
    return colours.size();
}

} // namespace

class tst_DemoScreenshot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void screenshot_data();
    void screenshot();
    void rejectsAnUnknownScreen();

private:
    //! Runs the demo with \a arguments while this thread keeps serving the mock server.
    int runDemo(const QStringList &arguments, QByteArray *errors = nullptr);

    std::unique_ptr<Mock::MockAuthServer> m_server;
    QTemporaryDir m_dir;
};

void tst_DemoScreenshot::initTestCase()
{
    QVERIFY(m_dir.isValid());
    Mock::ServerConfig config;
    config.admin = true;
    config.signing = Mock::ServerConfig::Signing::HS256;
    m_server = std::make_unique<Mock::MockAuthServer>(config);
    QVERIFY2(m_server->listen(), qPrintable(m_server->errorString()));
}

int tst_DemoScreenshot::runDemo(const QStringList &arguments, QByteArray *errors)
{
    QProcess demo;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    demo.setProcessEnvironment(env);
    QSignalSpy finished(&demo, &QProcess::finished);
    demo.start(QStringLiteral(DEMO_EXECUTABLE), arguments);
    if (!demo.waitForStarted(runTimeoutMs))
        return -1;
    // Not waitForFinished(): the in-process server needs this thread's event loop.
    if (!finished.wait(runTimeoutMs)) {
        demo.kill();
        demo.waitForFinished();
        return -2;
    }
    if (errors)
        *errors = demo.readAllStandardError();
    return demo.exitStatus() == QProcess::NormalExit ? demo.exitCode() : -3;
}

void tst_DemoScreenshot::screenshot_data()
{
    QTest::addColumn<QString>("screen");
    QTest::addColumn<int>("passwordGrants");
    QTest::addColumn<int>("refreshGrants");
    QTest::addRow("signin") << QStringLiteral("signin") << 0 << 0;
    // The security panel signs in and acts out one expiry: one refresh.
    QTest::addRow("security") << QStringLiteral("security") << 1 << 1;
}

void tst_DemoScreenshot::screenshot()
{
    QFETCH(QString, screen);
    QFETCH(int, passwordGrants);
    QFETCH(int, refreshGrants);

    const int passwordBefore = m_server->stats().value(QStringLiteral("password_grants")).toInt();
    const int refreshBefore = m_server->stats().value(QStringLiteral("refresh_grants")).toInt();
    const QString file = m_dir.filePath(screen + QStringLiteral(".png"));
    QByteArray errors;
    const int code = runDemo({QStringLiteral("--server"), m_server->baseUrl().toString(),
                              QStringLiteral("--session-only"), QStringLiteral("--screen"), screen,
                              QStringLiteral("--screenshot"), file},
                             &errors);
    QVERIFY2(code == 0,
             qPrintable(
                     QStringLiteral("exit %1: %2").arg(code).arg(QString::fromLocal8Bit(errors))));

    const QFileInfo info(file);
    QVERIFY2(info.exists(), "no PNG written");
    QVERIFY2(info.size() > 0, "empty PNG");
    const QImage image(file);
    QVERIFY2(!image.isNull(), "not a readable PNG");
    QVERIFY(image.width() >= 400 && image.height() >= 300);
    const int colours = distinctColours(image);
    QVERIFY2(colours > 50, qPrintable(QStringLiteral("only %1 colours").arg(colours)));

    // The panel shows real data: the demo signed in and refreshed against this server.
    QCOMPARE(m_server->stats().value(QStringLiteral("password_grants")).toInt() - passwordBefore,
             passwordGrants);
    QCOMPARE(m_server->stats().value(QStringLiteral("refresh_grants")).toInt() - refreshBefore,
             refreshGrants);
}

void tst_DemoScreenshot::rejectsAnUnknownScreen()
{
    const QString file = m_dir.filePath(QStringLiteral("nope.png"));
    const int code = runDemo({QStringLiteral("--server"), m_server->baseUrl().toString(),
                              QStringLiteral("--screen"), QStringLiteral("nowhere"),
                              QStringLiteral("--screenshot"), file});
    QCOMPARE(code, 2);
    QVERIFY(!QFileInfo::exists(file));
}

QTEST_MAIN(tst_DemoScreenshot)
#include "tst_demo_screenshot.moc"
