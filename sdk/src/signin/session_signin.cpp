// SPDX-License-Identifier: MIT
// The interactive sign-in flows of Session: browser (authorization code +
// PKCE), device code, cookie login; their per-session state (SignInFlows).
#include "browserflow_p.h"
#include "cookietransport_p.h"
#include "deviceflow_p.h"
#include "discovery_p.h"
#include "jwks_p.h"
#include "core/logging.h"
#include "session/session_p.h"
#include "signinflows_p.h"

#include <QNetworkReply>

namespace SecureTokens {

// --- SignInFlows ---------------------------------------------------------------

SignInFlows::SignInFlows(SessionPrivate *d) : m_d(d) { }

SignInFlows::~SignInFlows()
{
    delete m_browser.data();
    delete m_device.data();
}

EndpointDiscovery *SignInFlows::discovery() const
{
    return findDiscovery(m_d->m_nam);
}

JwksCache *SignInFlows::jwks()
{
    if (!m_jwks)
        m_jwks = new JwksCache(m_d->m_nam, m_d->m_config.requestTimeout, m_d->m_nam);
    return m_jwks;
}

void SignInFlows::setBrowserFlow(BrowserFlow *flow)
{
    m_browser = flow;
}

void SignInFlows::setDeviceFlow(DeviceFlow *flow)
{
    m_device = flow;
}

bool SignInFlows::cancel() const
{
    if (m_browser) {
        m_browser->cancel();
        return true;
    }
    if (m_device) {
        m_device->cancel();
        return true;
    }
    return false;
}

void SignInFlows::flowEnded(QObject *flow)
{
    // The flow may be on the stack: it goes when control is back in the loop.
    flow->deleteLater();
    if (m_browser == flow)
        m_browser = nullptr;
    if (m_device == flow)
        m_device = nullptr;
}

// --- SessionPrivate ------------------------------------------------------------

SignInFlows *SessionPrivate::flows()
{
    if (!m_flows)
        m_flows = std::make_unique<SignInFlows>(this);
    return m_flows.get();
}

namespace {

ErrorInfo clientIdCheck(const SessionConfig &config)
{
    if (config.clientId.isEmpty())
        return ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The client id is not configured."));
    return {};
}

} // namespace

void SessionPrivate::startBrowserSignIn()
{
    Q_Q(Session);
    ErrorInfo configError = clientIdCheck(m_config);
    if (!configError.isError() && m_config.transport != RefreshTransportKind::OAuth)
        configError = ErrorInfo::make(Error::InvalidConfiguration,
                                      QStringLiteral("Browser sign-in needs the OAuth transport."));
    if (!configError.isError() && !m_config.openBrowser)
        configError = ErrorInfo::make(Error::InvalidConfiguration,
                                      QStringLiteral("SessionConfig::openBrowser is not set."));
    if (!beginSignIn(configError))
        return;
    SignInFlows *f = flows();
    f->clearClaims();
    auto *flow = new BrowserFlow(this, f, m_epoch);
    flow->setParent(q);
    f->setBrowserFlow(flow);
    flow->start();
}

void SessionPrivate::startDeviceSignIn()
{
    Q_Q(Session);
    ErrorInfo configError = clientIdCheck(m_config);
    if (!configError.isError() && m_config.transport != RefreshTransportKind::OAuth)
        configError = ErrorInfo::make(Error::InvalidConfiguration,
                                      QStringLiteral("Device sign-in needs the OAuth transport."));
    if (!beginSignIn(configError))
        return;
    SignInFlows *f = flows();
    f->clearClaims();
    auto *flow = new DeviceFlow(this, f, m_epoch);
    flow->setParent(q);
    f->setDeviceFlow(flow);
    flow->start();
}

void SessionPrivate::startCookieLogin(const QString &username, const QString &password)
{
    Q_Q(Session);
    auto *cookie = dynamic_cast<CookieRefreshTransport *>(m_transport.get());
    ErrorInfo configError = cookie ? cookie->check()
                                   : ErrorInfo::make(Error::InvalidConfiguration,
                                                     QStringLiteral("Cookie sign-in needs "
                                                                    "SessionConfig::transport "
                                                                    "Cookie."));
    if (!beginSignIn(configError))
        return;
    if (m_flows)
        m_flows->clearClaims();
    const quint64 epoch = m_epoch;
    QByteArray passwordUtf8 = password.toUtf8();
    const SecretBytes secret = SecretBytes::adopt(passwordUtf8);
    m_inFlightReply = cookie->login(username, secret, q,
                                    [this, epoch](const ErrorInfo &error, TokenResponse response) {
                                        finishSignIn(epoch, error, std::move(response));
                                    });
}

void SessionPrivate::cancelInteractiveSignIn()
{
    if (!m_flows || m_state != Session::State::SigningIn)
        return;
    QPointer<QNetworkReply> reply = m_inFlightReply;
    if (!m_flows->cancel())
        return;
    // finishSignIn() has reported Cancelled; now make sure nothing that was
    // on the wire can complete the abandoned sign-in.
    abortInFlight();
    if (reply)
        reply->abort();
}

void SessionPrivate::completeInteractiveSignIn(quint64 epoch, TokenResponse response)
{
    Q_Q(Session);
    if (epoch != m_epoch)
        return;
    if (m_flows && !m_flows->claims().isEmpty())
        Q_EMIT q->userChanged();
    finishSignIn(epoch, {}, std::move(response));
}

// --- Session -------------------------------------------------------------------

void Session::signInWithBrowser()
{
    Q_D(Session);
    d->startBrowserSignIn();
}

void Session::signInWithDeviceCode()
{
    Q_D(Session);
    d->startDeviceSignIn();
}

void Session::signInWithCookieLogin(const QString &username, const QString &password)
{
    Q_D(Session);
    d->startCookieLogin(username, password);
}

void Session::cancelSignIn()
{
    Q_D(Session);
    d->cancelInteractiveSignIn();
}

void Session::discoverEndpoints()
{
    Q_D(Session);
    EndpointDiscovery *discovery = findDiscovery(d->m_nam);
    if (!discovery || d->m_config.issuer.isEmpty()) {
        d->emitErrorLater(ErrorInfo::make(Error::InvalidConfiguration,
                                          QStringLiteral("No issuer is configured.")));
        return;
    }
    discovery->ensure(this, [this, d](const ErrorInfo &error) {
        if (error.isError())
            d->emitError(error);
        else
            Q_EMIT endpointsDiscovered();
    });
}

QVariantMap Session::idTokenClaims() const
{
    Q_D(const Session);
    // Claims belong to the current sign-in: none once it has ended.
    if (!d->m_flows || d->m_state == State::SignedOut
        || d->m_state == State::ReauthenticationRequired)
        return {};
    return d->m_flows->claims();
}

} // namespace SecureTokens
