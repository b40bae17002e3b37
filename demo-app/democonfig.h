// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/sessionconfig.h>

#include <QUrl>

class QQmlEngine;

namespace SecureTokensDemo {

//! The mock server the demo talks to unless told otherwise.
inline constexpr char defaultServer[] = "http://127.0.0.1:8080";

/*!
    The demo's session against the mock server at \a server: token endpoint
    <server>/oauth/token, revocation <server>/oauth/revoke, client "demo", the
    API origin = the server. The refresh token goes to the platform keychain
    (StoragePolicy::Required), or stays in memory with \a sessionOnly.
*/
SecureTokens::SessionConfig makeSessionConfig(const QUrl &server, bool sessionOnly);

//! Selects the demo's Qt Quick Controls style; call before creating an engine.
void useDemoStyle();

//! Lets \a engine find the statically linked QML modules (Qt 6.4 lacks qrc:/qt/qml by default).
void addDemoImportPath(QQmlEngine *engine);

//! qrc URL of the app's main QML component (ApplicationWindow).
QUrl mainQmlUrl();

} // namespace SecureTokensDemo
