// SPDX-License-Identifier: MIT
// The authorization endpoint (RFC 6749 §4.1.1–4.1.2) for native clients: PKCE
// S256 required (RFC 7636), native-app redirect URIs (RFC 8252 §7), iss in the
// response (RFC 9207), pushed requests (RFC 9126 §4), the OpenID Connect
// request parameters prompt, login_hint, max_age, acr_values and ui_locales
// (Core §3.1.2.1), resource indicators (RFC 8707), a browser login state and a
// minimal HTML sign-in form.
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

#include <QRegularExpression>

namespace SecureTokens::Mock {

namespace {

//! Single-valued parameters that travel as hidden fields of the sign-in form.
const QStringList &forwardedParams()
{
    static const QStringList params {QStringLiteral("response_type"),
                                     QStringLiteral("client_id"),
                                     QStringLiteral("redirect_uri"),
                                     QStringLiteral("scope"),
                                     QStringLiteral("state"),
                                     QStringLiteral("code_challenge"),
                                     QStringLiteral("code_challenge_method"),
                                     QStringLiteral("nonce"),
                                     QStringLiteral("prompt"),
                                     QStringLiteral("login_hint"),
                                     QStringLiteral("acr_values"),
                                     QStringLiteral("max_age"),
                                     QStringLiteral("ui_locales"),
                                     QStringLiteral("audience"),
                                     QStringLiteral("dpop_jkt"),
                                     QStringLiteral("request_uri")};
    return params;
}

const QString resourceKey = QStringLiteral("resource");

Response errorPage(const QString &message)
{
    return Response::html(QStringLiteral("<!doctype html><html><head><meta charset=\"utf-8\">"
                                         "<title>Authorization error</title></head><body>"
                                         "<h1>Authorization error</h1><p>%1</p></body></html>")
                                  .arg(message.toHtmlEscaped()),
                          400);
}

//! The first of ui_locales if it looks like a BCP 47 tag (for <html lang>).
QString pageLanguage(const QString &uiLocales)
{
    static const QRegularExpression tag(QStringLiteral("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"));
    const QString first = uiLocales.split(QLatin1Char(' '), Qt::SkipEmptyParts).value(0);
    return tag.match(first).hasMatch() ? first : QString();
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
    // RFC 6749 §4.1.1: the query is application/x-www-form-urlencoded too; only
    // resource may be repeated (RFC 8707 §2).
    bool unique = true;
    const QUrlQuery query = parseFormAllowing(
            request.raw.url().query(QUrl::FullyEncoded).toLatin1(), {resourceKey}, &unique);
    QHash<QString, QString> params;
    for (const auto &item : query.queryItems(QUrl::FullyDecoded)) {
        if (item.first != resourceKey)
            params.insert(item.first, item.second);
    }
    QStringList resources = formValues(query, resourceKey);
    QUrlQuery form;
    if (request.method == "POST") {
        if (request.mediaType() != "application/x-www-form-urlencoded")
            return errorPage(QStringLiteral("Expected a form submission."));
        bool ok = false;
        form = parseFormAllowing(request.body(), {resourceKey}, &ok);
        unique = unique && ok;
        // The form carries the original request parameters as hidden fields.
        for (const auto &item : form.queryItems(QUrl::FullyDecoded)) {
            if (forwardedParams().contains(item.first))
                params.insert(item.first, item.second);
        }
        if (form.hasQueryItem(resourceKey))
            resources = formValues(form, resourceKey);
    }
    if (!unique)
        return errorPage(QStringLiteral("A parameter was repeated."));

    // RFC 9126 §4: a pushed request replaces every parameter but client_id and request_uri.
    const QString requestUri = params.value(QStringLiteral("request_uri"));
    PushedRequest *pushed = nullptr;
    if (!requestUri.isEmpty()) {
        const QString clientId = params.value(QStringLiteral("client_id"));
        if (!isClient(clientId))
            return errorPage(QStringLiteral("Unknown or missing client_id."));
        pushed = pushedRequest(requestUri, clientId);
        if (!pushed)
            return errorPage(QStringLiteral("The request_uri is unknown, expired, already used or "
                                            "was pushed by another client (RFC 9126 §4)."));
        params = pushed->params;
        resources = pushed->resources;
    }

    const AuthorizationCheck check = checkAuthorizationRequest(params, resources);
    if (!check.redirectable)
        return errorPage(check.description);
    const auto param = [&](const QString &key) {
        return params.value(key);
    };
    const QString clientId = param(QStringLiteral("client_id"));
    const QString redirectUri = param(QStringLiteral("redirect_uri"));
    const QString state = param(QStringLiteral("state"));
    QList<QPair<QByteArray, QByteArray>> extraHeaders;
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
        // The request is answered: a pushed request_uri is used up (RFC 9126 §4).
        if (pushed)
            pushed->used = true;
        Response r = Response::redirect(target);
        for (const auto &h : extraHeaders)
            r.headers.append(h);
        return r;
    };
    const auto redirectError = [&](const QString &error, const QString &description) {
        qCInfo(lcMockServer, "authorization request refused: %ls", qUtf16Printable(error));
        return redirectWith({{QStringLiteral("error"), error},
                             {QStringLiteral("error_description"), description}});
    };
    if (!check.ok())
        return redirectError(check.error, check.description);
    if (config.requirePar && !pushed)
        return redirectError(QStringLiteral("invalid_request"),
                             QStringLiteral("pushed authorization request required (RFC 9126 §5)"));
    const QString scope = check.scope;
    const QStringList requestedResources = resources;
    if (!param(QStringLiteral("audience")).isEmpty()) // Auth0's name for a resource
        resources.append(param(QStringLiteral("audience")));
    const QStringList prompt
            = param(QStringLiteral("prompt")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    const qint64 maxAge = params.contains(QStringLiteral("max_age"))
            ? param(QStringLiteral("max_age")).toLongLong()
            : -1;
    const QString requestedAcr = param(QStringLiteral("acr_values"))
                                         .split(QLatin1Char(' '), Qt::SkipEmptyParts)
                                         .value(0);

    const auto issueCode = [&](const QString &user, const QString &acr, qint64 authTimeMs) {
        const QByteArray code = Crypto::newOpaqueToken();
        AuthorizationCode record;
        record.clientId = clientId;
        record.redirectUri = redirectUri;
        record.codeChallenge = param(QStringLiteral("code_challenge")).toLatin1();
        record.user = user;
        record.scope = scope;
        record.nonce = param(QStringLiteral("nonce")).left(512);
        record.resources = resources;
        record.acr = acr;
        record.authTimeMs = authTimeMs;
        record.authClaims = params.contains(QStringLiteral("acr_values")) || maxAge >= 0;
        // RFC 9449 §10: dpop_jkt (or a PAR request's proof) binds the code to a key.
        record.dpopJkt = pushed && !pushed->dpopJkt.isEmpty()
                ? pushed->dpopJkt
                : param(QStringLiteral("dpop_jkt")).toLatin1();
        if (!record.dpopJkt.isEmpty())
            count(QStringLiteral("dpop_bound_codes"));
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
    };

    // OpenID Connect Core §3.1.2.1: a login state older than max_age needs a new sign-in.
    const LoginSession *session = loginSession(request);
    const bool sessionFresh
            = session && (maxAge < 0 || nowMs() - session->authTimeMs <= maxAge * 1000);
    if (prompt.contains(QLatin1String("none"))) {
        // §3.1.2.6: no interaction allowed; without a usable login state, login_required.
        if (!sessionFresh)
            return redirectError(QStringLiteral("login_required"),
                                 QStringLiteral("the user is not signed in"));
        return issueCode(session->user, session->acr, session->authTimeMs);
    }
    if (request.method == "GET" && config.sso && sessionFresh
        && !prompt.contains(QLatin1String("login")))
        return issueCode(session->user, session->acr, session->authTimeMs);

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
            // The requested acr counts as performed (a test server has one factor).
            extraHeaders.append({"Set-Cookie", startLoginSession(user, requestedAcr)});
            return issueCode(user, requestedAcr, nowMs());
        } else {
            recordLogin(user, clientId, false);
            notice = QStringLiteral("Invalid username or password.");
        }
    }

