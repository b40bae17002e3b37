// SPDX-License-Identifier: MIT
#include "cookietransport_p.h"

#include "cookietransportparsing_p.h"
#include "logging_p.h"
#include "tokenresponse_p.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace SecureTokens {

namespace {

QUrl derived(const QUrl &explicitUrl, const QUrl &base, const QString &leaf)
{
    if (!explicitUrl.isEmpty())
        return explicitUrl;
    if (base.isEmpty())
        return {};
    QUrl url = base;
    QString path = url.path();
    if (!path.endsWith(QLatin1Char('/')))
        path += QLatin1Char('/');
    url.setPath(path + leaf);
    return url;
}

// JSON string escaping for the login body (QJsonDocument would keep an
// unwipeable copy of the password).
void appendJsonString(QByteArray &out, QByteArrayView utf8)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

} // namespace

CookieRefreshTransport::CookieRefreshTransport(QNetworkAccessManager *nam,
                                               const SessionConfig *config)
    : m_nam(nam), m_config(config)
{ }

QUrl CookieRefreshTransport::loginUrl() const
{
    return derived(m_config->cookieLoginUrl, m_config->cookieAuthBase, QStringLiteral("login"));
}

QUrl CookieRefreshTransport::refreshUrl() const
{
    return derived(m_config->cookieRefreshUrl, m_config->cookieAuthBase, QStringLiteral("refresh"));
}

QUrl CookieRefreshTransport::logoutUrl() const
{
    return derived(m_config->cookieLogoutUrl, m_config->cookieAuthBase, QStringLiteral("logout"));
}

ErrorInfo CookieRefreshTransport::check() const
{
    for (const auto &[url, what] : {std::pair {loginUrl(), u"cookie login URL"},
                                    std::pair {refreshUrl(), u"cookie refresh URL"},
                                    std::pair {logoutUrl(), u"cookie logout URL"}}) {
        const ErrorInfo error = TokenEndpointClient::checkEndpoint(url, what);
        if (error.isError())
            return error;
    }
    if (m_config->csrfHeaderName.isEmpty() || m_config->refreshCookieName.isEmpty()
        || !isCookieOctets(m_config->refreshCookieName))
        return ErrorInfo::make(
                Error::InvalidConfiguration,
                QStringLiteral("The CSRF header or refresh cookie name is invalid."));
    return {};
}

