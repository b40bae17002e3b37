// SPDX-License-Identifier: MIT
// The authorization endpoint (RFC 6749 §4.1.1–4.1.2) for public native clients:
// PKCE S256 required (RFC 7636), loopback redirect URIs on any port (RFC 8252
// §7.3), iss in the response (RFC 9207), a minimal HTML sign-in form.
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

#include <QRegularExpression>

namespace SecureTokens::Mock {

namespace {

const QStringList &forwardedParams()
{
    static const QStringList params {QStringLiteral("response_type"),
                                     QStringLiteral("client_id"),
                                     QStringLiteral("redirect_uri"),
                                     QStringLiteral("scope"),
                                     QStringLiteral("state"),
                                     QStringLiteral("code_challenge"),
                                     QStringLiteral("code_challenge_method"),
                                     QStringLiteral("nonce")};
    return params;
}

//! RFC 8252 §7.3: http on a loopback IP literal, any port; no fragment (RFC 6749 §3.1.2).
bool isLoopbackRedirect(const QString &uri)
{
    const QUrl url(uri, QUrl::StrictMode);
    if (!url.isValid() || url.scheme() != QLatin1String("http") || url.hasFragment()
        || !url.userInfo().isEmpty() || url.port() <= 0)
        return false;
    const QHostAddress host(url.host());
    return host == QHostAddress(QHostAddress::LocalHost)
            || host == QHostAddress(QHostAddress::LocalHostIPv6);
}

Response errorPage(const QString &message)
{
    return Response::html(QStringLiteral("<!doctype html><html><head><meta charset=\"utf-8\">"
                                         "<title>Authorization error</title></head><body>"
                                         "<h1>Authorization error</h1><p>%1</p></body></html>")
                                  .arg(message.toHtmlEscaped()),
                          400);
}

} // namespace

Response MockAuthServerPrivate::authorize(const Request &request)
{
    if (request.method != "GET" && request.method != "POST") {
        Response r = errorPage(QStringLiteral("Method not allowed."));
        r.status = 405;
        r.setHeader("Allow", "GET, POST");
        return r;
    }
    // RFC 6749 §4.1.1: the query is application/x-www-form-urlencoded too.
    bool unique = true;
    const QUrlQuery query
            = parseForm(request.raw.url().query(QUrl::FullyEncoded).toLatin1(), &unique);
    QHash<QString, QString> params;
    for (const auto &item : query.queryItems(QUrl::FullyDecoded))
        params.insert(item.first, item.second);
    QUrlQuery form;
    if (request.method == "POST") {
        if (request.mediaType() != "application/x-www-form-urlencoded")
            return errorPage(QStringLiteral("Expected a form submission."));
        bool ok = false;
        form = parseForm(request.body(), &ok);
        unique = unique && ok;
        // The form carries the original request parameters as hidden fields.
        for (const auto &item : form.queryItems(QUrl::FullyDecoded)) {
            if (forwardedParams().contains(item.first))
                params.insert(item.first, item.second);
        }
    }
    const auto param = [&](const QString &key) {
        return params.value(key);
    };
    if (!unique)
        return errorPage(QStringLiteral("A parameter was repeated."));

    // Errors about the client or the redirect URI are shown here, never
    // redirected: the redirect target is not trusted yet (RFC 6749 §4.1.2.1).
    const QString clientId = param(QStringLiteral("client_id"));
    if (!isClient(clientId))
        return errorPage(QStringLiteral("Unknown or missing client_id."));
    const QString redirectUri = param(QStringLiteral("redirect_uri"));
    if (!isLoopbackRedirect(redirectUri))
        return errorPage(QStringLiteral(
                "redirect_uri must be http://127.0.0.1:PORT/... or http://[::1]:PORT/..."));

    const QString state = param(QStringLiteral("state"));
    const auto redirectWith = [&](const QList<QPair<QString, QString>> &extra) {
        QUrl target(redirectUri);
        QByteArray query = target.query(QUrl::FullyEncoded).toLatin1();
        auto add = [&query](const QString &key, const QString &value) {
            if (!query.isEmpty())
                query += '&';
            query += QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value);
        };
        for (const auto &kv : extra)
            add(kv.first, kv.second);
        if (params.contains(QStringLiteral("state")))
            add(QStringLiteral("state"), state);
        add(QStringLiteral("iss"), issuer()); // RFC 9207 §2
        target.setQuery(QString::fromLatin1(query), QUrl::StrictMode);
        return Response::redirect(target);
    };
    const auto redirectError = [&](const QString &error, const QString &description) {
        qCInfo(lcMockServer, "authorization request refused: %ls", qUtf16Printable(error));
        return redirectWith({{QStringLiteral("error"), error},
                             {QStringLiteral("error_description"), description}});
    };

