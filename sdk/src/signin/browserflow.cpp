// SPDX-License-Identifier: MIT
// Browser sign-in: authorization code + PKCE through a loopback redirect.
#include "browserflow_p.h"

#include "authorizationparameters_p.h"
#include "discovery_p.h"
#include "pushedauthorization_p.h"
#include "pkce_p.h"
#include "signinflows_p.h"

#include "core/invokelater.h"
#include "core/logging.h"
#include "session/endpointcheck_p.h"
#include "session/publicdocument_p.h"
#include "session/signinhost_p.h"
#include "session/tokenclient_p.h"
#include "session/tokenresponse_p.h"

#include <securetokens/schemeredirect.h>

#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrlQuery>

#include <openssl/crypto.h>

namespace SecureTokens {

namespace {

std::function<void(QByteArray &)> &verifierHook()
{
    static std::function<void(QByteArray &)> hook;
    return hook;
}

bool equalsSecret(QByteArrayView a, const SecretBytes &b)
{
    return a.size() == b.size() && !b.isEmpty()
            && CRYPTO_memcmp(a.data(), b.view().data(), size_t(a.size())) == 0;
}

} // namespace

void setCodeVerifierTestHook(std::function<void(QByteArray &verifier)> hook)
{
    verifierHook() = std::move(hook);
}

BrowserFlow::BrowserFlow(SignInHost *host, SignInFlows *flows, BrowserSignInRequest request)
    : InteractiveFlow(host, flows), m_request(std::move(request))
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        fail(ErrorInfo::make(Error::Timeout,
                             QStringLiteral("The browser did not come back in time.")));
    });
}

BrowserFlow::~BrowserFlow()
{
    m_listener.close();
    m_forwarder.close();
}

void BrowserFlow::release()
{
    m_timeout.stop();
    m_listener.close();
    m_forwarder.close();
    m_verifier.clear();
    m_state.clear();
    m_nonce.clear();
}

