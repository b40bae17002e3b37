// SPDX-License-Identifier: MIT
// The browser-side login state (the st_login cookie that a sign-in on
// /oauth/authorize sets) and OpenID Connect RP-Initiated Logout 1.0: the
// end_session_endpoint /oauth/logout ends it and sends the browser back to a
// validated post_logout_redirect_uri.
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

#include <QJsonArray>

namespace SecureTokens::Mock {

namespace {

const QByteArray loginCookie = QByteArrayLiteral("st_login");
// Not Secure: the mock server speaks plain http on loopback, and a browser
// would drop a Secure cookie there. Lax: sent on the top-level navigations
// that authorization and logout requests are.
const QByteArray loginCookieAttributes = QByteArrayLiteral("; HttpOnly; SameSite=Lax; Path=/oauth");

Response page(const QString &title, const QString &message, int status)
{
    return Response::html(QStringLiteral("<!doctype html><html><head><meta charset=\"utf-8\">"
                                         "<title>%1</title></head><body><h1>%1</h1><p>%2</p>"
                                         "</body></html>")
                                  .arg(title.toHtmlEscaped(), message.toHtmlEscaped()),
                          status);
}

Response logoutError(const QString &message)
{
    qCInfo(lcMockServer, "logout request refused: %ls", qUtf16Printable(message));
    return page(QStringLiteral("Logout error"), message, 400);
}

QStringList audiences(const QJsonValue &aud)
{
    QStringList out;
    if (aud.isString())
        out.append(aud.toString());
    for (const QJsonValue &v : aud.toArray())
        out.append(v.toString());
    return out;
}

} // namespace

LoginSession *MockAuthServerPrivate::loginSession(const Request &request)
{
    const QByteArray cookie = cookieValue(request, loginCookie);
    if (cookie.isEmpty())
        return nullptr;
    const auto it = loginSessions.find(Crypto::sha256(cookie));
    if (it == loginSessions.end())
        return nullptr;
    if (it->expiresAtMs <= nowMs()) {
        loginSessions.erase(it);
        return nullptr;
    }
    return &*it;
}

QByteArray MockAuthServerPrivate::startLoginSession(const QString &user, const QString &acr)
{
    const qint64 now = nowMs();
    for (auto it = loginSessions.begin(); it != loginSessions.end();) {
        if (it->expiresAtMs <= now)
            it = loginSessions.erase(it);
        else
            ++it;
    }
    const QByteArray cookie = Crypto::newOpaqueToken();
    loginSessions.insert(Crypto::sha256(cookie),
                         LoginSession {user, acr, now, now + config.loginSessionTtl * 1000});
    return loginCookie + '=' + cookie + loginCookieAttributes
            + "; Max-Age=" + QByteArray::number(config.loginSessionTtl);
}

bool MockAuthServerPrivate::endLoginSession(const Request &request)
{
    const QByteArray cookie = cookieValue(request, loginCookie);
    return !cookie.isEmpty() && loginSessions.remove(Crypto::sha256(cookie)) > 0;
}

Response MockAuthServerPrivate::endSession(const Request &request)
{
    // RP-Initiated Logout §2: GET and POST (form serialization) are both supported.
    if (request.method != "GET" && request.method != "POST") {
        Response r = page(QStringLiteral("Method not allowed"), QString(), 405);
        r.setHeader("Allow", "GET, POST");
        return r;
    }
    bool unique = true;
    QUrlQuery params;
    if (request.method == "GET") {
        params = parseForm(request.raw.url().query(QUrl::FullyEncoded).toLatin1(), &unique);
    } else {
        if (request.mediaType() != "application/x-www-form-urlencoded")
            return logoutError(QStringLiteral("Expected a form submission."));
        params = parseForm(request.body(), &unique);
    }
    if (!unique)
        return logoutError(QStringLiteral("A parameter was repeated."));
    const QString hint = formValue(params, QStringLiteral("id_token_hint"));
    QString clientId = formValue(params, QStringLiteral("client_id"));
    const QString postLogout = formValue(params, QStringLiteral("post_logout_redirect_uri"));
    if (!clientId.isEmpty() && !isClient(clientId))
        return logoutError(QStringLiteral("Unknown client_id."));
    if (!hint.isEmpty()) {
        // §2: the OP "MUST validate that it was the issuer of the ID Token"; an
        // expired one is still accepted (§4 notes they often are by then).
        QJsonObject claims;
        IdTokenSigner *signer = idTokenSigner();
        if (!signer || !signer->verify(hint.toLatin1(), &claims)
            || claims.value(QStringLiteral("iss")).toString() != issuer())
            return logoutError(QStringLiteral("The id_token_hint was not issued by this server."));
        const QStringList aud = audiences(claims.value(QStringLiteral("aud")));
        // §2: with both, the client_id must be the one the ID token was issued to.
        if (!clientId.isEmpty() && !aud.contains(clientId))
            return logoutError(QStringLiteral("The id_token_hint was issued to another client."));
        if (clientId.isEmpty())
            clientId = aud.value(0);
        if (!isClient(clientId))
            return logoutError(QStringLiteral("The id_token_hint names an unknown client."));
    }
    if (!postLogout.isEmpty()) {
        // §3: redirect only to a URI registered for the client, never to an unvalidated one.
        if (clientId.isEmpty())
            return logoutError(QStringLiteral(
                    "post_logout_redirect_uri needs an id_token_hint or a client_id."));
        if (!isAllowedRedirect(clientId, postLogout))
            return logoutError(QStringLiteral(
                    "post_logout_redirect_uri is not a redirect URI of this client."));
    }
    // The mock does not ask the user to confirm (§2 leaves that to the OP).
    const bool ended = endLoginSession(request);
    count(QStringLiteral("end_sessions"));
    qCInfo(lcMockServer, "logout: login state %s", ended ? "ended" : "absent");
    Response r;
    if (postLogout.isEmpty()) {
        r = page(QStringLiteral("Signed out"), QStringLiteral("You are signed out."), 200);
    } else {
        QUrl target(postLogout);
        QByteArray query = target.query(QUrl::FullyEncoded).toLatin1();
        // §3: state is passed back as given.
        if (params.hasQueryItem(QStringLiteral("state"))) {
            if (!query.isEmpty())
                query += '&';
            query += "state=" + QUrl::toPercentEncoding(formValue(params, QStringLiteral("state")));
        }
        target.setQuery(QString::fromLatin1(query), QUrl::StrictMode);
        r = Response::redirect(target);
    }
    r.headers.append({"Set-Cookie", loginCookie + '=' + loginCookieAttributes + "; Max-Age=0"});
    return r;
}

} // namespace SecureTokens::Mock
