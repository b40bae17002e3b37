// SPDX-License-Identifier: MIT
// A console app that stays signed in across runs: it restores the session kept
// in secure storage, signs in only when there is none, calls the API through
// AuthenticatedNetworkAccessManager and, with --sign-out, signs out at the end.
//
//   securetokens-mock-server --port 8080 &   # the default issuer
//   ./securetokens-console-example [ISSUER] [--sign-out]
#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/session.h>

#include <QCoreApplication>
#include <QNetworkReply>
#include <QTextStream>

#include <utility>

using namespace SecureTokens;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = QCoreApplication::arguments().mid(1);
    const bool signOutAtEnd = args.removeAll(QStringLiteral("--sign-out")) > 0;

    SessionConfig config;
    config.issuer = QUrl(args.value(0, QStringLiteral("http://127.0.0.1:8080")));
    config.clientId = QStringLiteral("demo"); // a public client: no secret
    config.scopes = {QStringLiteral("openid"), QStringLiteral("profile"),
                     QStringLiteral("offline_access")};
    Session session(config); // the refresh token goes to the platform keychain
    AuthenticatedNetworkAccessManager network(&session);
    QTextStream out(stdout);

    const auto callApi = [&] {
        QNetworkReply *reply = network.get(
                QNetworkRequest(config.issuer.resolved(QUrl(QStringLiteral("/api/me")))));
        QObject::connect(reply, &QNetworkReply::finished, &app, [&, reply] {
            reply->deleteLater();
            out << "GET /api/me: "
                << reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() << ' '
                << reply->readAll() << Qt::endl;
            if (reply->error() != QNetworkReply::NoError)
                QCoreApplication::exit(1);
            else if (signOutAtEnd)
                session.signOut(); // revoked at the server (RFC 7009), wiped here
            else
                QCoreApplication::quit(); // the session stays in the keychain
        });
    };

    Session::State previous = session.state();
    QObject::connect(&session, &Session::stateChanged, &app, [&](Session::State state) {
        const Session::State from = std::exchange(previous, state);
        if (state == Session::State::SignedIn && from == Session::State::Restoring) {
            out << "restored from secure storage as " << session.subject() << Qt::endl;
            callApi();
        } else if (state == Session::State::SignedIn && from == Session::State::SigningIn) {
            out << "signed in as " << session.subject() << Qt::endl;
            callApi();
        } else if (state == Session::State::SignedOut && from == Session::State::Restoring) {
            // Nothing kept yet. The mock server's demo user; a real app asks the
            // user, or uses signInWithBrowser() (PKCE, RFC 8252) instead.
            session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
        } else if (state == Session::State::SignedOut && signOutAtEnd) {
            out << "signed out" << Qt::endl;
            QCoreApplication::quit();
        }
    });
    QObject::connect(&session, &Session::errorOccurred, &app, [&](const ErrorInfo &error) {
        out << "error: " << error.message << Qt::endl; // messages never contain a secret
        QCoreApplication::exit(1);
    });

    session.restore(); // completes later, with stateChanged
    return QCoreApplication::exec();
}