void BrowserFlow::begin()
{
    // This sign-in's request: the configuration, with what stepUp() or
    // requestScopes() asked for instead.
    SessionConfig config = host()->config();
    if (m_request.scopes)
        config.scopes = *m_request.scopes;
    if (m_request.acrValues)
        config.acrValues = *m_request.acrValues;
    if (m_request.maxAge) {
        config.maxAge = m_request.maxAge;
        // OIDC Core §3.1.2.1: max_age=0 is prompt=login's equivalent; some
        // providers honour only the latter.
        if (m_request.maxAge->count() == 0 && config.prompt.isEmpty())
            config.prompt = QStringLiteral("login");
    }
    // OIDC Core §3.1.3.7 items 12–13: what was asked is checked in the ID token.
    m_requirements.maxAge = config.maxAge ? qint64(config.maxAge->count()) : -1;
    if (m_request.acrRequired)
        m_requirements.requiredAcr = config.acrValues;
    for (const auto &[url, what] :
         {std::pair {config.authorizationEndpoint, u"authorization endpoint"},
          std::pair {config.tokenEndpoint, u"token endpoint"}}) {
        const ErrorInfo check = checkEndpoint(url, what);
        if (check.isError()) {
            fail(check);
            return;
        }
    }
    if (!config.openBrowser) {
        fail(ErrorInfo::make(Error::InvalidConfiguration,
                             QStringLiteral("SessionConfig::openBrowser is not set: there is no "
                                            "way to open the browser.")));
        return;
    }
    EndpointDiscovery *discovery = flows()->discovery();
    if (discovery && discovery->succeeded()) {
        m_expectedIss = discovery->metadata().issuer;
        m_issRequired = discovery->metadata().issParameterSupported;
    } else {
        m_expectedIss = issuerString(config.issuer);
    }

    // RFC 9449 §10: the key the code is bound to is chosen now, before the
    // authorization request names it (dpop_jkt, or the PAR request's proof).
    // The code exchange then proves the same key, and finishSignIn() stores
    // it with the refresh token (store before use as for every sign-in).
    if (const ErrorInfo dpop = host()->tokenEndpoint().prepareDpop(); dpop.isError()) {
        fail(dpop);
        return;
    }

    // OIDC Core §3.1.2.1: the nonce belongs to an OpenID Connect request.
    // Without openid there is no ID token to carry it back, and providers
    // refuse the parameter (oidc-provider: invalid_request).
    const bool openId = requestsOpenId(config.scopes);
    m_openId = openId;
    m_verifier = newCodeVerifier();
    m_state = randomUrlSafeToken(32);
    if (openId)
        m_nonce = randomUrlSafeToken(32);
    if (m_verifier.isEmpty() || m_state.isEmpty() || (openId && m_nonce.isEmpty())) {
        fail(ErrorInfo::make(Error::InvalidConfiguration,
                             QStringLiteral("The random number generator failed.")));
        return;
    }
    const ErrorInfo listening = listenForRedirect(config);
    if (listening.isError()) {
        fail(listening);
        return;
    }

    AuthorizationSecrets secrets;
    secrets.redirectUri = m_redirectUri.toString(QUrl::FullyEncoded).toUtf8();
    secrets.state = m_state.view().toByteArray();
    secrets.codeChallenge = codeChallengeS256(m_verifier.view());
    secrets.nonce = m_nonce.view().toByteArray();
    QList<QPair<QByteArray, QByteArray>> params;
    const ErrorInfo invalid = authorizationParameters(config, secrets, &params);
    secureWipe(secrets.state);
    secureWipe(secrets.nonce);
    if (invalid.isError()) {
        fail(invalid);
        return;
    }
    // RFC 9126 §5: a provider that requires PAR refuses anything else; one
    // that offers it gets the request pushed unless the application said no.
    const bool parRequired = discovery && discovery->succeeded()
            && discovery->metadata().requirePushedAuthorizationRequests;
    if (parRequired && config.pushedAuthorizationRequestEndpoint.isEmpty()) {
        fail(ErrorInfo::make(Error::InvalidConfiguration,
                             QStringLiteral("The provider requires pushed authorization requests "
                                            "(RFC 9126) but names no "
                                            "pushed_authorization_request_endpoint.")));
        return;
    }
    if (!config.pushedAuthorizationRequestEndpoint.isEmpty()
        && (parRequired || config.usePushedAuthorizationRequests)) {
        push(std::move(params));
        return;
    }
    // RFC 9449 §10: without PAR, dpop_jkt (the key's RFC 7638 thumbprint)
    // binds the code to the key; a pushed request's proof does it there.
    if (const auto &key = host()->tokenEndpoint().dpopKey())
        params.append({QByteArrayLiteral("dpop_jkt"), key->thumbprint()});
    openBrowser(params);
}

ErrorInfo BrowserFlow::listenForRedirect(const SessionConfig &config)
{
    if (config.redirectUri.isEmpty()) {
        ErrorInfo listening
                = m_listener.listen(config.redirectHost, config.redirectPorts, config.redirectPath);
        if (listening.isError())
            return listening;
        m_listener.setHandler(
                [this](const RedirectRequest &request) { return onCallback(request); });
        m_redirectUri = m_listener.redirectUri();
        return {};
    }
    // RFC 8252 §7.1 (the app's own scheme) or §7.2 (a claimed https URI):
    // the OS hands the URL to the app.
    ErrorInfo form = checkAppRedirectUri(config.redirectUri);
    if (form.isError())
        return form;
    m_redirectUri = config.redirectUri;
    m_schemeRedirect = true;
    if (redirectForwardingSupported && m_redirectUri.scheme() != QLatin1String("https")) {
        // Linux, Windows: the browser starts a second instance with the URL,
        // which forwards it here (forwardRedirect()). No OS there claims https.
        ErrorInfo listening = m_forwarder.listen(m_redirectUri.scheme());
        if (listening.isError())
            return listening;
        m_forwarder.setHandler([this](const QUrl &url) {
            const LoopbackRedirectListener::Verdict verdict = deliverRedirect(url);
            return RedirectForwardServer::Verdict {verdict.accepted, verdict.message};
        });
    }
    return {};
}

