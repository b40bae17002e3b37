// SPDX-License-Identifier: MIT
// The Session's sign-in face, and where a Session is assembled: this layer
// knows the parts the session core sees only as interfaces (the refresh
// transports with discovery, the sign-in flows behind SignInHost).
#include "cookietransport_p.h"
#include "discovery_p.h"
#include "discoverytransport_p.h"
#include "signinflows_p.h"

#include "core/invokelater.h"
#include "session/session_p.h"

#include <memory>

namespace SecureTokens {

namespace {

std::unique_ptr<RefreshTransport>
makeRefreshTransport(QNetworkAccessManager *nam, TokenEndpointClient *client, SessionConfig *config)
{
    // One discovery per Session, a child of its QNetworkAccessManager so the
    // sign-in flows find it too. It fills the empty endpoints of the
    // Session's own config (SessionPrivate::m_config).
    EndpointDiscovery *discovery = createDiscovery(nam, config);
    if (config->transport == RefreshTransportKind::Cookie)
        return std::make_unique<CookieRefreshTransport>(nam, config);
    if (discovery->pending() && config->tokenEndpoint.isEmpty()) {
        // Start early, so that a sign-in that needs the endpoints finds them.
        invokeLater(discovery,
                    [discovery] { discovery->ensure(discovery, [](const ErrorInfo &) {}); });
    }
    return std::make_unique<DiscoveringRefreshTransport>(
            std::make_unique<OAuthRefreshTransport>(client, config), discovery, config);
}

} // namespace

Session::Session(const SessionConfig &config, QObject *parent)
    : QObject(parent), d_ptr(std::make_unique<SessionPrivate>(this, config, &makeRefreshTransport))
{
    qRegisterMetaType<SecureTokens::ErrorInfo>();
}

void Session::signInWithPassword(const QString &username, const QString &password)
{
    Q_D(Session);
    SignInFlows::of(d)->startPasswordGrant(username, password);
}

void Session::signInWithBrowser()
{
    Q_D(Session);
    SignInFlows::of(d)->startBrowser();
}

namespace {

//! What a sign-in on top of \a d asks for: the granted scope (else the configured) plus \a more.
QStringList scopesWith(const SessionPrivate *d, const QStringList &more)
{
    QStringList scopes = d->m_grantedScopes.isEmpty() ? d->m_config.scopes : d->m_grantedScopes;
    for (const QString &scope : more) {
        if (!scope.isEmpty() && !scopes.contains(scope))
            scopes.append(scope);
    }
    return scopes;
}

} // namespace

void Session::stepUp(const QStringList &acrValues, int maxAgeSeconds)
{
    Q_D(Session);
    // RFC 9470 §4: the client asks the authorization server for what the
    // resource server's challenge named, with the grant's scope unchanged.
    BrowserSignInRequest request;
    request.scopes = scopesWith(d, {});
    if (!acrValues.isEmpty()) {
        request.acrValues = acrValues;
        request.acrRequired = true;
    }
    if (maxAgeSeconds >= 0)
        request.maxAge = std::chrono::seconds(maxAgeSeconds);
    SignInFlows::of(d)->startBrowser(request, true);
}

void Session::requestScopes(const QStringList &scopes)
{
    Q_D(Session);
    BrowserSignInRequest request;
    request.scopes = scopesWith(d, scopes);
    if (isSignedIn() && request.scopes->size() == d->m_grantedScopes.size()
        && !d->m_grantedScopes.isEmpty()) {
        // Granted already: nothing to ask the user (completes later, never inside the call).
        invokeLater(this, [this] { Q_EMIT reauthenticated(); });
        return;
    }
    SignInFlows::of(d)->startBrowser(request, true);
}

void Session::signInWithDeviceCode()
{
    Q_D(Session);
    SignInFlows::of(d)->startDevice();
}

void Session::signInWithCookieLogin(const QString &username, const QString &password)
{
    Q_D(Session);
    SignInFlows::of(d)->startCookieLogin(username, password);
}

void Session::cancelSignIn()
{
    Q_D(Session);
    if (d->signInExtension())
        SignInFlows::of(d)->cancel();
}

bool Session::handleRedirect(const QUrl &url)
{
    Q_D(Session);
    return d->signInExtension() && SignInFlows::of(d)->handleRedirect(url);
}

void Session::discoverEndpoints()
{
    Q_D(Session);
    SignInFlows::of(d)->discoverEndpoints();
}

} // namespace SecureTokens
