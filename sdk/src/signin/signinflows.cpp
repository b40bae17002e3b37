// SPDX-License-Identifier: MIT
// The sign-in operations of a Session: password grant, browser, device code,
// cookie login, discovery on demand. Each begins and ends through SignInHost.
#include "signinflows_p.h"

#include "browserflow_p.h"
#include "cookietransport_p.h"
#include "deviceflow_p.h"
#include "discovery_p.h"
#include "idtokenverification_p.h"
#include "interactiveflow_p.h"
#include "jwkscache_p.h"

#include "session/refreshtransport_p.h"
#include "session/tokenclient_p.h"

#include <QNetworkReply>

#include <memory>

namespace SecureTokens {

namespace {

ErrorInfo clientIdCheck(const SessionConfig &config)
{
    if (config.clientId.isEmpty())
        return ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The client id is not configured."));
    return {};
}

} // namespace

SignInFlows::SignInFlows(SignInHost *host) : m_host(host) { }

SignInFlows::~SignInFlows()
{
    delete m_running.data();
}

SignInFlows *SignInFlows::of(SignInHost *host)
{
    std::unique_ptr<SignInHost::Extension> &extension = host->signInExtension();
    if (!extension)
        extension = std::make_unique<SignInFlows>(host);
    // Only this layer creates the extension, and always as SignInFlows.
    return dynamic_cast<SignInFlows *>(extension.get());
}

EndpointDiscovery *SignInFlows::discovery() const
{
    return findDiscovery(m_host->network());
}

JwksCache *SignInFlows::jwks()
{
    if (!m_jwks)
        m_jwks = new JwksCache(m_host->network(), m_host->config().requestTimeout,
                               m_host->network());
    return m_jwks;
}

void SignInFlows::run(InteractiveFlow *flow)
{
    flow->setParent(m_host->session());
    m_running = flow;
    flow->start();
}

void SignInFlows::flowEnded(InteractiveFlow *flow)
{
    // The flow may be on the stack: it goes when control is back in the loop.
    flow->deleteLater();
    if (m_running == flow)
        m_running = nullptr;
}

bool SignInFlows::handleRedirect(const QUrl &url)
{
    auto *browser = qobject_cast<BrowserFlow *>(m_running.data());
    return browser && browser->deliverRedirect(url).accepted;
}

void SignInFlows::cancel()
{
    if (m_host->isReauthenticating() && m_running) {
        // The session it would add to stays: only this sign-in's request goes.
        const QPointer<QNetworkReply> reply(m_host->inFlightReply());
        m_running->cancel();
        if (reply)
            reply->abort();
        return;
    }
    if (m_host->session()->state() != Session::State::SigningIn || !m_running)
        return;
    // The flow reports Cancelled (which forgets the request on the wire); then
    // nothing that was on the wire may complete the abandoned sign-in.
    const QPointer<QNetworkReply> reply(m_host->inFlightReply());
    m_running->cancel();
    m_host->abandonSignIn();
    if (reply)
        reply->abort();
}

void SignInFlows::startPasswordGrant(const QString &username, const QString &password)
{
    if (!m_host->beginSignIn(m_host->refreshTransport().check()))
        return;
    SignInHost *host = m_host;
    const quint64 epoch = host->epoch();
    QByteArray passwordUtf8 = password.toUtf8();
    auto secret = std::make_shared<SecretBytes>(SecretBytes::adopt(passwordUtf8));
    const QByteArray user = username.toUtf8();
    auto post = [host, epoch, secret, user] {
        const SessionConfig &config = host->config();
        QList<TokenEndpointClient::Field> fields {
                {QByteArrayLiteral("grant_type"), QByteArrayLiteral("password"), nullptr},
                {QByteArrayLiteral("username"), user, nullptr},
                {QByteArrayLiteral("password"), {}, secret.get()},
                {QByteArrayLiteral("client_id"), config.clientId.toUtf8(), nullptr},
        };
        if (!config.scopes.isEmpty())
            fields.append({QByteArrayLiteral("scope"),
                           config.scopes.join(QLatin1Char(' ')).toUtf8(), nullptr});
        host->setInFlightReply(host->tokenEndpoint().requestToken(
                config.tokenEndpoint, fields, host->session(),
                [host, epoch](const ErrorInfo &error, TokenResponse response) {
                    if (error.isError() || epoch != host->epoch()) {
                        host->finishSignIn(epoch, error, {});
                        return;
                    }
                    // Providers that answer the password grant with an ID token
                    // (Keycloak, Okta, Auth0 with "openid"): verified like any
                    // other, and the identity comes from it. One the application
                    // did not ask for is not kept.
                    auto pending = std::make_shared<TokenResponse>(std::move(response));
                    if (!requestsOpenId(host->config().scopes)) {
                        pending->idToken.clear();
                        host->finishSignIn(epoch, {}, std::move(*pending));
                        return;
                    }
                    verifyIdToken(host, SignInFlows::of(host), *pending, false, {}, host->session(),
                                  [host, epoch, pending](const ErrorInfo &idError,
                                                         const QVariantMap &claims) {
                                      host->finishSignIn(epoch, idError, std::move(*pending),
                                                         claims);
                                  });
                }));
        secret->clear();
    };
    // Configured with just an issuer: the token endpoint comes from discovery.
    if (EndpointDiscovery *endpoints = discovery();
        endpoints && endpoints->pending() && host->config().tokenEndpoint.isEmpty()) {
        endpoints->ensure(host->session(), [host, epoch, post, secret](const ErrorInfo &error) {
            if (epoch != host->epoch())
                return;
            if (error.isError()) {
                secret->clear();
                host->finishSignIn(epoch, error, {});
                return;
            }
            post();
        });
        return;
    }
    post();
}

void SignInFlows::startBrowser(const BrowserSignInRequest &request, bool reauthenticate)
{
    const SessionConfig &config = m_host->config();
    ErrorInfo configError = clientIdCheck(config);
    if (!configError.isError() && config.transport != RefreshTransportKind::OAuth)
        configError = ErrorInfo::make(Error::InvalidConfiguration,
                                      QStringLiteral("Browser sign-in needs the OAuth transport."));
    if (!configError.isError() && !config.openBrowser)
        configError = ErrorInfo::make(Error::InvalidConfiguration,
                                      QStringLiteral("SessionConfig::openBrowser is not set."));
    if (reauthenticate) {
        if (!m_host->beginReauthentication(configError, request.scopes.value_or(config.scopes)))
            return;
    } else if (!m_host->beginSignIn(configError)) {
        return;
    }
    run(new BrowserFlow(m_host, this, request));
}

void SignInFlows::startDevice()
{
    const SessionConfig &config = m_host->config();
    ErrorInfo configError = clientIdCheck(config);
    if (!configError.isError() && config.transport != RefreshTransportKind::OAuth)
        configError = ErrorInfo::make(Error::InvalidConfiguration,
                                      QStringLiteral("Device sign-in needs the OAuth transport."));
    if (!m_host->beginSignIn(configError))
        return;
    run(new DeviceFlow(m_host, this));
}

void SignInFlows::startCookieLogin(const QString &username, const QString &password)
{
    auto *cookie = dynamic_cast<CookieRefreshTransport *>(&m_host->refreshTransport());
    const ErrorInfo configError = cookie
            ? cookie->check()
            : ErrorInfo::make(Error::InvalidConfiguration,
                              QStringLiteral("Cookie sign-in needs "
                                             "SessionConfig::transport "
                                             "Cookie."));
    if (!m_host->beginSignIn(configError))
        return;
    SignInHost *host = m_host;
    const quint64 epoch = host->epoch();
    QByteArray passwordUtf8 = password.toUtf8();
    const SecretBytes secret = SecretBytes::adopt(passwordUtf8);
    host->setInFlightReply(
            cookie->login(username, secret, host->session(),
                          [host, epoch](const ErrorInfo &error, TokenResponse response) {
                              host->finishSignIn(epoch, error, std::move(response));
                          }));
}

void SignInFlows::discoverEndpoints()
{
    EndpointDiscovery *endpoints = discovery();
    if (!endpoints || m_host->config().issuer.isEmpty()) {
        ErrorInfo error = ErrorInfo::make(Error::InvalidConfiguration,
                                          QStringLiteral("No issuer is configured."));
        error.operation = SessionOperation::Discovery;
        m_host->reportErrorLater(error);
        return;
    }
    SignInHost *host = m_host;
    endpoints->ensure(host->session(), [host](const ErrorInfo &error) {
        if (error.isError()) {
            ErrorInfo reported = error;
            reported.operation = SessionOperation::Discovery;
            host->reportError(reported);
        } else {
            Q_EMIT host->session()->endpointsDiscovered();
        }
    });
}

} // namespace SecureTokens