LoopbackRedirectListener::Verdict BrowserFlow::deliverRedirect(const QUrl &url)
{
    using Verdict = LoopbackRedirectListener::Verdict;
    if (!m_schemeRedirect || stale())
        return Verdict {false, false, tr("No sign-in is waiting for this redirect.")};
    // The redirect URI with the response in its query (RFC 6749 §4.1.2);
    // scheme and host compare case-insensitively (RFC 3986 §3.1, §3.2.2),
    // the port and the path exactly; a private-use URI has no authority.
    if (url.scheme().compare(m_redirectUri.scheme(), Qt::CaseInsensitive) != 0
        || url.path(QUrl::FullyEncoded) != m_redirectUri.path(QUrl::FullyEncoded)
        || url.host().compare(m_redirectUri.host(), Qt::CaseInsensitive) != 0
        || url.port(443) != m_redirectUri.port(443) || !url.userInfo().isEmpty())
        return Verdict {false, false, tr("This is not the redirect URI of the sign-in.")};
    RedirectRequest request;
    if (!parseUrlQuery(url.query(QUrl::FullyEncoded).toLatin1(), &request.params))
        return Verdict {false, false, tr("The redirect repeats a parameter.")};
    request.ok = true;
    // Exactly one response per sign-in, as the loopback listener takes one:
    // the exchange starts from the event loop, so until then a second
    // delivery would otherwise pass the same checks (tst_signin_scheme).
    if (m_redirectTaken)
        return Verdict {false, false, tr("This sign-in response was already received.")};
    // The same checks as a loopback request's: state, iss, error, code.
    Verdict verdict = onCallback(request);
    for (auto &param : request.params)
        secureWipe(param.second);
    m_redirectTaken = verdict.accepted;
    return verdict;
}

void BrowserFlow::openBrowser(QList<QPair<QByteArray, QByteArray>> &params)
{
    const SessionConfig &config = host()->config();
    QUrl url = config.authorizationEndpoint;
    QUrlQuery query(url);
    for (auto &[name, value] : params) {
        query.addQueryItem(QString::fromLatin1(QUrl::toPercentEncoding(QString::fromUtf8(name))),
                           QString::fromLatin1(QUrl::toPercentEncoding(QString::fromUtf8(value))));
        secureWipe(value);
    }
    url.setQuery(query.query(QUrl::FullyEncoded), QUrl::StrictMode);

    m_timeout.start(config.browserTimeout);
    // The URL carries state, nonce and the PKCE challenge (or a pushed
    // request's request_uri): it goes to the browser and nowhere else (never
    // to a log line).
    qCInfo(lcSession) << "opening the browser for sign-in";
    if (!config.openBrowser(url)) {
        fail(ErrorInfo::make(Error::InvalidConfiguration,
                             QStringLiteral("The browser could not be opened.")));
    }
}

//! A pushed request's body and client authentication, kept for one resend.
struct BrowserFlow::PushedRequest
{
    QByteArray form;
    QByteArray authorization;
    bool nonceRetried = false;
    PushedRequest() = default;
    Q_DISABLE_COPY_MOVE(PushedRequest)
    // QNAM may still share these buffers (then this is a no-op; see tokenclient.cpp).
    ~PushedRequest()
    {
        secureWipe(form);
        secureWipe(authorization);
    }
};

void BrowserFlow::push(QList<QPair<QByteArray, QByteArray>> params)
{
    const SessionConfig &config = host()->config();
    const ErrorInfo check = checkEndpoint(config.pushedAuthorizationRequestEndpoint,
                                          u"pushed authorization request endpoint");
    if (check.isError()) {
        for (auto &param : params)
            secureWipe(param.second);
        fail(check);
        return;
    }
    // RFC 9126 §2.1: the authorization parameters as a form, client_id
    // included, authenticated as at the token endpoint when the client has
    // a secret.
    QNetworkRequest auth;
    QList<TokenEndpointClient::Field> secretFields;
    host()->tokenEndpoint().authenticate(config.tokenEndpointAuthMethods, &auth, &secretFields);
    auto request = std::make_shared<PushedRequest>();
    request->authorization = auth.rawHeader(QByteArrayLiteral("Authorization"));
    for (const TokenEndpointClient::Field &field : secretFields)
        params.append({field.name, field.secret->view().toByteArray()});
    request->form = formEncode(params);
    for (auto &param : params)
        secureWipe(param.second);
    sendPush(request);
}

