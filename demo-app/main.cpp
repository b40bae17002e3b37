// SPDX-License-Identifier: MIT
// securetokens-demo: the QML demo of SecureTokens against the mock server.
#include "democonfig.h"
#include "screenshotdriver.h"

#include <securetokens/qml/sessioncontroller.h>
#include <securetokens/qml/sessionnetworkaccessmanagerfactory.h>

#include <securetokens/session.h>
#include <securetokens/version.h>

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QTextStream>
#include <QUrl>
#include <QtQml/QQmlExtensionPlugin>

#include <cstring>

// The demo's own QML module is a static plugin linked into this executable; the
// SecureTokens module's types come with the linked libsecuretokensqml.
Q_IMPORT_QML_PLUGIN(SecureTokensDemoPlugin)

namespace {

constexpr int exitUsage = 2;

// Decided before QGuiApplication exists: the platform plugin is chosen at construction.
bool screenshotRequested(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--screenshot") == 0
            || std::strncmp(argv[i], "--screenshot=", 13) == 0)
            return true;
    }
    return !qEnvironmentVariableIsEmpty("SECURETOKENS_DEMO_SCREENSHOT");
}

int usageError(const QString &message)
{
    QTextStream(stderr) << "securetokens-demo: " << message << '\n';
    return exitUsage;
}

} // namespace

int main(int argc, char **argv)
{
    if (screenshotRequested(argc, argv) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("securetokens-demo"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("SecureTokens Demo"));
    QGuiApplication::setOrganizationName(QStringLiteral("SecureTokens"));
    QGuiApplication::setApplicationVersion(QStringLiteral(SECURETOKENS_VERSION_STR));

    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Shows SecureTokens keeping a user signed in against the mock server."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption serverOption(
            QStringLiteral("server"),
            QStringLiteral("The mock server (default %1).")
                    .arg(QLatin1String(SecureTokensDemo::defaultServer)),
            QStringLiteral("URL"), QLatin1String(SecureTokensDemo::defaultServer));
    const QCommandLineOption screenshotOption(
            QStringLiteral("screenshot"),
            QStringLiteral("Render the window offscreen to a PNG FILE and exit "
                           "(or set SECURETOKENS_DEMO_SCREENSHOT)."),
            QStringLiteral("FILE"));
    const QCommandLineOption screenOption(
            QStringLiteral("screen"),
            QStringLiteral("signin, dashboard or security. With --screenshot, dashboard and "
                           "security sign in as the mock server's demo user first."),
            QStringLiteral("SCREEN"), QStringLiteral("signin"));
    const QCommandLineOption sessionOnlyOption(
            QStringLiteral("session-only"),
            QStringLiteral("Keep the refresh token in memory instead of the keychain: you sign "
                           "in again next time."));
    const QCommandLineOption themeOption(QStringLiteral("theme"),
                                         QStringLiteral("system (default), light or dark."),
                                         QStringLiteral("THEME"), QStringLiteral("system"));
    parser.addOptions(
            {serverOption, screenshotOption, screenOption, sessionOnlyOption, themeOption});
    parser.process(app);

    const QUrl server(parser.value(serverOption), QUrl::StrictMode);
    if (!server.isValid() || server.host().isEmpty()
        || (server.scheme() != QLatin1String("http") && server.scheme() != QLatin1String("https")))
        return usageError(QStringLiteral("--server needs an http(s) URL, e.g. %1")
                                  .arg(QLatin1String(SecureTokensDemo::defaultServer)));
    const QString screen = parser.value(screenOption);
    if (screen != QLatin1String("signin") && screen != QLatin1String("dashboard")
        && screen != QLatin1String("security"))
        return usageError(QStringLiteral("--screen must be signin, dashboard or security"));
    const QString theme = parser.value(themeOption);
    if (theme != QLatin1String("system") && theme != QLatin1String("light")
        && theme != QLatin1String("dark"))
        return usageError(QStringLiteral("--theme must be system, light or dark"));
    QString screenshotFile = parser.value(screenshotOption);
    if (screenshotFile.isEmpty())
        screenshotFile = qEnvironmentVariable("SECURETOKENS_DEMO_SCREENSHOT");

    // Declared before the engine: the engine (and the managers it made) goes first.
    SecureTokens::Session session(
            SecureTokensDemo::makeSessionConfig(server, parser.isSet(sessionOnlyOption)));
    SecureTokens::Qml::SessionController controller(&session);
    SecureTokens::Qml::SessionNetworkAccessManagerFactory networkFactory(&session);

    SecureTokensDemo::useDemoStyle();
    QQmlApplicationEngine engine;
    SecureTokensDemo::addDemoImportPath(&engine);
    engine.setNetworkAccessManagerFactory(&networkFactory);
    engine.setInitialProperties({
            {QStringLiteral("controller"), QVariant::fromValue(&controller)},
            {QStringLiteral("serverUrl"), server},
            {QStringLiteral("page"),
             screen == QLatin1String("signin") ? QStringLiteral("dashboard") : screen},
            {QStringLiteral("theme"), theme},
    });
    engine.load(SecureTokensDemo::mainQmlUrl());
    auto *window = engine.rootObjects().isEmpty()
            ? nullptr
            : qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (!window) {
        QTextStream(stderr) << "securetokens-demo: the user interface could not be loaded\n";
        return 1;
    }

    if (!screenshotFile.isEmpty()) {
        SecureTokensDemo::ScreenshotDriver driver(window, &controller, screen, screenshotFile);
        driver.start();
        return app.exec();
    }

    // Signed in last time? The refresh token in the keychain brings the session back.
    session.restore();
    return app.exec();
}
