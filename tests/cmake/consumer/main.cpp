// SPDX-License-Identifier: MIT
// Compiles against the installed public headers only and runs a no-network check.
#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>

#include <QCoreApplication>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    SecureTokens::SessionConfig config;
    config.storagePolicy = SecureTokens::StoragePolicy::SessionOnly;
    SecureTokens::Session session(config);
    SecureTokens::AuthenticatedNetworkAccessManager manager(&session);
    const SecureTokens::SecretBytes secret(QByteArrayView("not-a-real-token"));
    return session.state() == SecureTokens::Session::State::SignedOut && secret.size() == 16
                    && session.storageBackend() == QLatin1String("memory")
            ? 0
            : 1;
}