void BrowserFlow::sendPush(const std::shared_ptr<PushedRequest> &request)
{
    const SessionConfig &config = host()->config();
    const QUrl endpoint = config.pushedAuthorizationRequestEndpoint;
    TokenEndpointClient &client = host()->tokenEndpoint();
    // RFC 9449 §10.1: a proof of the sign-in's key (htm POST, htu this
    // endpoint, the authorization server's nonce when it gave one) binds the
    // code to that key, as dpop_jkt would.
    const bool proofSent = client.dpopKey() != nullptr;
    const QByteArray proof = client.dpopProof("POST", endpoint);
    if (proofSent && proof.isEmpty()) {
        fail(ErrorInfo::make(Error::DPoPKeyMissing,
                             QStringLiteral("The DPoP key cannot sign the pushed authorization "
                                            "request.")));
        return;
    }
    auto nonce = std::make_shared<QByteArray>();
    qCInfo(lcSession) << "pushing the authorization request (RFC 9126)";
    host()->setInFlightReply(fetchPublicDocument(
            host()->network(), endpoint, maxPushedAuthorizationBytes, config.requestTimeout, this,
            [this, request, endpoint, proofSent, nonce](ErrorInfo error, QByteArray body) {
                if (stale())
                    return;
                host()->setInFlightReply(nullptr);
                TokenEndpointClient &client = host()->tokenEndpoint();
                const QString origin = TokenEndpointClient::dpopOrigin(endpoint);
                // RFC 9449 §8.1: the next nonce may come with any answer.
                if (proofSent && !nonce->isEmpty())
                    client.dpopServers().noteNonce(origin, *nonce);
                // §2.2: success is 201 Created (200 accepted as well).
                const bool created = error.httpStatus == 201 || error.httpStatus == 200;
                if (error.isError() && !(created && error.code == Error::MalformedResponse)) {
                    if (error.httpStatus >= 400 && error.httpStatus < 500) {
                        // §2.3: the RFC 6749 §5.2 error format.
                        TokenResponse ignored;
                        const ErrorInfo oauth = parseTokenResponse(
                                error.httpStatus, "application/json", body, &ignored);
                        if (oauth.isError()) {
                            error = oauth;
                            error.message = QStringLiteral("The pushed authorization request "
                                                           "endpoint refused the request "
                                                           "(RFC 9126 §2.3).");
                        }
                        // RFC 9449 §8, §10.1: the server wants its nonce in the
                        // proof; the same request once more with it, as at the
                        // token endpoint. Nothing was consumed.
                        if (proofSent && error.httpStatus == 400
                            && error.oauthError == QLatin1String("use_dpop_nonce")
                            && !request->nonceRetried
                            && !client.dpopServers().nonce(origin).isEmpty()) {
                            request->nonceRetried = true;
                            sendPush(request);
                            return;
                        }
                    }
                    fail(error);
                    return;
                }
                PushedAuthorization pushed;
                const ErrorInfo parsed = parsePushedAuthorization(body, &pushed);
                if (parsed.isError()) {
                    fail(parsed);
                    return;
                }
                // §4: only client_id and request_uri travel through the browser.
                QList<QPair<QByteArray, QByteArray>> params {
                        {QByteArrayLiteral("client_id"), host()->config().clientId.toUtf8()},
                        {QByteArrayLiteral("request_uri"), pushed.requestUri.toUtf8()}};
                openBrowser(params);
            },
            &request->form, request->authorization, proof,
            [nonce](const QNetworkReply &reply) {
                *nonce = reply.rawHeader(QByteArrayLiteral("DPoP-Nonce"));
            }));
}