QNetworkReply *CookieRefreshTransport::send(const QUrl &url, const QByteArray &jsonBody,
                                            const SecretBytes *credential, QObject *context,
                                            TokenCallback done, bool expectTokens)
{
    const ErrorInfo config = check();
    if (config.isError()) {
        QTimer::singleShot(0, context, [done, config] { done(config, {}); });
        return nullptr;
    }
    QByteArray cookie, csrf;
    if (credential && !parseCookieEnvelope(credential->view(), &cookie, &csrf)) {
        // Not ours (e.g. a stored OAuth token after a configuration change):
        // definitive, the session cannot be refreshed with it.
        const ErrorInfo error = ErrorInfo::make(
                Error::InvalidGrant, QStringLiteral("The stored session is not a cookie session."));
        QTimer::singleShot(0, context, [done, error] { done(error, {}); });
        return nullptr;
    }
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader(QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json"));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    // No jar in either direction: the cookie lives only in the envelope.
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    if (credential) {
        // Sent over http only to loopback (check() refuses anything else), so
        // the cookie's Secure attribute is honoured in spirit (RFC 6265 §8.6).
        QByteArray header = m_config->refreshCookieName + '=' + cookie;
        request.setRawHeader(QByteArrayLiteral("Cookie"), header);
        secureWipe(header);
        if (!csrf.isEmpty())
            request.setRawHeader(m_config->csrfHeaderName, csrf);
    }
    QNetworkReply *reply = m_nam->post(request, jsonBody);
    const bool hasCredential = credential != nullptr;
    auto sentCookie = std::make_shared<SecretBytes>(QByteArrayView(cookie));
    secureWipe(cookie);

    struct State
    {
        QByteArray body;
        bool tooLarge = false;
        bool timedOut = false;
        bool done = false;
    };
    auto state = std::make_shared<State>();
    const qint64 maxBytes = m_config->maxResponseBytes;
    QPointer<QObject> guard(context);
    auto *deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    QObject::connect(deadline, &QTimer::timeout, reply, [reply, state] {
        state->timedOut = true;
        reply->abort();
    });
    deadline->start(m_config->requestTimeout);
    QObject::connect(reply, &QIODevice::readyRead, reply, [reply, state, maxBytes] {
        if (state->tooLarge)
            return;
        if (state->body.size() + reply->bytesAvailable() > maxBytes) {
            state->tooLarge = true;
            secureWipe(state->body);
            reply->abort();
            return;
        }
        state->body.append(reply->readAll());
    });
    const QByteArray cookieName = m_config->refreshCookieName;
    QObject::connect(reply, &QNetworkReply::finished, reply, [=] {
        if (state->done)
            return;
        state->done = true;
        deadline->stop();
        reply->deleteLater();
        if (!state->tooLarge && reply->bytesAvailable() > 0)
            state->body.append(reply->read(maxBytes - state->body.size() + 1));
        if (state->body.size() > maxBytes)
            state->tooLarge = true;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        ErrorInfo error;
        if (state->tooLarge)
            error = ErrorInfo::make(Error::ResponseTooLarge,
                                    QStringLiteral("The server's answer is too large."));
        else if (state->timedOut)
            error = ErrorInfo::make(Error::Timeout,
                                    QStringLiteral("The server did not answer in time."));
        else if (status == 0)
            error = errorFromNetworkReply(reply);
        else if (status >= 300 && status < 400)
            error = ErrorInfo::make(Error::MalformedResponse,
                                    QStringLiteral("The server answered with a redirect."));
        error.httpStatus = status;
        if (!guard) {
            secureWipe(state->body);
            return;
        }
        if (error.isError()) {
            secureWipe(state->body);
            done(error, {});
            return;
        }

        // The rotated cookie (RFC 6265 §5.2), parsed here, never by a jar.
        QByteArray newCookie;
        bool deleted = false;
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        for (const auto &pair : reply->rawHeaderPairs()) {
            if (pair.first.compare("set-cookie", Qt::CaseInsensitive) != 0)
                continue;
            for (const QByteArray &line : pair.second.split('\n')) {
                const SetCookie parsed = parseSetCookie(line, now);
                if (!parsed.ok || parsed.name != cookieName)
                    continue;
                if (parsed.deletes()) {
                    deleted = true;
                    newCookie.clear();
                } else if (isCookieOctets(parsed.value) && !parsed.value.isEmpty()) {
                    newCookie = parsed.value;
                    deleted = false;
                }
            }
        }
        if (!expectTokens) {
            secureWipe(state->body);
            secureWipe(newCookie);
            if (status == 200 || status == 204) {
                done({}, {});
                return;
            }
            ErrorInfo failed = ErrorInfo::make(
                    status >= 500 ? Error::ServerError : Error::InvalidRequest,
                    QStringLiteral("Signing out failed with HTTP %1.").arg(status));
            failed.httpStatus = status;
            done(failed, {});
            return;
        }
        QByteArray newCsrf;
        if (status == 200) {
            const QJsonObject object = QJsonDocument::fromJson(state->body).object();
            const QJsonValue value = object.value(QLatin1String("csrf_token"));
            if (value.isString() && value.toString().size() <= 4096)
                newCsrf = value.toString().toUtf8();
        }
        TokenResponse response;
        ErrorInfo parsed = parseTokenResponse(
                status, reply->header(QNetworkRequest::ContentTypeHeader).toByteArray(),
                state->body, &response);
        secureWipe(state->body);
        if (!parsed.isError()) {
            if (deleted) {
                parsed = ErrorInfo::make(Error::InvalidGrant,
                                         QStringLiteral("The server ended the cookie session."));
            } else if (newCookie.isEmpty() && !hasCredential) {
                parsed = ErrorInfo::make(Error::MalformedResponse,
                                         QStringLiteral("The login answer set no refresh "
                                                        "cookie."));
            } else {
                // Not rotated: keep the cookie we sent, with the new CSRF token.
                response.refreshToken = makeCookieEnvelope(
                        newCookie.isEmpty() ? sentCookie->view() : QByteArrayView(newCookie),
                        newCsrf.isEmpty() ? QByteArrayView(csrf) : QByteArrayView(newCsrf));
            }
        }
        secureWipe(newCookie);
        sentCookie->clear();
        if (parsed.isError()) {
            response = TokenResponse();
            done(parsed, {});
            return;
        }
        done({}, std::move(response));
    });
    return reply;
}

QNetworkReply *CookieRefreshTransport::refresh(const SecretBytes &credential, QObject *context,
                                               TokenCallback done)
{
    qCDebug(lcRefresh) << "cookie refresh";
    return send(refreshUrl(), QByteArrayLiteral("{}"), &credential, context, std::move(done), true);
}

bool CookieRefreshTransport::canRevoke() const
{
    return !check().isError();
}

QNetworkReply *CookieRefreshTransport::revoke(const SecretBytes &credential, QObject *context,
                                              DoneCallback done)
{
    return send(
            logoutUrl(), QByteArrayLiteral("{}"), &credential, context,
            [done = std::move(done)](ErrorInfo error, TokenResponse) { done(error); }, false);
}

QNetworkReply *CookieRefreshTransport::login(const QString &username, const SecretBytes &password,
                                             QObject *context, TokenCallback done)
{
    QByteArray body = "{\"username\":";
    appendJsonString(body, username.toUtf8());
    body += ",\"password\":";
    appendJsonString(body, password.view());
    body += '}';
    QNetworkReply *reply = send(loginUrl(), body, nullptr, context, std::move(done), true);
    secureWipe(body);
    return reply;
}

} // namespace SecureTokens
