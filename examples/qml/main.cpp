// SPDX-License-Identifier: MIT
// Starts the QML engine; everything about the session is in Main.qml.
#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QUrl>

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption server(QStringLiteral("server"),
                                    QStringLiteral("Authorization server (default: the mock "
                                                   "server, http://127.0.0.1:8080)."),
                                    QStringLiteral("URL"), QStringLiteral("http://127.0.0.1:8080"));
    const QCommandLineOption autoRun(QStringLiteral("auto"),
                                     QStringLiteral("Sign in as the mock server's demo user, "
                                                    "load the profile, sign out and exit."));
    parser.addOptions({server, autoRun});
    parser.process(app);

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/qt/qml")); // Qt 6.4 does not look there by itself
    engine.addImportPath(QStringLiteral(SECURETOKENS_QML_IMPORT_DIR)); // `import SecureTokens`
    engine.setInitialProperties({{QStringLiteral("server"), QUrl(parser.value(server))},
                                 {QStringLiteral("autoRun"), parser.isSet(autoRun)}});
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/SecureTokensExample/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    return app.exec();
}