LoopbackRedirectListener::Verdict BrowserFlow::onCallback(const RedirectRequest &request)
{
    using Verdict = LoopbackRedirectListener::Verdict;
    if (stale())
        return Verdict {true, false, tr("This sign-in is no longer in progress.")};
    QByteArray state;
    QByteArray code;
    QByteArray iss;
    QByteArray error;
    QByteArray description;
    bool hasIss = false;
    for (const auto &[name, value] : request.params) {
        if (name == "state")
            state = value;
        else if (name == "code")
            code = value;
        else if (name == "iss") {
            iss = value;
            hasIss = true;
        } else if (name == "error")
            error = value;
        else if (name == "error_description")
            description = value;
    }
    // RFC 6749 §10.12: only the response with our state belongs to this
    // sign-in; anything else (a forged or stale redirect) is refused and the
    // listener keeps waiting for the real one.
    if (!equalsSecret(state, m_state)) {
        secureWipe(code);
        qCInfo(lcSession) << "redirect with a wrong or missing state refused";
        return Verdict {false, false,
                        tr("This response does not belong to the sign-in in progress.")};
    }
    m_timeout.stop();
    ErrorInfo failure;
    // RFC 9207 §2.4: when iss is present (or the provider promised it) it
    // must name the issuer the request went to (mix-up defence). With
    // endpoints set by hand and no issuer there is nothing to compare it
    // with: it is kept, and the ID token must name the same issuer.
    const QString responseIss = QString::fromUtf8(iss);
    if ((m_issRequired && !hasIss)
        || (hasIss && !m_expectedIss.isEmpty() && responseIss != m_expectedIss)) {
        failure = ErrorInfo::make(
                Error::IssuerMismatch,
                hasIss ? QStringLiteral("The authorization response names the issuer \"%1\", "
                                        "but the request went to \"%2\" (RFC 9207).")
                                 .arg(responseIss.left(200), m_expectedIss)
                       : QStringLiteral("The authorization response names no issuer, although "
                                        "\"%1\" promised one (RFC 9207).")
                                 .arg(m_expectedIss));
    } else if (!error.isEmpty()) {
        // RFC 6749 §4.1.2.1.
        failure = ErrorInfo::make(errorFromOAuthCode(QString::fromUtf8(error), 400),
                                  QStringLiteral("The authorization server refused the sign-in."));
        failure.oauthError = QString::fromUtf8(error.left(64));
        failure.oauthErrorDescription = QString::fromUtf8(description.left(512));
    } else if (code.isEmpty()) {
        failure = ErrorInfo::make(Error::MalformedResponse,
                                  QStringLiteral("The authorization response has no code."));
    }
    if (failure.isError()) {
        secureWipe(code);
        invokeLater(this, [this, failure] { fail(failure); });
        return Verdict {true, false,
                        failure.code == Error::AccessDenied
                                ? tr("The sign-in was declined. You can close this tab.")
                                : tr("The sign-in failed. You can close this tab.")};
    }
    if (m_expectedIss.isEmpty())
        m_responseIss = responseIss;
    auto secret = std::make_shared<SecretBytes>(SecretBytes::adopt(code));
    invokeLater(this, [this, secret] {
        if (!stale())
            exchange(std::move(*secret));
    });
    return Verdict {true, true, tr("You are signed in. You can close this tab.")};
}

void BrowserFlow::exchange(SecretBytes code)
{
    m_listener.close();
    const SessionConfig &config = host()->config();
    QByteArray verifierBytes = m_verifier.view().toByteArray();
    if (verifierHook())
        verifierHook()(verifierBytes);
    const SecretBytes verifier = SecretBytes::adopt(verifierBytes);
    // RFC 6749 §4.1.3 with the same redirect_uri, RFC 7636 §4.5 code_verifier.
    QList<TokenEndpointClient::Field> fields {
            {QByteArrayLiteral("grant_type"), QByteArrayLiteral("authorization_code"), nullptr},
            {QByteArrayLiteral("code"), {}, &code},
            {QByteArrayLiteral("redirect_uri"), m_redirectUri.toString(QUrl::FullyEncoded).toUtf8(),
             nullptr},
            {QByteArrayLiteral("client_id"), config.clientId.toUtf8(), nullptr},
            {QByteArrayLiteral("code_verifier"), {}, &verifier},
    };
    // RFC 8707 §2.2: the resources the access token is for, again. With
    // per-API tokens only the first: an access token is for one API
    // (oidc-provider refuses several), the others are asked for by name.
    for (const QString &resource : config.resources) {
        fields.append({QByteArrayLiteral("resource"), resource.toUtf8(), nullptr});
        if (!config.apiResources.isEmpty())
            break;
    }
    host()->setInFlightReply(host()->tokenEndpoint().requestToken(
            config.tokenEndpoint, fields, this,
            [this](const ErrorInfo &error, TokenResponse response) {
                if (stale())
                    return;
                host()->setInFlightReply(nullptr);
                if (error.isError()) {
                    fail(error);
                    return;
                }
                succeed(std::move(response), m_openId, m_nonce.view().toByteArray(),
                        m_expectedIss.isEmpty() ? m_responseIss : m_expectedIss, m_requirements);
            }));
}

} // namespace SecureTokens
