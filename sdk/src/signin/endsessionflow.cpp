// SPDX-License-Identifier: MIT
// RP-initiated logout through the browser (OpenID Connect RP-Initiated Logout
// 1.0 §2, §3), and where the session hands it over (SessionPrivate::endProviderSession).
#include "endsessionflow_p.h"

#include "discovery_p.h"
#include "pkce_p.h"
#include "signinflows_p.h"

#include "core/invokelater.h"
#include "core/logging.h"
#include "session/endpointcheck_p.h"
#include "session/session_p.h"

#include <QUrlQuery>

#include <openssl/crypto.h>

namespace SecureTokens {

EndSessionFlow::EndSessionFlow(SignInHost *host, SignInFlows *flows, SecretBytes idToken, Done done)
    : QObject(host->session()),
      m_host(host),
      m_flows(flows),
      m_idToken(std::move(idToken)),
      m_done(std::move(done))
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        finish(ErrorInfo::make(Error::Timeout,
                               QStringLiteral("The browser did not come back from the provider's "
                                              "sign-out in time; signed out on this device.")));
    });
}

EndSessionFlow::~EndSessionFlow()
{
    m_listener.close();
}

void EndSessionFlow::start()
{
    EndpointDiscovery *discovery = m_flows->discovery();
    if (m_host->config().endSessionEndpoint.isEmpty() && discovery && discovery->pending()) {
        discovery->ensure(this, [this](const ErrorInfo &error) {
            if (error.isError())
                finish(error);
            else
                begin();
        });
        return;
    }
    invokeLater(this, [this] { begin(); });
}

void EndSessionFlow::begin()
{
    const SessionConfig &config = m_host->config();
    if (config.endSessionEndpoint.isEmpty()) {
        finish(ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The provider has no end_session_endpoint "
                                              "(SessionConfig::endSessionEndpoint): signed out "
                                              "on this device only.")));
        return;
    }
    if (const ErrorInfo check = checkEndpoint(config.endSessionEndpoint, u"end-session endpoint");
        check.isError()) {
        finish(check);
        return;
    }
    if (!config.openBrowser) {
        finish(ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("SessionConfig::openBrowser is not set: there is no "
                                              "way to open the browser.")));
        return;
    }
    m_state = randomUrlSafeToken(32);
    if (m_state.isEmpty()) {
        finish(ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The random number generator failed.")));
        return;
    }
    // The same listener settings as the sign-in's redirect (host, ports,
    // path): a provider that compares post_logout_redirect_uri exactly gets
    // the fixed port and path it has registered.
    const ErrorInfo listening
            = m_listener.listen(config.redirectHost, config.redirectPorts, config.redirectPath);
    if (listening.isError()) {
        finish(listening);
        return;
    }
    m_listener.setHandler([this](const RedirectRequest &request) { return onCallback(request); });

    // RP-Initiated Logout §2: id_token_hint (RECOMMENDED; it names the
    // session to end), client_id, post_logout_redirect_uri and state. The
    // endpoint's own query (§2 allows one) is kept.
    QUrl url = config.endSessionEndpoint;
    QUrlQuery query(url);
    auto add = [&query](const QString &key, const QByteArray &value) {
        query.addQueryItem(key,
                           QString::fromLatin1(QUrl::toPercentEncoding(QString::fromUtf8(value))));
    };
    if (!m_idToken.isEmpty())
        add(QStringLiteral("id_token_hint"), m_idToken.view().toByteArray());
    add(QStringLiteral("client_id"), config.clientId.toUtf8());
    add(QStringLiteral("post_logout_redirect_uri"), m_listener.redirectUri().toString().toUtf8());
    add(QStringLiteral("state"), m_state.view().toByteArray());
    url.setQuery(query.query(QUrl::FullyEncoded), QUrl::StrictMode);
    m_idToken.clear();

    m_timeout.start(config.browserTimeout);
    // The URL carries the ID token and the state: the browser's, never a log line's.
    qCInfo(lcSession) << "opening the browser for the provider's sign-out";
    if (!config.openBrowser(url))
        finish(ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The browser could not be opened.")));
}

LoopbackRedirectListener::Verdict EndSessionFlow::onCallback(const RedirectRequest &request)
{
    using Verdict = LoopbackRedirectListener::Verdict;
    if (m_finished)
        return Verdict {true, false, tr("This sign-out is no longer in progress.")};
    QByteArray state;
    for (const auto &[name, value] : request.params) {
        if (name == "state")
            state = value;
    }
    // §3: the state comes back unchanged. Anything else is not this
    // sign-out's answer (a forged or stale redirect): reported, and the local
    // sign-out stands.
    const bool ours = state.size() == m_state.size() && !m_state.isEmpty()
            && CRYPTO_memcmp(state.constData(), m_state.view().data(), size_t(state.size())) == 0;
    if (!ours) {
        qCInfo(lcSession) << "post-logout redirect with a wrong or missing state";
        invokeLater(this, [this] {
            finish(ErrorInfo::make(Error::StateMismatch,
                                   QStringLiteral("The browser came back from the provider's "
                                                  "sign-out with a state that is not ours; signed "
                                                  "out on this device, the provider's session "
                                                  "may still be open.")));
        });
        return Verdict {true, false,
                        tr("This answer does not belong to the sign-out in progress.")};
    }
    invokeLater(this, [this] { finish({}); });
    return Verdict {true, true, tr("You are signed out. You can close this tab.")};
}

void EndSessionFlow::finish(const ErrorInfo &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timeout.stop();
    m_listener.close();
    m_state.clear();
    m_idToken.clear();
    const Done done = std::move(m_done);
    deleteLater();
    if (done)
        done(error);
}

void SessionPrivate::endProviderSession(SecretBytes idToken)
{
    auto *flow = new EndSessionFlow(this, SignInFlows::of(this), std::move(idToken),
                                    [this](const ErrorInfo &error) {
                                        if (error.isError())
                                            emitError(error, SessionOperation::SignOut);
                                        Q_EMIT q_ptr->signedOut();
                                    });
    flow->start();
}

} // namespace SecureTokens
