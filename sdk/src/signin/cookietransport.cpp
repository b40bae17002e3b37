// SPDX-License-Identifier: MIT
#include "cookietransport_p.h"
#include "session/endpointcheck_p.h"

#include "cookietransportparsing_p.h"
#include "core/invokelater.h"
#include "core/logging.h"
#include "session/tokenclient_p.h"
#include "session/tokenresponse_p.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <array>
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
    static constexpr std::array<char, 16> hex
            = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    out += '"';
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex.at(u >> 4);
            out += hex.at(u & 0xf);
        } else {
            out += c;
        }
    }
    out += '"';
}

QNetworkRequest jsonRequest(const QUrl &url)
{
    // No jar in either direction (credentialRequest()): the cookie lives only
    // in the envelope.
    QNetworkRequest request = credentialRequest(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    return request;
}

//! What the answer to one request is read against.
struct CookieExchange
{
    QByteArray cookieName;
    SecretBytes sentCookie; //!< the cookie sent (empty for a login)
    QByteArray sentCsrf;
    bool hasCredential = false;
    bool expectTokens = true;
};

//! The refresh cookie as the server set it in the answer.
struct CookieUpdate
{
    QByteArray value; //!< the rotated cookie; empty when not rotated
    bool deleted = false; //!< the server ended the cookie session
};

// The rotated cookie (RFC 6265 §5.2), parsed here, never by a jar.
CookieUpdate refreshCookieFrom(const QList<QPair<QByteArray, QByteArray>> &headers,
                               const QByteArray &cookieName)
{
    CookieUpdate update;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    for (const auto &[name, value] : headers) {
        if (name.compare("set-cookie", Qt::CaseInsensitive) != 0)
            continue;
        // split() and the parser copy the cookie value; those copies are
        // wiped (secureWipe leaves a buffer alone while update.value shares it).
        QList<QByteArray> lines = value.split('\n');
        for (QByteArray &line : lines) {
            SetCookie parsed = parseSetCookie(line, now);
            if (parsed.ok && parsed.name == cookieName) {
                if (parsed.deletes()) {
                    update.deleted = true;
                    secureWipe(update.value);
                    update.value.clear();
                } else if (isCookieOctets(parsed.value) && !parsed.value.isEmpty()) {
                    secureWipe(update.value); // an earlier line's value
                    update.value = parsed.value;
                    update.deleted = false;
                }
            }
            secureWipe(parsed.value);
            secureWipe(line);
        }
    }
    return update;
}

ErrorInfo signOutResult(int status)
{
    if (status == 200 || status == 204)
        return {};
    ErrorInfo failed
            = ErrorInfo::make(status >= 500 ? Error::ServerError : Error::InvalidRequest,
                              QStringLiteral("Signing out failed with HTTP %1.").arg(status));
    failed.httpStatus = status;
    return failed;
}

QByteArray csrfTokenFrom(int status, const QByteArray &body)
{
    if (status != 200)
        return {};
    const QJsonObject object = QJsonDocument::fromJson(body).object();
    const QJsonValue value = object.value(QLatin1String("csrf_token"));
    if (value.isString() && value.toString().size() <= 4096)
        return value.toString().toUtf8();
    return {};
}

//! The tokens of a login or refresh answer, with the new envelope as refreshToken.
//! Wipes the answer's body (parseTokenResponse()).
ErrorInfo tokensFrom(const CookieExchange &exchange, CollectedReply &answer,
                     const CookieUpdate &cookie, TokenResponse *response)
{
    const QByteArray newCsrf = csrfTokenFrom(answer.status, answer.body);
    ErrorInfo parsed = parseTokenResponse(answer.status, answer.contentType, answer.body, response);
    if (parsed.isError())
        return parsed;
    if (cookie.deleted)
        return ErrorInfo::make(Error::InvalidGrant,
                               QStringLiteral("The server ended the cookie session."));
    if (cookie.value.isEmpty() && !exchange.hasCredential)
        return ErrorInfo::make(Error::MalformedResponse,
                               QStringLiteral("The login answer set no refresh cookie."));
    // Not rotated: keep the cookie we sent, with the new CSRF token.
    response->refreshToken = makeCookieEnvelope(
            cookie.value.isEmpty() ? exchange.sentCookie.view() : QByteArrayView(cookie.value),
            newCsrf.isEmpty() ? QByteArrayView(exchange.sentCsrf) : QByteArrayView(newCsrf));
    return {};
}

void finishExchange(const CookieExchange &exchange, CollectedReply &answer,
                    const RefreshTransport::TokenCallback &done)
{
    if (answer.transportError.isError()) {
        secureWipe(answer.body);
        done(answer.transportError, {});
        return;
    }
    CookieUpdate cookie = refreshCookieFrom(answer.rawHeaders, exchange.cookieName);
    if (!exchange.expectTokens) {
        secureWipe(answer.body);
        secureWipe(cookie.value);
        done(signOutResult(answer.status), {});
        return;
    }
    TokenResponse response;
    const ErrorInfo error = tokensFrom(exchange, answer, cookie, &response);
    secureWipe(answer.body);
    secureWipe(cookie.value);
    if (error.isError()) {
        response = TokenResponse();
        done(error, {});
        return;
    }
    done({}, std::move(response));
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
        ErrorInfo error = checkEndpoint(url, what);
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
        invokeLater(context, [done = std::move(done), config] { done(config, {}); });
        return nullptr;
    }
    QByteArray cookie;
    QByteArray csrf;
    if (credential && !parseCookieEnvelope(credential->view(), &cookie, &csrf)) {
        // Not ours (e.g. a stored OAuth token after a configuration change):
        // definitive, the session cannot be refreshed with it.
        const ErrorInfo error = ErrorInfo::make(
                Error::InvalidGrant, QStringLiteral("The stored session is not a cookie session."));
        invokeLater(context, [done = std::move(done), error] { done(error, {}); });
        return nullptr;
    }
    QNetworkRequest request = jsonRequest(url);
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
    auto exchange = std::make_shared<CookieExchange>();
    exchange->cookieName = m_config->refreshCookieName;
    exchange->sentCookie = SecretBytes(QByteArrayView(cookie));
    exchange->sentCsrf = csrf;
    exchange->hasCredential = credential != nullptr;
    exchange->expectTokens = expectTokens;
    secureWipe(cookie);
    collectReply(reply, *m_config, context,
                 [exchange, done = std::move(done)](CollectedReply &answer) {
                     finishExchange(*exchange, answer, done);
                     exchange->sentCookie.clear();
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
            [done = std::move(done)](const ErrorInfo &error, const TokenResponse &) {
                done(error);
            },
            false);
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
