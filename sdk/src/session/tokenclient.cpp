// SPDX-License-Identifier: MIT
#include "tokenclient_p.h"

#include "clientauth_p.h"

#include "core/httpgrammar.h"
#include "core/invokelater.h"
#include "core/logging.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>

#include <array>
#include <memory>

namespace SecureTokens {

namespace {

// RFC 6749 Appendix B: application/x-www-form-urlencoded, UTF-8, with the
// characters outside unreserved percent-encoded.
void appendFormValue(QByteArray &body, QByteArrayView value)
{
    static constexpr std::array<char, 16> hex
            = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-'
            || u == '.' || u == '_' || u == '~') {
            body.append(c);
        } else {
            body.append('%');
            body.append(hex.at(u >> 4));
            body.append(hex.at(u & 0xf));
        }
    }
}

//! One reply being collected (collectReply()).
struct Collection
{
    QByteArray body;
    bool tooLarge = false;
    bool timedOut = false;
    bool done = false;
};

ErrorInfo transportErrorOf(QNetworkReply *reply, const Collection &state, qint64 maxBytes,
                           int status)
{
    if (state.tooLarge)
        return ErrorInfo::make(
                Error::ResponseTooLarge,
                QStringLiteral("The server's answer exceeds %1 bytes.").arg(maxBytes));
    if (state.timedOut)
        return ErrorInfo::make(Error::Timeout,
                               QStringLiteral("The server did not answer in time."));
    if (status == 0)
        return errorFromNetworkReply(reply);
    // Credential requests never follow redirects (the credentials would follow).
    if (status >= 300 && status < 400)
        return ErrorInfo::make(Error::MalformedResponse,
                               QStringLiteral("The server answered with a redirect."));
    return {};
}

} // namespace

TokenEndpointClient::TokenEndpointClient(QNetworkAccessManager *nam, const SessionConfig *config)
    : m_nam(nam), m_config(config)
{ }

const SecretBytes *TokenEndpointClient::clientSecret() const
{
    if (m_config->clientSecret && !m_config->clientSecret->isEmpty())
        return m_config->clientSecret.get();
    return m_storedSecret.isEmpty() ? nullptr : &m_storedSecret;
}

void TokenEndpointClient::authenticate(const QStringList &advertised, QNetworkRequest *request,
                                       QList<Field> *fields) const
{
    const SecretBytes *secret = clientSecret();
    switch (chooseClientAuth(advertised, secret != nullptr)) {
    case ClientAuthMethod::None:
        return;
    case ClientAuthMethod::SecretBasic: {
        QByteArray header = basicAuthorization(m_config->clientId, *secret);
        request->setRawHeader(QByteArrayLiteral("Authorization"), header);
        secureWipe(header);
        // RFC 6749 §4.1.3: client_id is for clients that do not authenticate.
        fields->removeIf([](const Field &field) { return field.name == "client_id"; });
        return;
    }
    case ClientAuthMethod::SecretPost:
        fields->append({QByteArrayLiteral("client_secret"), {}, secret});
        return;
    }
}

QNetworkReply *TokenEndpointClient::post(const QUrl &endpoint, QList<Field> fields,
                                         const QStringList &advertised)
{
    QNetworkRequest request = credentialRequest(endpoint);
    authenticate(advertised, &request, &fields);
    QByteArray body;
    for (const Field &field : fields) {
        if (!body.isEmpty())
            body.append('&');
        appendFormValue(body, field.name);
        body.append('=');
        appendFormValue(body, field.secret ? field.secret->view() : QByteArrayView(field.value));
    }

    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));

    QNetworkReply *reply = m_nam->post(request, body);
    // QNAM shares the buffer until it is sent; secureWipe only wipes a buffer
    // we own alone, so this is a no-op while it is shared and safe either way.
    secureWipe(body);
    return reply;
}

