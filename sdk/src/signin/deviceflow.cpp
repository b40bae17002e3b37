// SPDX-License-Identifier: MIT
#include "deviceflow_p.h"

#include "authorizationparameters_p.h"
#include "deviceauthorization_p.h"

#include "core/logging.h"
#include "session/clientauth_p.h"
#include "session/endpointcheck_p.h"
#include "session/publicdocument_p.h"
#include "session/signinhost_p.h"
#include "session/tokenclient_p.h"

#include <QUrl>

namespace SecureTokens {

namespace { } // namespace

DeviceFlow::DeviceFlow(SignInHost *host, SignInFlows *flows) : InteractiveFlow(host, flows)
{
    m_pollTimer.setSingleShot(true);
    connect(&m_pollTimer, &QTimer::timeout, this, &DeviceFlow::poll);
}

DeviceFlow::~DeviceFlow() = default;

void DeviceFlow::release()
{
    m_pollTimer.stop();
    m_deviceCode.clear();
}

void DeviceFlow::begin()
{
    const SessionConfig &config = host()->config();
    for (const auto &[url, what] :
         {std::pair {config.deviceAuthorizationEndpoint, u"device authorization endpoint"},
          std::pair {config.tokenEndpoint, u"token endpoint"}}) {
        const ErrorInfo check = checkEndpoint(url, what);
        if (check.isError()) {
            fail(check);
            return;
        }
    }
    // RFC 8628 §3.1: client_id and scope, and client authentication as at
    // the token endpoint when the client has a secret.
    QList<QPair<QByteArray, QByteArray>> fields {{"client_id", config.clientId.toUtf8()}};
    if (!config.scopes.isEmpty())
        fields.append({"scope", config.scopes.join(QLatin1Char(' ')).toUtf8()});
    QNetworkRequest auth;
    QList<TokenEndpointClient::Field> secretFields;
    host()->tokenEndpoint().authenticate(config.tokenEndpointAuthMethods, &auth, &secretFields);
    QByteArray authorization = auth.rawHeader(QByteArrayLiteral("Authorization"));
    if (!authorization.isEmpty()) // RFC 6749 §2.3.1: Basic names the client
        fields.removeFirst();
    for (const TokenEndpointClient::Field &field : secretFields)
        fields.append({field.name, field.secret->view().toByteArray()});
    QByteArray form = formEncode(fields);
    for (auto &field : fields)
        secureWipe(field.second);
    host()->setInFlightReply(fetchPublicDocument(
            host()->network(), config.deviceAuthorizationEndpoint, maxDeviceAuthorizationBytes,
            config.requestTimeout, this,
            [this](ErrorInfo error, QByteArray body) {
                if (stale())
                    return;
                host()->setInFlightReply(nullptr);
                if (error.isError()) {
                    if (error.httpStatus >= 400 && error.httpStatus < 500) {
                        // RFC 8628 §3.2 errors use the RFC 6749 §5.2 format.
                        TokenResponse ignored;
                        const ErrorInfo oauth = parseTokenResponse(
                                error.httpStatus, "application/json", body, &ignored);
                        if (oauth.isError())
                            error = oauth;
                    }
                    fail(error);
                    return;
                }
                DeviceAuthorization authorization;
                const ErrorInfo parsed = parseDeviceAuthorization(body, &authorization);
                secureWipe(body);
                if (parsed.isError()) {
                    fail(parsed);
                    return;
                }
                m_deviceCode = std::move(authorization.deviceCode);
                m_intervalMs = authorization.interval * 1000;
                m_expiresAt = QDateTime::currentDateTimeUtc().addSecs(authorization.expiresIn);
                qCInfo(lcSession) << "device code issued; waiting for the user";
                Q_EMIT host()->session()->deviceCodeReady(
                        authorization.userCode, authorization.verificationUri,
                        authorization.verificationUriComplete, m_expiresAt);
                schedulePoll();
            },
            &form, authorization));
    // QNAM may still share these buffers (then this is a no-op; see tokenclient.cpp).
    secureWipe(form);
    secureWipe(authorization);
}

void DeviceFlow::schedulePoll()
{
    if (stale())
        return;
    if (QDateTime::currentDateTimeUtc().addMSecs(m_intervalMs) >= m_expiresAt.addSecs(1)) {
        fail(ErrorInfo::make(Error::Timeout,
                             QStringLiteral("The device code expired before the user approved "
                                            "it.")));
        return;
    }
    m_pollTimer.start(std::chrono::milliseconds(m_intervalMs));
}

void DeviceFlow::poll()
{
    if (stale())
        return;
    const SessionConfig &config = host()->config();
    // RFC 8628 §3.4.
    const QList<TokenEndpointClient::Field> fields {
            {QByteArrayLiteral("grant_type"),
             QByteArrayLiteral("urn:ietf:params:oauth:grant-type:device_code"), nullptr},
            {QByteArrayLiteral("device_code"), {}, &m_deviceCode},
            {QByteArrayLiteral("client_id"), config.clientId.toUtf8(), nullptr},
    };
    host()->setInFlightReply(host()->tokenEndpoint().requestToken(
            config.tokenEndpoint, fields, this, [this](ErrorInfo error, TokenResponse response) {
                if (stale())
                    return;
                host()->setInFlightReply(nullptr);
                if (error.isError()) {
                    // RFC 8628 §3.5.
                    if (error.oauthError == QLatin1String("authorization_pending")) {
                        schedulePoll();
                    } else if (error.oauthError == QLatin1String("slow_down")) {
                        m_intervalMs += 5000;
                        schedulePoll();
                    } else if (error.oauthError == QLatin1String("expired_token")) {
                        error.code = Error::Timeout;
                        error.message = QStringLiteral("The device code expired before the user "
                                                       "approved it.");
                        fail(error);
                    } else if (error.isTransient() && error.code != Error::Cancelled) {
                        // A network hiccup: keep polling, more slowly (§3.5
                        // asks for exponential backoff on timeouts).
                        m_intervalMs = std::min<qint64>(m_intervalMs * 2, 60000);
                        schedulePoll();
                    } else {
                        fail(error); // access_denied → AccessDenied, and the rest
                    }
                    return;
                }
                m_deviceCode.clear();
                succeed(std::move(response), false, {});
            }));
}

} // namespace SecureTokens
