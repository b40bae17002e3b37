// SPDX-License-Identifier: MIT
// A Qt Widgets window that signs in, calls the API and signs out, showing the
// session's state (never a token: Session exposes none).
//
//   securetokens-mock-server --port 8080 &   # the default issuer
//   ./securetokens-widgets-example [ISSUER] [--auto]
// --auto (or SECURETOKENS_EXAMPLE_AUTO=1) clicks through sign in, call and
// sign out by itself and quits: how the example is tested, offscreen.
#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/session.h>

#include <QApplication>
#include <QDesktopServices>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextStream>
#include <QTimer>

using namespace SecureTokens;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QStringList args = QApplication::arguments().mid(1);
    const bool autoRun = args.removeAll(QStringLiteral("--auto")) > 0
            || qEnvironmentVariableIntValue("SECURETOKENS_EXAMPLE_AUTO") == 1;

    SessionConfig config;
    config.issuer = QUrl(args.value(0, QStringLiteral("http://127.0.0.1:8080")));
    config.clientId = QStringLiteral("demo");
    config.scopes = {QStringLiteral("openid"), QStringLiteral("profile"),
                     QStringLiteral("offline_access")};
    // For signInWithBrowser(): the core library leaves opening URLs to the app.
    config.openBrowser = [](const QUrl &url) {
        return QDesktopServices::openUrl(url);
    };
    auto *session = new Session(config, &app);
    auto *network = new AuthenticatedNetworkAccessManager(session, &app);

    QWidget window;
    auto *form = new QFormLayout(&window);
    auto *user = new QLineEdit(QStringLiteral("alice"), &window); // the mock server's demo user
    auto *password = new QLineEdit(QStringLiteral("wonderland"), &window);
    password->setEchoMode(QLineEdit::Password);
    auto *signIn = new QPushButton(QStringLiteral("Sign in"), &window);
    auto *callApi = new QPushButton(QStringLiteral("GET /api/me"), &window);
    auto *signOut = new QPushButton(QStringLiteral("Sign out"), &window);
    auto *status = new QLabel(&window);
    auto *output = new QPlainTextEdit(&window);
    output->setReadOnly(true);
    form->addRow(QStringLiteral("User"), user);
    form->addRow(QStringLiteral("Password"), password);
    form->addRow(signIn);
    form->addRow(callApi);
    form->addRow(signOut);
    form->addRow(QStringLiteral("State"), status);
    form->addRow(output);

    const auto show = [&](const QString &line) { // in the window and on stdout
        output->appendPlainText(line);
        QTextStream(stdout) << line << Qt::endl;
    };
    const auto update = [&] {
        const bool in = session->isSignedIn();
        const bool busy = session->state() == Session::State::Restoring
                || session->state() == Session::State::SigningIn;
        status->setText(in ? QStringLiteral("signed in as ") + session->subject()
                           : QStringLiteral("signed out"));
        signIn->setEnabled(!in && !busy);
        callApi->setEnabled(in);
        signOut->setEnabled(in);
    };
    QObject::connect(session, &Session::stateChanged, &window, [&](Session::State state) {
        update();
        show(QStringLiteral("state: ") + QVariant::fromValue(state).toString());
    });
    QObject::connect(session, &Session::errorOccurred, &window, [&](const ErrorInfo &error) {
        show(QStringLiteral("error: ") + error.message); // never contains a secret
    });
    QObject::connect(signIn, &QPushButton::clicked, session,
                     [&] { session->signInWithPassword(user->text(), password->text()); });
    QObject::connect(signOut, &QPushButton::clicked, session, &Session::signOut);
    QObject::connect(callApi, &QPushButton::clicked, &window, [&] {
        QNetworkReply *reply = network->get(
                QNetworkRequest(config.issuer.resolved(QUrl(QStringLiteral("/api/me")))));
        QObject::connect(reply, &QNetworkReply::finished, &window, [&, reply] {
            reply->deleteLater();
            show(QStringLiteral("GET /api/me: %1 %2")
                         .arg(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt())
                         .arg(QString::fromUtf8(reply->readAll())));
            if (autoRun)
                signOut->click();
        });
    });

    bool signedInOnce = false;
    if (autoRun) { // (restored or) signed out -> sign in -> call -> sign out -> quit
        QObject::connect(session, &Session::stateChanged, &window, [&](Session::State state) {
            if (state == Session::State::SignedIn) {
                signedInOnce = true;
                callApi->click();
            } else if (state == Session::State::SignedOut && signedInOnce) {
                QApplication::quit();
            } else if (state == Session::State::SignedOut) {
                signIn->click();
            }
        });
        QObject::connect(session, &Session::errorOccurred, &app, [] { QApplication::exit(1); });
    }
    update();
    window.show();
    session->restore(); // the session kept in the keychain, if any
    return QApplication::exec();
}
