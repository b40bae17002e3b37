// SPDX-License-Identifier: MIT
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>

class QQuickWindow;

namespace SecureTokens::Qml {
class SessionController;
}

namespace SecureTokensDemo {

/*!
    --screenshot: renders the main window (offscreen) to a PNG and quits.
    For the dashboard and the security panel it first signs in as the mock
    server's demo user and waits until the page shows real data; for the
    security panel it also acts out an access-token expiry so the panel shows
    an absorbed 401 and a refresh. Exit code 0 when the file was written.
*/
class ScreenshotDriver : public QObject
{
public:
    ScreenshotDriver(QQuickWindow *window, SecureTokens::Qml::SessionController *controller,
                     const QString &screen, const QString &file, QObject *parent = nullptr);

    void start();

private:
    void waitFor(std::function<bool()> condition, std::function<void()> then);
    void signInThenShow();
    void capture();
    void grabAndSave();
    void fail(const QString &why);

    QQuickWindow *m_window;
    SecureTokens::Qml::SessionController *m_controller;
    QString m_screen;
    QString m_file;
    QTimer m_poll;
    QElapsedTimer m_clock;
    std::function<bool()> m_condition;
    std::function<void()> m_then;
    bool m_done = false;
    bool m_settling = false;
};

} // namespace SecureTokensDemo
