// SPDX-License-Identifier: MIT
#pragma once

// The mock authorization server in the test's own process: one way to start
// it for every suite (an ephemeral loopback port, the admin API on unless a
// test asks otherwise).

#include <mockauthserver.h>

#include <QtGlobal>

#include <memory>

namespace MockTest {

/*!
    A listening MockAuthServer with \a config; the admin API (stats, faults,
    issued tokens) is on unless \a admin is false. A server that cannot listen
    ends the test run: nothing a test could check without it would mean
    anything.
*/
inline std::unique_ptr<SecureTokens::Mock::MockAuthServer>
startMockServer(SecureTokens::Mock::ServerConfig config = {}, bool admin = true)
{
    config.admin = admin;
    auto server = std::make_unique<SecureTokens::Mock::MockAuthServer>(config);
    if (!server->listen())
        qFatal("the mock server did not start: %s", qPrintable(server->errorString()));
    return server;
}

} // namespace MockTest
