// SPDX-License-Identifier: MIT
#include "tokenclient_p.h"

#include "clientauth_p.h"
#include "dpopkeystore_p.h"
#include "dpopproof_p.h"

#include "core/httpgrammar.h"
#include "core/invokelater.h"
#include "core/logging.h"
#include "core/wipedbuffers.h"

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
#include <cstdlib>
#include <list>
#include <memory>

namespace SecureTokens {

namespace {

bool isUnreserved(unsigned char u)
{
    return (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-'
            || u == '.' || u == '_' || u == '~';
}

qsizetype encodedSize(QByteArrayView value)
{
    qsizetype size = 0;
    for (const char c : value)
        size += isUnreserved(static_cast<unsigned char>(c)) ? 1 : 3;
    return size;
}

// RFC 6749 Appendix B: application/x-www-form-urlencoded, UTF-8, with the
// characters outside unreserved percent-encoded.
void appendFormValue(QByteArray &body, QByteArrayView value)
{
    static constexpr std::array<char, 16> hex
            = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (isUnreserved(u)) {
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

/*!
    A token request that may be sent once more (RFC 9449 §8, §11.1): its
    fields, with their secrets owned here (the caller's are wiped as soon as
    the first request is built), and which retries it had.
*/
struct TokenEndpointClient::Retry
{
    QUrl endpoint;
    QList<Field> fields;
    std::list<SecretBytes> secrets; // a list: the fields point into it
    bool nonceRetried = false;
    bool clockRetried = false;
};

namespace {

//! A clock offset smaller than this is not why a server rejected a proof.
constexpr qint64 minClockRetryOffsetSeconds = 30;

QByteArray headerValue(const CollectedReply &answer, QByteArrayView name)
{
    for (const auto &header : answer.rawHeaders) {
        if (header.first.compare(name, Qt::CaseInsensitive) == 0)
            return header.second;
    }
    return {};
}

} // namespace

TokenEndpointClient::TokenEndpointClient(QNetworkAccessManager *nam, const SessionConfig *config)
    : m_nam(nam), m_config(config)
{ }

void TokenEndpointClient::beginSignInDpop()
{
    m_dpopKey.reset();
    m_dpopPending = true;
}

ErrorInfo TokenEndpointClient::prepareDpop()
{
    if (!m_dpopPending)
        return {};
    m_dpopPending = false;
    const bool listed = m_config->dpopSigningAlgValues.contains(QLatin1String("ES256"));
    switch (m_config->dpop) {
    case DpopMode::Off:
        return {};
    case DpopMode::IfSupported:
        if (!listed)
            return {};
        break;
    case DpopMode::Required:
        // With the provider's metadata (an issuer) we know; with endpoints
        // set by hand the server's answer tells (a Bearer token is refused).
        if (!listed && (!m_config->dpopSigningAlgValues.isEmpty() || !m_config->issuer.isEmpty()))
            return ErrorInfo::make(
                    Error::InvalidConfiguration,
                    QStringLiteral("DPoP is required, and the provider does not list ES256 in "
                                   "dpop_signing_alg_values_supported (RFC 9449 §5.1)."));
        break;
    }
    ErrorInfo error;
    m_dpopKey = Internal::makeDpopKey(*m_config, &error);
    return error;
}

void TokenEndpointClient::setDpopKey(std::shared_ptr<Internal::DpopKey> key)
{
    m_dpopPending = false;
    m_dpopKey = std::move(key);
}

QString TokenEndpointClient::dpopOrigin(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    const int port = url.port(scheme == QLatin1String("https") ? 443 : 80);
    return scheme + QLatin1String("://") + url.host().toLower() + QLatin1Char(':')
            + QString::number(port);
}

QByteArray TokenEndpointClient::dpopProof(QByteArrayView method, const QUrl &url,
                                          const QByteArray &ath)
{
    if (!m_dpopKey)
        return {};
    // An app calls one API over and over: its origin and htu are made once
    // per URL, not once per request (about 8 000 instructions of string
    // building each time, bench/dpopbench.cpp).
    if (m_lastProofUrl.url != url) {
        m_lastProofUrl.url = url;
        m_lastProofUrl.origin = dpopOrigin(url);
        m_lastProofUrl.htu = Internal::dpopHtu(url);
    }
    const QString &origin = m_lastProofUrl.origin;
    Internal::DpopProofRequest proof;
    proof.method = method.toByteArray();
    proof.uri = url;
    proof.htu = m_lastProofUrl.htu;
    proof.ath = ath;
    proof.nonce = m_dpopServers.nonce(origin);
    proof.issuedAt = m_dpopServers.issuedAt(origin, QDateTime::currentSecsSinceEpoch());
    return Internal::buildDpopProof(*m_dpopKey, proof);
}

void TokenEndpointClient::noteDpopAnswer(const QUrl &endpoint, const CollectedReply &answer)
{
    // RFC 9449 §8.1: a server may hand out the next nonce with any answer.
    const QByteArray nonce = headerValue(answer, "DPoP-Nonce");
    if (!nonce.isEmpty())
        m_dpopServers.noteNonce(dpopOrigin(endpoint), nonce);
}

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
    // RFC 9449 §5: a fresh proof on every request (a new jti, the current nonce).
    if (m_dpopKey)
        request.setRawHeader(QByteArrayLiteral("DPoP"), dpopProof("POST", endpoint));
    // The body holds a secret (a refresh token, a code, a password): it is
    // built in a buffer of its final size, so no growth leaves a copy behind.
    qsizetype size = 0;
    for (const Field &field : fields) {
        size += (size > 0 ? 1 : 0) + encodedSize(field.name) + 1
                + encodedSize(field.secret ? field.secret->view() : QByteArrayView(field.value));
    }
    QByteArray body;
    body.reserve(size);
    for (const Field &field : fields) {
        if (!body.isEmpty())
            body.append('&');
        appendFormValue(body, field.name);
        body.append('=');
        appendFormValue(body, field.secret ? field.secret->view() : QByteArrayView(field.value));
    }

    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));

    Q_ASSERT(body.size() == size);

    // QNAM reads a QBuffer in place and frees it with the reply; this one
    // wipes the body then. (QNAM's post(QByteArray) would share the buffer
    // with its own QBuffer, which frees it unwiped.)
    auto *device = new WipingBuffer(std::move(body));
    QNetworkReply *reply = m_nam->post(request, device);
    device->setParent(reply);
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

    // The body may hold tokens: read straight into one buffer, sized from
    // Content-Length when there is one, grown by wiped steps otherwise (no
    // readAll() temporaries, no append() leaving the old buffer unwiped).
    QObject::connect(reply, &QNetworkReply::metaDataChanged, reply, [reply, state, maxBytes] {
        const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (length > 0 && length <= maxBytes)
            reserveWiped(state->body, qsizetype(length));
    });
    QObject::connect(reply, &QIODevice::readyRead, reply, [reply, state, maxBytes] {
        if (state->tooLarge)
            return;
        if (!readWiped(reply, state->body, qsizetype(maxBytes))) {
            state->tooLarge = true;
            wipeShared(state->body);
            reply->abort();
        }
    });

    QObject::connect(
            reply, &QNetworkReply::finished, reply,
            [reply, state, maxBytes, guard, deadline, finished = std::move(finished)] {
                if (state->done)
                    return;
                state->done = true;
                deadline->stop();
                if (!state->tooLarge && !readWiped(reply, state->body, qsizetype(maxBytes)))
                    state->tooLarge = true;
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
    if (const ErrorInfo dpop = prepareDpop(); dpop.isError()) {
        invokeLater(context, [dpop, done = std::move(done)] { done(dpop, {}); });
        return nullptr;
    }
    auto retry = std::make_shared<Retry>();
    retry->endpoint = endpoint;
    retry->fields = fields;
    // Only a DPoP request is ever sent twice; only then are the secrets copied.
    if (m_dpopKey) {
        for (Field &field : retry->fields) {
            if (field.secret) {
                retry->secrets.push_back(field.secret->clone());
                field.secret = &retry->secrets.back();
            }
        }
    }
    return sendTokenRequest(endpoint, std::move(retry), context, std::move(done));
}

QNetworkReply *TokenEndpointClient::sendTokenRequest(const QUrl &endpoint,
                                                     std::shared_ptr<Retry> retry, QObject *context,
                                                     TokenCallback done)
{
    const bool proofSent = m_dpopKey != nullptr;
    QNetworkReply *reply = post(endpoint, retry->fields, m_config->tokenEndpointAuthMethods);
    if (!proofSent)
        retry->fields.clear(); // their secrets are the caller's
    QPointer<QObject> guard(context);
    collectReply(reply, *m_config, context,
                 [this, endpoint, retry, proofSent, guard,
                  done = std::move(done)](CollectedReply &answer) mutable {
                     if (proofSent)
                         noteDpopAnswer(endpoint, answer);
                     TokenResponse response;
                     ErrorInfo error = answer.transportError;
                     if (!error.isError()) {
                         TokenResponseLimits limits;
                         limits.acceptDpop = proofSent;
                         error = parseTokenResponse(answer.status, answer.contentType, answer.body,
                                                    &response, limits);
                     }
                     secureWipe(answer.body);
                     if (proofSent && error.httpStatus == 400 && guard) {
                         const QString origin = dpopOrigin(endpoint);
                         // RFC 9449 §8: the server asks for its nonce before it
                         // processes the grant, so the same grant (refresh token
                         // included) is sent once more, with the nonce.
                         if (error.oauthError == QLatin1String("use_dpop_nonce")
                             && !retry->nonceRetried && !m_dpopServers.nonce(origin).isEmpty()) {
                             retry->nonceRetried = true;
                             sendTokenRequest(endpoint, retry, guard, std::move(done));
                             return;
                         }
                         // RFC 9449 §11.1: a proof outside the server's time window;
                         // its Date header says how far off our clock is.
                         const QByteArray date = headerValue(answer, "Date");
                         const qint64 before = m_dpopServers.clockOffset(origin);
                         if (error.oauthError == QLatin1String("invalid_dpop_proof")
                             && !retry->clockRetried && !date.isEmpty()
                             && m_dpopServers.noteServerDate(origin, date,
                                                             QDateTime::currentSecsSinceEpoch())
                             && std::abs(m_dpopServers.clockOffset(origin) - before)
                                     >= minClockRetryOffsetSeconds) {
                             retry->clockRetried = true;
                             sendTokenRequest(endpoint, retry, guard, std::move(done));
                             return;
                         }
                     }
                     if (!error.isError() && proofSent && !response.dpopBound
                         && m_config->dpop == DpopMode::Required) {
                         error = ErrorInfo::make(
                                 Error::UnsupportedTokenType,
                                 QStringLiteral("The server answered with a Bearer token "
                                                "although DPoP is required (RFC 9449 §5)."));
                         error.httpStatus = answer.status;
                         response = {};
                     }
                     if (error.isError() && !answer.retryAfter.isEmpty())
                         error.retryAfterSeconds = parseRetryAfter(answer.retryAfter,
                                                                   QDateTime::currentDateTimeUtc());
                     if (error.isError() && error.httpStatus == 0)
                         error.httpStatus = answer.status;
                     retry.reset(); // wipes the copied secrets
                     done(error, std::move(response));
                 });
    return reply;
}

QNetworkReply *TokenEndpointClient::revoke(const QUrl &endpoint, const SecretBytes &token,
                                           QByteArrayView tokenTypeHint, QObject *context,
                                           DoneCallback done)
{
    if (!m_dpopKey)
        return revokeAttempt(endpoint, token, tokenTypeHint.toByteArray(), context, std::move(done),
                             {});
    // RFC 9449 §8: a revocation refused with use_dpop_nonce is sent once more
    // (the server has not looked at the token yet); the token is kept for it.
    auto kept = std::make_shared<SecretBytes>(token.clone());
    return revokeAttempt(endpoint, *kept, tokenTypeHint.toByteArray(), context, std::move(done),
                         kept);
}

QNetworkReply *TokenEndpointClient::revokeAttempt(const QUrl &endpoint, const SecretBytes &token,
                                                  const QByteArray &tokenTypeHint, QObject *context,
                                                  DoneCallback done,
                                                  std::shared_ptr<SecretBytes> retryToken)
{
    QList<Field> fields;
    fields.append({QByteArrayLiteral("token"), {}, &token});
    fields.append({QByteArrayLiteral("token_type_hint"), tokenTypeHint, nullptr});
    fields.append({QByteArrayLiteral("client_id"), m_config->clientId.toUtf8(), nullptr});
    // RFC 7009 §2.1: the client authenticates as at the token endpoint.
    QNetworkReply *reply = post(endpoint, fields,
                                m_config->revocationEndpointAuthMethods.isEmpty()
                                        ? m_config->tokenEndpointAuthMethods
                                        : m_config->revocationEndpointAuthMethods);
    const bool hasSecret = clientSecret() != nullptr;
    const bool proofSent = m_dpopKey != nullptr;
    QPointer<QObject> guard(context);
    collectReply(
            reply, *m_config, context,
            [this, endpoint, proofSent, hasSecret, guard, tokenTypeHint, retryToken,
             done = std::move(done)](CollectedReply &answer) mutable {
                if (proofSent)
                    noteDpopAnswer(endpoint, answer);
                if (proofSent && retryToken && guard && answer.status == 400
                    && QJsonDocument::fromJson(answer.body)
                                    .object()
                                    .value(QLatin1String("error"))
                                    .toString()
                            == QLatin1String("use_dpop_nonce")
                    && !m_dpopServers.nonce(dpopOrigin(endpoint)).isEmpty()) {
                    secureWipe(answer.body);
                    const std::shared_ptr<SecretBytes> token = std::move(retryToken);
                    revokeAttempt(endpoint, *token, tokenTypeHint, guard,
                                  [token, done = std::move(done)](ErrorInfo error) {
                                      token->clear();
                                      done(std::move(error));
                                  },
                                  {});
                    return;
                }
                retryToken.reset();
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