    // The sign-in form; the request parameters travel as hidden fields (a pushed
    // request only as client_id and request_uri).
    QString hidden;
    const auto hiddenField = [&hidden](const QString &key, const QString &value) {
        hidden += QStringLiteral("<input type=\"hidden\" name=\"%1\" value=\"%2\">\n")
                          .arg(key, value.toHtmlEscaped());
    };
    if (pushed) {
        hiddenField(QStringLiteral("client_id"), clientId);
        hiddenField(QStringLiteral("request_uri"), requestUri);
    } else {
        for (const QString &key : forwardedParams()) {
            if (params.contains(key))
                hiddenField(key, param(key));
        }
        for (const QString &resource : requestedResources)
            hiddenField(resourceKey, resource);
    }
    const QString error = notice.isEmpty()
            ? QString()
            : QStringLiteral("<p class=\"error\" role=\"alert\">%1</p>")
                      .arg(notice.toHtmlEscaped());
    const QString language = pageLanguage(param(QStringLiteral("ui_locales")));
    const QString username = formValue(form, QStringLiteral("username")).isEmpty()
            ? param(QStringLiteral("login_hint"))
            : formValue(form, QStringLiteral("username"));
    Response r = Response::html(
            QStringLiteral(
                    "<!doctype html><html%5><head><meta charset=\"utf-8\">"
                    "<title>Sign in — SecureTokens mock server</title>"
                    "<style>body{font-family:sans-serif;max-width:22em;margin:3em auto}"
                    "label,input,button{display:block;margin:.4em 0}.error{color:#b00}</style>"
                    "</head><body><h1>Sign in</h1><p><b>%1</b> asks to access your account "
                    "(%2).</p>%3<form method=\"post\" action=\"/oauth/authorize\">\n%4"
                    "<label>Username <input name=\"username\" autocomplete=\"username\"%6 "
                    "required></label>"
                    "<label>Password <input name=\"password\" type=\"password\" "
                    "autocomplete=\"current-password\"></label>"
                    "<button type=\"submit\" name=\"action\" value=\"allow\">Sign in</button>"
                    "<button type=\"submit\" name=\"action\" value=\"deny\" formnovalidate>"
                    "Deny</button></form></body></html>")
                    .arg(clientId.toHtmlEscaped(), scope.toHtmlEscaped(), error, hidden,
                         language.isEmpty() ? QString()
                                            : QStringLiteral(" lang=\"%1\"").arg(language),
                         username.isEmpty()
                                 ? QString()
                                 : QStringLiteral(" value=\"%1\"").arg(username.toHtmlEscaped())),
            status);
    if (status == 429)
        r.setHeader("Retry-After",
                    QByteArray::number(loginRetryAfter(formValue(form, QStringLiteral("username")),
                                                       clientId)));
    return r;
}

} // namespace SecureTokens::Mock
