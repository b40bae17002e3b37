// SPDX-License-Identifier: MIT
#include "screenshotdriver.h"

#include <securetokens/qml/sessioncontroller.h>

#include <QCoreApplication>
#include <QFileInfo>
#include <QImage>
#include <QQuickWindow>
#include <QTextStream>
#include <QVariant>

namespace SecureTokensDemo {

using SecureTokens::Qml::SessionController;

namespace {
// The whole run (sign-in, data, the expiry act) is bounded.
constexpr qint64 overallTimeoutMs = 30000;
constexpr int pollIntervalMs = 50;
// Lets the last transitions (tab indicator, list population) come to rest.
constexpr int settleMs = 600;
} // namespace

ScreenshotDriver::ScreenshotDriver(QQuickWindow *window, SessionController *controller,
                                   const QString &screen, const QString &file, QObject *parent)
    : QObject(parent), m_window(window), m_controller(controller), m_screen(screen), m_file(file)
{
    m_poll.setInterval(pollIntervalMs);
    connect(&m_poll, &QTimer::timeout, this, [this] {
        if (m_clock.elapsed() > overallTimeoutMs) {
            fail(QStringLiteral("timed out waiting for the %1 screen").arg(m_screen));
            return;
        }
        if (m_condition && m_condition()) {
            m_poll.stop();
            m_condition = nullptr;
            auto then = std::move(m_then);
            then();
        }
    });
}

void ScreenshotDriver::start()
{
    m_clock.start();
    m_window->show();
    if (m_screen == QLatin1String("signin")) {
        waitFor([this] { return m_window->isExposed(); }, [this] { capture(); });
        return;
    }
    signInThenShow();
}

void ScreenshotDriver::waitFor(std::function<bool()> condition, std::function<void()> then)
{
    m_condition = std::move(condition);
    m_then = std::move(then);
    m_poll.start();
}

void ScreenshotDriver::signInThenShow()
{
    connect(m_controller, &SessionController::errorOccurred, this,
            [this](const QString &code, const QString &message) {
                if (!m_controller->isSignedIn())
                    fail(QStringLiteral("sign-in failed: %1 (%2)").arg(message, code));
            });
    m_window->setProperty("page", m_screen);
    // The mock server's demo account (mock-server/mockauthserver.h): not a real credential.
    m_controller->signIn(QStringLiteral("alice"), QStringLiteral("wonderland"));

    const auto dataShown = [this] {
        return m_controller->isSignedIn() && m_window->property("dataReady").toBool();
    };
    if (m_screen != QLatin1String("security")) {
        waitFor(dataShown, [this] { capture(); });
        return;
    }
    // Act out one expiry so the panel shows an absorbed 401 and a refresh.
    waitFor(dataShown, [this] {
        if (!m_window->property("adminAvailable").toBool()) {
            capture(); // a server without --admin: nothing to act out
            return;
        }
        QMetaObject::invokeMethod(m_window, "expireAccessTokenNow");
        waitFor(
                [this] {
                    return m_controller->refreshCount() >= 1
                            && m_window->property("absorbed401").toBool()
                            && m_window->property("dataReady").toBool()
                            && !m_controller->isRefreshing();
                },
                [this] { capture(); });
    });
}

void ScreenshotDriver::capture()
{
    if (m_done || m_settling)
        return;
    m_settling = true;
    QTimer::singleShot(settleMs, this, [this] { grabAndSave(); });
}

void ScreenshotDriver::grabAndSave()
{
    if (m_done)
        return;
    const QImage image = m_window->grabWindow();
    if (image.isNull()) {
        fail(QStringLiteral("the window could not be rendered"));
        return;
    }
    if (!image.save(m_file, "PNG")) {
        fail(QStringLiteral("cannot write %1").arg(m_file));
        return;
    }
    m_done = true;
    QTextStream(stdout) << "wrote " << QFileInfo(m_file).absoluteFilePath() << " (" << image.width()
                        << "x" << image.height() << ")\n";
    QCoreApplication::exit(0);
}

void ScreenshotDriver::fail(const QString &why)
{
    if (m_done)
        return;
    m_done = true;
    m_poll.stop();
    QTextStream(stderr) << "securetokens-demo: screenshot failed: " << why << '\n';
    QCoreApplication::exit(1);
}

} // namespace SecureTokensDemo
