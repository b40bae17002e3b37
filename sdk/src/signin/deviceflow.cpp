// SPDX-License-Identifier: MIT
#include "deviceflow_p.h"

#include "browserflow_p.h"
#include "discovery_p.h"
#include "session/publicdocument_p.h"
#include "core/invokelater.h"
#include "core/logging.h"
#include "session/session_p.h"
#include "signinflows_p.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

namespace SecureTokens {

namespace {

constexpr qint64 maxDeviceResponseBytes = qint64(64) * 1024;

QByteArray formEncode(const QList<QPair<QByteArray, QByteArray>> &fields)
{
    QByteArray body;
    for (const auto &[name, value] : fields) {
        if (!body.isEmpty())
            body += '&';
        body += QUrl::toPercentEncoding(QString::fromUtf8(name)) + '='
                + QUrl::toPercentEncoding(QString::fromUtf8(value));
    }
    return body;
}

} // namespace

ErrorInfo parseDeviceAuthorization(QByteArrayView body, DeviceAuthorization *out)
{
    auto malformed = [](const QString &why) {
        return ErrorInfo::make(Error::MalformedResponse,
                               QStringLiteral("Device authorization response rejected: ") + why);
    };
    if (body.size() > maxDeviceResponseBytes)
        return ErrorInfo::make(Error::ResponseTooLarge,
                               QStringLiteral("The device authorization response is too large."));
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(body.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !json.isObject())
        return malformed(QStringLiteral("not a JSON object."));
    const QJsonObject doc = json.object();
    const QJsonValue deviceCode = doc.value(QLatin1String("device_code"));
    const QJsonValue userCode = doc.value(QLatin1String("user_code"));
    QJsonValue uri = doc.value(QLatin1String("verification_uri"));
    if (uri.isUndefined())
        uri = doc.value(QLatin1String("verification_url"));
    const QJsonValue expiresIn = doc.value(QLatin1String("expires_in"));
    if (!deviceCode.isString() || deviceCode.toString().isEmpty()
        || deviceCode.toString().size() > 4096)
        return malformed(QStringLiteral("device_code missing."));
    if (!userCode.isString() || userCode.toString().isEmpty() || userCode.toString().size() > 64)
        return malformed(QStringLiteral("user_code missing."));
    if (!expiresIn.isDouble() || expiresIn.toDouble() < 1 || expiresIn.toDouble() > 86400)
        return malformed(QStringLiteral("expires_in missing or out of range."));
    auto checkedUrl = [](const QJsonValue &value, QUrl *url) {
        const QUrl parsed(value.toString(), QUrl::StrictMode);
        if (!value.isString() || !parsed.isValid() || parsed.isRelative() || parsed.host().isEmpty()
            || (parsed.scheme() != QLatin1String("https")
                && (parsed.scheme() != QLatin1String("http") || isInsecureTransport(parsed))))
            return false;
        *url = parsed;
        return true;
    };
    DeviceAuthorization result;
    if (!checkedUrl(uri, &result.verificationUri))
        return malformed(QStringLiteral("verification_uri missing or not https."));
    const QJsonValue complete = doc.value(QLatin1String("verification_uri_complete"));
    if (!complete.isUndefined() && !checkedUrl(complete, &result.verificationUriComplete))
        return malformed(QStringLiteral("verification_uri_complete is not https."));
    const QJsonValue interval = doc.value(QLatin1String("interval"));
    if (!interval.isUndefined()) {
        if (!interval.isDouble() || interval.toDouble() < 0 || interval.toDouble() > 3600)
            return malformed(QStringLiteral("interval out of range."));
        result.interval = std::max<qint64>(1, qint64(interval.toDouble()));
    }
    QByteArray code = deviceCode.toString().toUtf8();
    result.deviceCode = SecretBytes::adopt(code);
    result.userCode = userCode.toString();
    result.expiresIn = qint64(expiresIn.toDouble());
    *out = std::move(result);
    return {};
}

DeviceFlow::DeviceFlow(SessionPrivate *d, SignInFlows *flows, quint64 epoch)
    : d(d), m_flows(flows), m_epoch(epoch)
{
    m_pollTimer.setSingleShot(true);
    connect(&m_pollTimer, &QTimer::timeout, this, &DeviceFlow::poll);
    // signOut() or the Session's destruction abandon the sign-in: stop polling.
    connect(d->q_ptr, &Session::stateChanged, this, [this] {
        if (!m_finished && m_epoch != this->d->m_epoch)
            fail({});
    });
}

bool DeviceFlow::stale() const
{
    return m_finished || m_epoch != d->m_epoch;
}

void DeviceFlow::start()
{
    EndpointDiscovery *discovery = m_flows->discovery();
    if (discovery && discovery->pending()) {
        discovery->ensure(this, [this](const ErrorInfo &error) {
            if (stale())
                return;
            if (error.isError())
                fail(error);
            else
                requestCode();
        });
        return;
    }
    invokeLater(this, [this] {
        if (!stale())
            requestCode();
    });
}

void DeviceFlow::requestCode()
{
    const SessionConfig &config = d->m_config;
    for (const auto &[url, what] :
         {std::pair {config.deviceAuthorizationEndpoint, u"device authorization endpoint"},
          std::pair {config.tokenEndpoint, u"token endpoint"}}) {
        const ErrorInfo check = TokenEndpointClient::checkEndpoint(url, what);
        if (check.isError()) {
            fail(check);
            return;
        }
    }
    // RFC 8628 §3.1: client_id and scope.
    QList<QPair<QByteArray, QByteArray>> fields {{"client_id", config.clientId.toUtf8()}};
    if (!config.scopes.isEmpty())
        fields.append({"scope", config.scopes.join(QLatin1Char(' ')).toUtf8()});
    const QByteArray form = formEncode(fields);
    d->m_inFlightReply = fetchPublicDocument(
            d->m_nam, config.deviceAuthorizationEndpoint, maxDeviceResponseBytes,
            config.requestTimeout, this,
            [this](ErrorInfo error, QByteArray body) {
                if (stale())
                    return;
                d->m_inFlightReply = nullptr;
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
                Q_EMIT d->q_ptr->deviceCodeReady(
                        authorization.userCode, authorization.verificationUri,
                        authorization.verificationUriComplete, m_expiresAt);
                schedulePoll();
            },
            &form);
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
    const SessionConfig &config = d->m_config;
    // RFC 8628 §3.4.
    const QList<TokenEndpointClient::Field> fields {
            {QByteArrayLiteral("grant_type"),
             QByteArrayLiteral("urn:ietf:params:oauth:grant-type:device_code"), nullptr},
            {QByteArrayLiteral("device_code"), {}, &m_deviceCode},
            {QByteArrayLiteral("client_id"), config.clientId.toUtf8(), nullptr},
    };
    const quint64 epoch = m_epoch;
    d->m_inFlightReply = d->m_client.requestToken(
            config.tokenEndpoint, fields, this,
            [this, epoch](ErrorInfo error, TokenResponse response) {
                if (stale())
                    return;
                d->m_inFlightReply = nullptr;
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
                auto pending = std::make_shared<TokenResponse>(std::move(response));
                verifyIdTokenThen(d, m_flows, *pending, false, {}, this,
                                  [this, epoch, pending](const ErrorInfo &idError) {
                                      if (stale())
                                          return;
                                      if (idError.isError()) {
                                          fail(idError);
                                          return;
                                      }
                                      m_finished = true;
                                      m_deviceCode.clear();
                                      pending->idToken.clear();
                                      SessionPrivate *session = d;
                                      m_flows->flowEnded(this);
                                      session->completeInteractiveSignIn(epoch,
                                                                         std::move(*pending));
                                  });
            });
}

void DeviceFlow::fail(const ErrorInfo &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_pollTimer.stop();
    m_deviceCode.clear();
    SessionPrivate *session = d;
    const quint64 epoch = m_epoch;
    m_flows->flowEnded(this);
    session->finishSignIn(epoch, error, {});
}

void DeviceFlow::cancel()
{
    fail(ErrorInfo::make(Error::Cancelled, QStringLiteral("The sign-in was cancelled.")));
}

} // namespace SecureTokens
