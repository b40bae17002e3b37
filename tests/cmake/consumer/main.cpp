// SPDX-License-Identifier: MIT
// Compiles against the installed public headers only and runs a no-network check.
// Built with CMake (find_package) by tst_cmake_package and with pkg-config alone
// by tst_pkgconfig; both pass the version the package claims as EXPECTED_VERSION.
#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>
#include <securetokens/version.h>

#include <QCoreApplication>

#include <cstdio>
#include <string_view>

static_assert(std::string_view(SECURETOKENS_VERSION_STR) == std::string_view(EXPECTED_VERSION),
              "<securetokens/version.h> and the package disagree on the version");
static_assert(SECURETOKENS_VERSION
                      == SECURETOKENS_VERSION_CHECK(SECURETOKENS_VERSION_MAJOR,
                                                    SECURETOKENS_VERSION_MINOR,
                                                    SECURETOKENS_VERSION_PATCH)
              && SECURETOKENS_VERSION >= SECURETOKENS_VERSION_CHECK(0, 1, 0)
              && SECURETOKENS_VERSION < SECURETOKENS_VERSION_CHECK(100, 0, 0));

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    SecureTokens::SessionConfig config;
    config.storagePolicy = SecureTokens::StoragePolicy::SessionOnly;
    SecureTokens::Session session(config);
    SecureTokens::AuthenticatedNetworkAccessManager manager(&session);
    const SecureTokens::SecretBytes secret(QByteArrayView("not-a-real-token"));
    const bool ok = session.state() == SecureTokens::Session::State::SignedOut
            && secret.size() == 16 && session.storageBackend() == QLatin1String("memory");
    std::printf("consumer of SecureTokens %s: %s\n", SECURETOKENS_VERSION_STR,
                ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
