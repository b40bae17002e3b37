// SPDX-License-Identifier: MIT
#pragma once

// The usual requests of the mock-server suites that came with client
// authentication, userinfo, logout, PAR, resource indicators, step-up and
// DPoP: starting an in-process server, the grants, the authorization code
// flow with PKCE, and reading JWTs. Everything goes over loopback HTTP.

#include "mockauthserver.h"
#include "mockhttp.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QTest>

#include <memory>

namespace MockTest {

using SecureTokens::Mock::MockAuthServer;
using SecureTokens::Mock::ServerConfig;

inline QByteArray b64url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

//! Header (0) or claims (1) of a compact JWS, unverified.
inline QJsonObject jwtPart(const QString &token, int index)
{
    const QByteArray part = token.toLatin1().split('.').value(index);
    return QJsonDocument::fromJson(QByteArray::fromBase64(part, QByteArray::Base64UrlEncoding))
            .object();
}

//! RFC 7636 §4.1–4.2: a fresh verifier and its S256 challenge.
struct Pkce
{
    QByteArray verifier = b64url(
            QCryptographicHash::hash(QByteArray::number(++counter()), QCryptographicHash::Sha512));
    QByteArray challenge = b64url(QCryptographicHash::hash(verifier, QCryptographicHash::Sha256));
    static int &counter()
    {
        static int n = 1000;
        return n;
    }
};

inline QString str(const char *text)
{
    return QString::fromLatin1(text);
}

//! The query of a 302's Location.
inline QUrlQuery redirectQuery(const HttpResult &r)
{
    return QUrlQuery(QUrl::fromEncoded(r.header("Location")));
}

inline QString queryValue(const HttpResult &r, const char *key)
{
    return redirectQuery(r).queryItemValue(str(key), QUrl::FullyDecoded);
}

//! "name=value" of the first Set-Cookie named \a name, for sending back as Cookie.
inline QByteArray cookiePair(const HttpResult &r, const QByteArray &name)
{
    for (const auto &h : r.headers) {
        if (h.first.compare("Set-Cookie", Qt::CaseInsensitive) != 0)
            continue;
        for (const QByteArray &line : h.second.split('\n')) {
            const QByteArray pair = line.split(';').value(0).trimmed();
            if (pair.startsWith(name + '='))
                return pair;
        }
    }
    return {};
}

inline HeaderList basicAuth(const QString &id, const QString &secret)
{
    const QByteArray pair = QUrl::toPercentEncoding(id) + ':' + QUrl::toPercentEncoding(secret);
    return {{"Authorization", "Basic " + pair.toBase64()}};
}

/*!
    A test fixture: an in-process MockAuthServer with the admin API and the
    usual requests against it.
*/
class Fixture
{
public:
    static std::unique_ptr<MockAuthServer> startServer(ServerConfig config = {})
    {
        return startMockServer(std::move(config));
    }
    static QUrl url(const MockAuthServer &server, const char *path)
    {
        return endpoint(server.baseUrl(), str(path));
    }
    static int stat(const MockAuthServer &server, const char *name)
    {
        return server.stats().value(str(name)).toInt();
    }
    HttpResult tokenRequest(const MockAuthServer &server, const FormList &fields,
                            const HeaderList &headers = {})
    {
        return postForm(nam, url(server, "/oauth/token"), fields, headers);
    }
    HttpResult passwordGrant(const MockAuthServer &server, const FormList &extra = {},
                             const HeaderList &headers = {})
    {
        FormList fields {{str("grant_type"), str("password")},
                         {str("client_id"), str("demo")},
                         {str("username"), str("alice")},
                         {str("password"), str("wonderland")}};
        return tokenRequest(server, fields + extra, headers);
    }
    HttpResult refresh(const MockAuthServer &server, const QString &token,
                       const FormList &extra = {}, const HeaderList &headers = {})
    {
        FormList fields {{str("grant_type"), str("refresh_token")},
                         {str("client_id"), str("demo")},
                         {str("refresh_token"), token}};
        return tokenRequest(server, fields + extra, headers);
    }
    FormList authorizeParams(const QByteArray &challenge,
                             const QString &redirect = str("http://127.0.0.1:43210/callback"),
                             const QString &client = str("demo"))
    {
        return {{str("response_type"), str("code")},
                {str("client_id"), client},
                {str("redirect_uri"), redirect},
                {str("code_challenge"), QString::fromLatin1(challenge)},
                {str("code_challenge_method"), str("S256")},
                {str("state"), str("st-1")}};
    }
    //! GET /oauth/authorize with \a params in the query.
    HttpResult authorizeGet(const MockAuthServer &server, const FormList &params,
                            const HeaderList &headers = {})
    {
        QUrl u = url(server, "/oauth/authorize");
        u.setQuery(QString::fromLatin1(formEncode(params)));
        return get(nam, u, headers);
    }
    //! Submits the sign-in form as alice; a 302 on success.
    HttpResult signIn(const MockAuthServer &server, FormList params, const HeaderList &headers = {})
    {
        params.append({str("username"), str("alice")});
        params.append({str("password"), str("wonderland")});
        params.append({str("action"), str("allow")});
        return postForm(nam, url(server, "/oauth/authorize"), params, headers);
    }
    HttpResult exchange(const MockAuthServer &server, const QString &code,
                        const QByteArray &verifier,
                        const QString &redirect = str("http://127.0.0.1:43210/callback"),
                        const FormList &extra = {}, const HeaderList &headers = {},
                        const QString &client = str("demo"))
    {
        FormList fields {{str("grant_type"), str("authorization_code")},
                         {str("client_id"), client},
                         {str("code"), code},
                         {str("redirect_uri"), redirect},
                         {str("code_verifier"), QString::fromLatin1(verifier)}};
        return tokenRequest(server, fields + extra, headers);
    }
    //! The whole browser flow: sign in with \a extra authorization parameters, then
    //! exchange the code. Returns the token response.
    HttpResult codeFlow(const MockAuthServer &server, const FormList &extra = {},
                        const FormList &tokenExtra = {})
    {
        const Pkce pkce;
        const HttpResult r = signIn(server, authorizeParams(pkce.challenge) + extra);
        const QString code = queryValue(r, "code");
        if (code.isEmpty())
            return r;
        return exchange(server, code, pkce.verifier, str("http://127.0.0.1:43210/callback"),
                        tokenExtra);
    }

    QNetworkAccessManager nam;
};

} // namespace MockTest