QNetworkRequest credentialRequest(const QUrl &url)
{
    QNetworkRequest request(url);
    request.setRawHeader(QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json"));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    return request;
}

void collectReply(QNetworkReply *reply, const SessionConfig &config, QObject *context,
                  std::function<void(CollectedReply &answer)> finished)
{
    auto state = std::make_shared<Collection>();
    const qint64 maxBytes = config.maxResponseBytes;
    QPointer<QObject> guard(context);

    auto *deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    QObject::connect(deadline, &QTimer::timeout, reply, [reply, state] {
        state->timedOut = true;
        reply->abort();
    });
    deadline->start(config.requestTimeout);

    QObject::connect(reply, &QIODevice::readyRead, reply, [reply, state, maxBytes] {
        if (state->tooLarge)
            return;
        if (state->body.size() + reply->bytesAvailable() > maxBytes) {
            state->tooLarge = true;
            secureWipe(state->body);
            state->body.clear();
            reply->abort();
            return;
        }
        state->body.append(reply->readAll());
    });

    QObject::connect(
            reply, &QNetworkReply::finished, reply,
            [reply, state, maxBytes, guard, deadline, finished = std::move(finished)] {
                if (state->done)
                    return;
                state->done = true;
                deadline->stop();
                if (!state->tooLarge && reply->bytesAvailable() > 0) {
                    if (state->body.size() + reply->bytesAvailable() > maxBytes)
                        state->tooLarge = true;
                    else
                        state->body.append(reply->readAll());
                }
                reply->deleteLater();
                if (!guard) {
                    secureWipe(state->body);
                    return;
                }
                CollectedReply answer;
                answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                answer.transportError = transportErrorOf(reply, *state, maxBytes, answer.status);
                answer.transportError.httpStatus = answer.status;
                answer.contentType
                        = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
                answer.body = std::move(state->body);
                answer.retryAfter = reply->rawHeader(QByteArrayLiteral("Retry-After"));
                answer.rawHeaders = reply->rawHeaderPairs();
                finished(answer);
            });
}

QNetworkReply *TokenEndpointClient::requestToken(const QUrl &endpoint, const QList<Field> &fields,
                                                 QObject *context, TokenCallback done)
{
    QNetworkReply *reply = post(endpoint, fields, m_config->tokenEndpointAuthMethods);
    collectReply(reply, *m_config, context, [done = std::move(done)](CollectedReply &answer) {
        TokenResponse response;
        ErrorInfo error = answer.transportError;
        if (!error.isError()) {
            TokenResponseLimits limits;
            error = parseTokenResponse(answer.status, answer.contentType, answer.body, &response,
                                       limits);
        }
        secureWipe(answer.body);
        if (error.isError() && !answer.retryAfter.isEmpty())
            error.retryAfterSeconds
                    = parseRetryAfter(answer.retryAfter, QDateTime::currentDateTimeUtc());
        if (error.isError() && error.httpStatus == 0)
            error.httpStatus = answer.status;
        done(error, std::move(response));
    });
    return reply;
}

QNetworkReply *TokenEndpointClient::revoke(const QUrl &endpoint, const SecretBytes &token,
                                           QByteArrayView tokenTypeHint, QObject *context,
                                           DoneCallback done)
{
    QList<Field> fields;
    fields.append({QByteArrayLiteral("token"), {}, &token});
    fields.append({QByteArrayLiteral("token_type_hint"), tokenTypeHint.toByteArray(), nullptr});
    fields.append({QByteArrayLiteral("client_id"), m_config->clientId.toUtf8(), nullptr});
    // RFC 7009 §2.1: the client authenticates as at the token endpoint.
    QNetworkReply *reply = post(endpoint, fields,
                                m_config->revocationEndpointAuthMethods.isEmpty()
                                        ? m_config->tokenEndpointAuthMethods
                                        : m_config->revocationEndpointAuthMethods);
    const bool hasSecret = clientSecret() != nullptr;
    collectReply(
            reply, *m_config, context, [hasSecret, done = std::move(done)](CollectedReply &answer) {
                const bool invalidClient = answer.status == 401
                        || (answer.status == 400
                            && QJsonDocument::fromJson(answer.body)
                                            .object()
                                            .value(QLatin1String("error"))
                                            .toString()
                                    == QLatin1String("invalid_client"));
                secureWipe(answer.body);
                if (answer.transportError.isError()) {
                    done(answer.transportError);
                    return;
                }
                // RFC 7009 §2.2: 200 for revoked and for unknown tokens alike.
                if (answer.status == 200) {
                    done({});
                    return;
                }
                // RFC 7009 §2.1 + RFC 6749 §5.2: the client did not authenticate (a
                // public client at a server that demands it) — not a malformed request.
                if (invalidClient) {
                    ErrorInfo error = ErrorInfo::make(
                            Error::InvalidClient,
                            (hasSecret ? QStringLiteral(
                                     "The revocation endpoint refused the client's "
                                     "authentication (HTTP %1 invalid_client)")
                                       : QStringLiteral("The revocation endpoint requires client "
                                                        "authentication, and this client has no "
                                                        "secret (HTTP %1 invalid_client)"))
                                            .arg(answer.status)
                                    + QStringLiteral(
                                            ": the refresh token stays valid at the server "
                                            "until it expires."));
                    error.oauthError = QStringLiteral("invalid_client");
                    error.httpStatus = answer.status;
                    done(error);
                    return;
                }
                ErrorInfo error = ErrorInfo::make(
                        answer.status >= 500 ? Error::ServerError : Error::InvalidRequest,
                        QStringLiteral("Revocation failed with HTTP %1.").arg(answer.status));
                error.httpStatus = answer.status;
                done(error);
            });
    return reply;
}

ErrorInfo errorFromNetworkReply(QNetworkReply *reply)
{
    switch (reply->error()) {
    case QNetworkReply::OperationCanceledError:
        return ErrorInfo::make(Error::Cancelled, QStringLiteral("The request was cancelled."));
    case QNetworkReply::TimeoutError:
        return ErrorInfo::make(Error::Timeout, QStringLiteral("The connection timed out."));
    default: {
        // Not errorString(): for some errors it quotes the whole URL, query included.
        const QMetaEnum codes = QMetaEnum::fromType<QNetworkReply::NetworkError>();
        return ErrorInfo::make(
                Error::NetworkError,
                QStringLiteral("Cannot reach %1 (%2).")
                        .arg(reply->url().host(), QLatin1String(codes.valueToKey(reply->error()))));
    }
    }
}

} // namespace SecureTokens