    if (param(QStringLiteral("response_type")) != QLatin1String("code"))
        return redirectError(QStringLiteral("unsupported_response_type"),
                             QStringLiteral("only response_type=code is supported"));
    const QString challenge = param(QStringLiteral("code_challenge"));
    if (challenge.isEmpty())
        return redirectError(QStringLiteral("invalid_request"),
                             QStringLiteral("code challenge required")); // RFC 7636 §4.4.1
    // A missing method means "plain" (RFC 7636 §4.3), which is refused.
    if (param(QStringLiteral("code_challenge_method")) != QLatin1String("S256"))
        return redirectError(QStringLiteral("invalid_request"),
                             QStringLiteral("transform algorithm not supported"));
    static const QRegularExpression challengeSyntax(QStringLiteral("^[A-Za-z0-9_-]{43}$"));
    if (!challengeSyntax.match(challenge).hasMatch())
        return redirectError(QStringLiteral("invalid_request"),
                             QStringLiteral("malformed code_challenge"));
    QString scope;
    if (!resolveScope(param(QStringLiteral("scope")), &scope))
        return redirectError(QStringLiteral("invalid_scope"), QStringLiteral("unknown scope"));

    QString notice;
    int status = 200;
    if (request.method == "POST") {
        if (formValue(form, QStringLiteral("action")) == QLatin1String("deny"))
            return redirectError(QStringLiteral("access_denied"),
                                 QStringLiteral("the user denied the request"));
        const QString user = formValue(form, QStringLiteral("username"));
        const QString password = formValue(form, QStringLiteral("password"));
        if (const qint64 wait = loginRetryAfter(user, clientId)) {
            count(QStringLiteral("rate_limited"));
            notice = QStringLiteral("Too many failed attempts. Try again in %1 s.").arg(wait);
            status = 429;
        } else if (checkPassword(user, password)) {
            recordLogin(user, clientId, true);
            const QByteArray code = Crypto::newOpaqueToken();
            AuthorizationCode record;
            record.clientId = clientId;
            record.redirectUri = redirectUri;
            record.codeChallenge = challenge.toLatin1();
            record.user = user;
            record.scope = scope;
            record.nonce = param(QStringLiteral("nonce")).left(512);
            record.expiresAtMs = nowMs() + config.codeTtl * 1000;
            // Drop codes that can no longer be used, so the table stays small.
            const qint64 now = nowMs();
            for (auto it = codes.begin(); it != codes.end();) {
                if (it->expiresAtMs + config.refreshTtl * 1000 < now)
                    it = codes.erase(it);
                else
                    ++it;
            }
            codes.insert(Crypto::sha256(code), record);
            count(QStringLiteral("authorization_codes_issued"));
            qCInfo(lcMockServer, "authorization code issued");
            return redirectWith({{QStringLiteral("code"), QString::fromLatin1(code)}});
        } else {
            recordLogin(user, clientId, false);
            notice = QStringLiteral("Invalid username or password.");
        }
    }

    // The sign-in form; the request parameters travel as hidden fields.
    QString hidden;
    for (const QString &key : forwardedParams()) {
        if (params.contains(key)) {
            hidden += QStringLiteral("<input type=\"hidden\" name=\"%1\" value=\"%2\">\n")
                              .arg(key, param(key).toHtmlEscaped());
        }
    }
    const QString error = notice.isEmpty()
            ? QString()
            : QStringLiteral("<p class=\"error\" role=\"alert\">%1</p>")
                      .arg(notice.toHtmlEscaped());
    Response r = Response::html(
            QStringLiteral(
                    "<!doctype html><html><head><meta charset=\"utf-8\">"
                    "<title>Sign in — SecureTokens mock server</title>"
                    "<style>body{font-family:sans-serif;max-width:22em;margin:3em auto}"
                    "label,input,button{display:block;margin:.4em 0}.error{color:#b00}</style>"
                    "</head><body><h1>Sign in</h1><p><b>%1</b> asks to access your account "
                    "(%2).</p>%3<form method=\"post\" action=\"/oauth/authorize\">\n%4"
                    "<label>Username <input name=\"username\" autocomplete=\"username\" "
                    "required></label>"
                    "<label>Password <input name=\"password\" type=\"password\" "
                    "autocomplete=\"current-password\"></label>"
                    "<button type=\"submit\" name=\"action\" value=\"allow\">Sign in</button>"
                    "<button type=\"submit\" name=\"action\" value=\"deny\" formnovalidate>"
                    "Deny</button></form></body></html>")
                    .arg(clientId.toHtmlEscaped(), scope.toHtmlEscaped(), error, hidden),
            status);
    if (status == 429)
        r.setHeader("Retry-After",
                    QByteArray::number(loginRetryAfter(formValue(form, QStringLiteral("username")),
                                                       clientId)));
    return r;
}

} // namespace SecureTokens::Mock
