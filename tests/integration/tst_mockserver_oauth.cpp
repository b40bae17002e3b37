// SPDX-License-Identifier: MIT
// The mock server's OAuth side over real loopback HTTP: discovery and JWKS,
// the token endpoint's grants and errors, refresh rotation / reuse detection /
// grace / expiry, authorization code + PKCE, and revocation.
#include "mockauthserver.h"
#include "mockhttp.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QTest>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

using namespace MockTest;
using MockTest::startMockServer;
using SecureTokens::Mock::MockAuthServer;
using SecureTokens::Mock::ServerConfig;

namespace {

QJsonObject jwtPart(const QString &token, int index)
{
    const QByteArray part = token.toLatin1().split('.').value(index);
    return QJsonDocument::fromJson(QByteArray::fromBase64(part, QByteArray::Base64UrlEncoding))
            .object();
}

QByteArray b64url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

//! RFC 7636 §4.1–4.2: a fresh verifier and its S256 challenge.
struct Pkce
{
    QByteArray verifier = b64url(
            QCryptographicHash::hash(QByteArray::number(++counter()), QCryptographicHash::Sha512));
    QByteArray challenge = b64url(QCryptographicHash::hash(verifier, QCryptographicHash::Sha256));
    static int &counter()
    {
        static int n = 0;
        return n;
    }
};

} // namespace

class tst_MockServerOAuth : public QObject
{
    Q_OBJECT

private:
    QUrl url(MockAuthServer &server, const char *path)
    {
        return endpoint(server.baseUrl(), QString::fromLatin1(path));
    }
    HttpResult passwordGrant(MockAuthServer &server, const QString &user = QStringLiteral("alice"),
                             const QString &password = QStringLiteral("wonderland"))
    {
        return postForm(m_nam, url(server, "/oauth/token"),
                        {{QStringLiteral("grant_type"), QStringLiteral("password")},
                         {QStringLiteral("client_id"), QStringLiteral("demo")},
                         {QStringLiteral("username"), user},
                         {QStringLiteral("password"), password}});
    }
    HttpResult refresh(MockAuthServer &server, const QString &token,
                       const QString &client = QStringLiteral("demo"))
    {
        return postForm(m_nam, url(server, "/oauth/token"),
                        {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                         {QStringLiteral("client_id"), client},
                         {QStringLiteral("refresh_token"), token}});
    }
    HttpResult me(MockAuthServer &server, const QString &accessToken)
    {
        return get(m_nam, url(server, "/api/me"), bearer(accessToken));
    }
    FormList authorizeParams(const QString &redirect, const QByteArray &challenge,
                             const QString &state = QStringLiteral("xyz 1+2&3"))
    {
        return {{QStringLiteral("response_type"), QStringLiteral("code")},
                {QStringLiteral("client_id"), QStringLiteral("demo")},
                {QStringLiteral("redirect_uri"), redirect},
                {QStringLiteral("code_challenge"), QString::fromLatin1(challenge)},
                {QStringLiteral("code_challenge_method"), QStringLiteral("S256")},
                {QStringLiteral("state"), state}};
    }
    //! Submits the sign-in form; returns the answer (a 302 on success).
    HttpResult signIn(MockAuthServer &server, FormList params,
                      const QString &password = QStringLiteral("wonderland"),
                      const QString &action = QStringLiteral("allow"))
    {
        params.append({QStringLiteral("username"), QStringLiteral("alice")});
        params.append({QStringLiteral("password"), password});
        params.append({QStringLiteral("action"), action});
        return postForm(m_nam, url(server, "/oauth/authorize"), params);
    }
    QUrlQuery redirectQuery(const HttpResult &r)
    {
        return QUrlQuery(QUrl::fromEncoded(r.header("Location")));
    }
    HttpResult exchange(MockAuthServer &server, const QString &code, const QString &redirect,
                        const QByteArray &verifier, const QString &client = QStringLiteral("demo"))
    {
        return postForm(m_nam, url(server, "/oauth/token"),
                        {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                         {QStringLiteral("client_id"), client},
                         {QStringLiteral("code"), code},
                         {QStringLiteral("redirect_uri"), redirect},
                         {QStringLiteral("code_verifier"), QString::fromLatin1(verifier)}});
    }

    QNetworkAccessManager m_nam;
    const QString m_redirect = QStringLiteral("http://127.0.0.1:43210/callback");

private Q_SLOTS:
    void discoveryDocument();
    void ipv6BaseUrl();
    void jwksVerifiesAccessToken();
    void passwordGrantSuccess();
    void passwordGrantErrors_data();
    void passwordGrantErrors();
    void tokenEndpointRejectsOtherContentTypes();
    void tokenEndpointRejectsOtherMethods();
    void formPlusDecodesAsSpace();
    void refreshRotates();
    void refreshReuseRevokesFamily();
    void refreshGraceReturnsSameSuccessor();
    void refreshExpires();
    void refreshScopeAndClientChecks();
    void authorizeShowsForm();
    void authorizationCodeWithPkce();
    void authorizationCodeIpv6Loopback();
    void authorizeRedirectsErrors_data();
    void authorizeRedirectsErrors();
    void authorizeRefusesWithoutRedirect_data();
    void authorizeRefusesWithoutRedirect();
    void authorizeAccessDenied();
    void authorizeWrongPassword();
    void codeExchangeErrors_data();
    void codeExchangeErrors();
    void codeReuseRevokesTokens();
    void revocation();
    void revokeAccessToken();
};

void tst_MockServerOAuth::discoveryDocument()
{
    auto server = startMockServer();
    QVERIFY(server->port() > 0);
    QCOMPARE(server->baseUrl().toString(),
             QStringLiteral("http://127.0.0.1:%1").arg(server->port()));
    const HttpResult r = get(m_nam, url(*server, "/.well-known/openid-configuration"));
    QCOMPARE(r.status, 200);
    const QJsonObject d = r.json();
    const QString base = server->baseUrl().toString();
    QCOMPARE(d.value(QStringLiteral("issuer")).toString(), base);
    QCOMPARE(d.value(QStringLiteral("authorization_endpoint")).toString(),
             base + QStringLiteral("/oauth/authorize"));
    QCOMPARE(d.value(QStringLiteral("token_endpoint")).toString(),
             base + QStringLiteral("/oauth/token"));
    QCOMPARE(d.value(QStringLiteral("revocation_endpoint")).toString(),
             base + QStringLiteral("/oauth/revoke"));
    QCOMPARE(d.value(QStringLiteral("jwks_uri")).toString(),
             base + QStringLiteral("/.well-known/jwks.json"));
    QCOMPARE(d.value(QStringLiteral("code_challenge_methods_supported")).toArray(),
             QJsonArray {QStringLiteral("S256")});
    QCOMPARE(d.value(QStringLiteral("token_endpoint_auth_methods_supported")).toArray(),
             QJsonArray {QStringLiteral("none")});
    QCOMPARE(d.value(QStringLiteral("response_types_supported")).toArray(),
             QJsonArray {QStringLiteral("code")});
    const QJsonArray grants = d.value(QStringLiteral("grant_types_supported")).toArray();
    for (const char *g : {"password", "refresh_token", "authorization_code"})
        QVERIFY2(grants.contains(QLatin1String(g)), g);
    QCOMPARE(d.value(QStringLiteral("authorization_response_iss_parameter_supported")), true);

    const HttpResult wrong = send(m_nam, "POST", url(*server, "/.well-known/openid-configuration"));
    QCOMPARE(wrong.status, 405);
    QCOMPARE(get(m_nam, url(*server, "/no/such/path")).status, 404);
}

void tst_MockServerOAuth::ipv6BaseUrl()
{
    ServerConfig config;
    config.bind = QHostAddress(QHostAddress::LocalHostIPv6);
    auto server = startMockServer(config);
    QVERIFY(server->port() > 0);
    QCOMPARE(server->baseUrl().toString(), QStringLiteral("http://[::1]:%1").arg(server->port()));
    const HttpResult r = get(m_nam, url(*server, "/.well-known/openid-configuration"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.jsonString("issuer"), server->baseUrl().toString());
    QCOMPARE(passwordGrant(*server).status, 200);
}

void tst_MockServerOAuth::jwksVerifiesAccessToken()
{
    auto server = startMockServer();
    const HttpResult keys = get(m_nam, url(*server, "/.well-known/jwks.json"));
    QCOMPARE(keys.status, 200);
    const QJsonArray list = keys.json().value(QStringLiteral("keys")).toArray();
    QCOMPARE(list.size(), 1);
    const QJsonObject jwk = list.first().toObject();
    QCOMPARE(jwk.value(QStringLiteral("kty")).toString(), QStringLiteral("RSA"));
    QCOMPARE(jwk.value(QStringLiteral("alg")).toString(), QStringLiteral("RS256"));

    const HttpResult tokens = passwordGrant(*server);
    QCOMPARE(tokens.status, 200);
    const QString access = tokens.jsonString("access_token");
    QCOMPARE(jwtPart(access, 0).value(QStringLiteral("kid")), jwk.value(QStringLiteral("kid")));

    // Rebuild the public key from the JWK and verify the signature independently.
    const QByteArray n = QByteArray::fromBase64(
            jwk.value(QStringLiteral("n")).toString().toLatin1(), QByteArray::Base64UrlEncoding);
    const QByteArray e = QByteArray::fromBase64(
            jwk.value(QStringLiteral("e")).toString().toLatin1(), QByteArray::Base64UrlEncoding);
    QCOMPARE(n.size(), 256); // RSA 2048
    BIGNUM *bn = BN_bin2bn(reinterpret_cast<const unsigned char *>(n.constData()), int(n.size()),
                           nullptr);
    BIGNUM *be = BN_bin2bn(reinterpret_cast<const unsigned char *>(e.constData()), int(e.size()),
                           nullptr);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY *pkey = nullptr;
    QVERIFY(EVP_PKEY_fromdata_init(pctx) == 1);
    QVERIFY(EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1);
    const QList<QByteArray> parts = access.toLatin1().split('.');
    const QByteArray input = parts[0] + '.' + parts[1];
    const QByteArray sig = QByteArray::fromBase64(parts[2], QByteArray::Base64UrlEncoding);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const bool verified = EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, pkey) == 1
            && EVP_DigestVerify(md, reinterpret_cast<const unsigned char *>(sig.constData()),
                                size_t(sig.size()),
                                reinterpret_cast<const unsigned char *>(input.constData()),
                                size_t(input.size()))
                    == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    QVERIFY(verified);
}

void tst_MockServerOAuth::passwordGrantSuccess()
{
    auto server = startMockServer();
    const HttpResult r = passwordGrant(*server);
    QCOMPARE(r.status, 200);
    QVERIFY(r.header("Content-Type").startsWith("application/json"));
    QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
    QCOMPARE(r.header("Pragma"), QByteArray("no-cache"));
    const QJsonObject body = r.json();
    QCOMPARE(body.value(QStringLiteral("token_type")).toString(), QStringLiteral("Bearer"));
    QCOMPARE(body.value(QStringLiteral("expires_in")).toInt(), 900);
    QCOMPARE(body.value(QStringLiteral("scope")).toString(),
             QStringLiteral("openid profile email items"));
    const QString refresh = body.value(QStringLiteral("refresh_token")).toString();
    QCOMPARE(refresh.size(), 43); // 256 bits, base64url without padding
    const QString access = body.value(QStringLiteral("access_token")).toString();
    const QJsonObject header = jwtPart(access, 0);
    QCOMPARE(header.value(QStringLiteral("alg")).toString(), QStringLiteral("RS256"));
    const QJsonObject claims = jwtPart(access, 1);
    QCOMPARE(claims.value(QStringLiteral("sub")).toString(), QStringLiteral("alice"));
    QCOMPARE(claims.value(QStringLiteral("aud")).toString(), QStringLiteral("demo"));
    QCOMPARE(claims.value(QStringLiteral("iss")).toString(), server->baseUrl().toString());
    QCOMPARE(claims.value(QStringLiteral("scope")).toString(),
             QStringLiteral("openid profile email items"));
    QVERIFY(!claims.value(QStringLiteral("jti")).toString().isEmpty());
    const qint64 iat = claims.value(QStringLiteral("iat")).toInteger();
    const qint64 exp = claims.value(QStringLiteral("exp")).toInteger();
    QVERIFY(exp - iat >= 900 && exp - iat <= 901);

    const HttpResult profile = me(*server, access);
    QCOMPARE(profile.status, 200);
    QCOMPARE(profile.jsonString("sub"), QStringLiteral("alice"));
    QCOMPARE(server->stats().value(QStringLiteral("password_grants")).toInt(), 1);
    // A second sign-in starts another, independent family.
    const HttpResult again = passwordGrant(*server);
    QVERIFY(again.jsonString("refresh_token") != refresh);
    QCOMPARE(server->stats().value(QStringLiteral("live_families")).toInt(), 2);
}

void tst_MockServerOAuth::passwordGrantErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    const QByteArray ok = "grant_type=password&client_id=demo&username=alice";
    QTest::addRow("wrong password") << ok + "&password=nope" << 400 << "invalid_grant";
    QTest::addRow("unknown user") << QByteArray(
            "grant_type=password&client_id=demo&username=bob&password=wonderland")
                                  << 400 << "invalid_grant";
    QTest::addRow("missing password") << ok << 400 << "invalid_request";
    QTest::addRow("missing username")
            << QByteArray("grant_type=password&client_id=demo&password=wonderland") << 400
            << "invalid_request";
    QTest::addRow("missing client_id")
            << QByteArray("grant_type=password&username=alice&password=wonderland") << 400
            << "invalid_request";
    QTest::addRow("unknown client")
            << QByteArray("grant_type=password&client_id=evil&username=alice&password=wonderland")
            << 401 << "invalid_client";
    QTest::addRow("missing grant_type")
            << QByteArray("client_id=demo&username=alice&password=wonderland") << 400
            << "invalid_request";
    QTest::addRow("unsupported grant_type")
            << QByteArray("grant_type=client_credentials&client_id=demo") << 400
            << "unsupported_grant_type";
    QTest::addRow("invalid scope")
            << ok + "&password=wonderland&scope=openid+admin" << 400 << "invalid_scope";
    QTest::addRow("repeated parameter")
            << ok + "&password=wonderland&username=alice" << 400 << "invalid_request";
}

void tst_MockServerOAuth::passwordGrantErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, error);
    auto server = startMockServer();
    const HttpResult r = send(m_nam, "POST", url(*server, "/oauth/token"),
                              {{"Content-Type", "application/x-www-form-urlencoded"}}, body);
    QCOMPARE(r.status, status);
    QVERIFY(r.header("Content-Type").startsWith("application/json"));
    QCOMPARE(r.jsonString("error"), error);
    QVERIFY(!r.jsonString("error_description").isEmpty());
    QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
    QVERIFY(!r.json().contains(QStringLiteral("access_token")));
    QCOMPARE(server->stats().value(QStringLiteral("password_grants")).toInt(), 0);
}

void tst_MockServerOAuth::tokenEndpointRejectsOtherContentTypes()
{
    auto server = startMockServer();
    const HttpResult json
            = postJson(m_nam, url(*server, "/oauth/token"),
                       QJsonObject {{QStringLiteral("grant_type"), QStringLiteral("password")},
                                    {QStringLiteral("client_id"), QStringLiteral("demo")},
                                    {QStringLiteral("username"), QStringLiteral("alice")},
                                    {QStringLiteral("password"), QStringLiteral("wonderland")}});
    QCOMPARE(json.status, 400);
    QCOMPARE(json.jsonString("error"), QStringLiteral("invalid_request"));
    const HttpResult plain
            = send(m_nam, "POST", url(*server, "/oauth/token"), {{"Content-Type", "text/plain"}},
                   "grant_type=password&client_id=demo&username=alice&password=wonderland");
    QCOMPARE(plain.status, 400);
    QCOMPARE(plain.jsonString("error"), QStringLiteral("invalid_request"));
    // A charset parameter on the right media type is fine.
    const HttpResult withCharset
            = send(m_nam, "POST", url(*server, "/oauth/token"),
                   {{"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"}},
                   "grant_type=password&client_id=demo&username=alice&password=wonderland");
    QCOMPARE(withCharset.status, 200);
}

void tst_MockServerOAuth::tokenEndpointRejectsOtherMethods()
{
    auto server = startMockServer();
    for (const QByteArray &verb : {QByteArray("GET"), QByteArray("PUT"), QByteArray("DELETE")}) {
        const HttpResult r = send(m_nam, verb, url(*server, "/oauth/token"));
        QCOMPARE(r.status, 405);
        QCOMPARE(r.header("Allow"), QByteArray("POST"));
        QCOMPARE(r.jsonString("error"), QStringLiteral("invalid_request"));
    }
    QCOMPARE(send(m_nam, "GET", url(*server, "/oauth/revoke")).status, 405);
}

void tst_MockServerOAuth::formPlusDecodesAsSpace()
{
    ServerConfig config;
    config.users = {{QStringLiteral("bob"), QStringLiteral("two words+plus")}};
    auto server = startMockServer(config);
    // '+' is a space, %2B a literal plus (application/x-www-form-urlencoded).
    const HttpResult r
            = send(m_nam, "POST", url(*server, "/oauth/token"),
                   {{"Content-Type", "application/x-www-form-urlencoded"}},
                   "grant_type=password&client_id=demo&username=bob&password=two+words%2Bplus");
    QCOMPARE(r.status, 200);
}

void tst_MockServerOAuth::refreshRotates()
{
    auto server = startMockServer();
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    const HttpResult first = refresh(*server, t0);
    QCOMPARE(first.status, 200);
    QCOMPARE(first.header("Cache-Control"), QByteArray("no-store"));
    const QString t1 = first.jsonString("refresh_token");
    QVERIFY(!t1.isEmpty());
    QVERIFY(t1 != t0);
    QCOMPARE(me(*server, first.jsonString("access_token")).status, 200);
    const HttpResult second = refresh(*server, t1);
    QCOMPARE(second.status, 200);
    QVERIFY(second.jsonString("refresh_token") != t1);
    QCOMPARE(server->stats().value(QStringLiteral("refresh_grants")).toInt(), 2);
    // The rotated-away token no longer works.
    QTest::ignoreMessage(QtWarningMsg, "refresh token reuse detected: family revoked");
    const HttpResult old = refresh(*server, t0);
    QCOMPARE(old.status, 400);
    QCOMPARE(old.jsonString("error"), QStringLiteral("invalid_grant"));
    // Unknown tokens and a missing token.
    QCOMPARE(refresh(*server, QStringLiteral("bogus")).jsonString("error"),
             QStringLiteral("invalid_grant"));
    QCOMPARE(refresh(*server, QString()).jsonString("error"), QStringLiteral("invalid_request"));
}

void tst_MockServerOAuth::refreshReuseRevokesFamily()
{
    auto server = startMockServer();
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    const HttpResult first = refresh(*server, t0);
    const QString t1 = first.jsonString("refresh_token");
    const QString access1 = first.jsonString("access_token");
    QCOMPARE(me(*server, access1).status, 200);

    QTest::ignoreMessage(QtWarningMsg, "refresh token reuse detected: family revoked");
    const HttpResult reuse = refresh(*server, t0);
    QCOMPARE(reuse.status, 400);
    QCOMPARE(reuse.jsonString("error"), QStringLiteral("invalid_grant"));
    QCOMPARE(server->stats().value(QStringLiteral("reuse_detected")).toInt(), 1);
    // The newest descendant dies with the family, and so do its access tokens.
    const HttpResult successor = refresh(*server, t1);
    QCOMPARE(successor.status, 400);
    QCOMPARE(successor.jsonString("error"), QStringLiteral("invalid_grant"));
    QCOMPARE(me(*server, access1).status, 401);
    QCOMPARE(server->stats().value(QStringLiteral("live_families")).toInt(), 0);
    QCOMPARE(server->tokens().value(QStringLiteral("refresh_tokens")).toArray().size(), 0);
}

void tst_MockServerOAuth::refreshGraceReturnsSameSuccessor()
{
    ServerConfig config;
    config.reuseGrace = 1;
    auto server = startMockServer(config);
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    const QString t1 = refresh(*server, t0).jsonString("refresh_token");
    QVERIFY(!t1.isEmpty());
    // Within the grace window, the consumed token yields the very same successor.
    const HttpResult again = refresh(*server, t0);
    QCOMPARE(again.status, 200);
    QCOMPARE(again.jsonString("refresh_token"), t1);
    QVERIFY(server->stats().value(QStringLiteral("grace_reuses")).toInt() >= 1);
    QCOMPARE(server->stats().value(QStringLiteral("reuse_detected")).toInt(), 0);
    // After it, the same replay is theft: the family is revoked, t1 included.
    QTest::ignoreMessage(QtWarningMsg, "refresh token reuse detected: family revoked");
    QTRY_VERIFY_WITH_TIMEOUT(
            refresh(*server, t0).jsonString("error") == QLatin1String("invalid_grant"), 6000);
    QCOMPARE(server->stats().value(QStringLiteral("reuse_detected")).toInt(), 1);
    QCOMPARE(refresh(*server, t1).jsonString("error"), QStringLiteral("invalid_grant"));

    // Once the successor itself was rotated, the grace no longer applies.
    ServerConfig longGrace;
    longGrace.reuseGrace = 60;
    auto server2 = startMockServer(longGrace);
    const QString u0 = passwordGrant(*server2).jsonString("refresh_token");
    const QString u1 = refresh(*server2, u0).jsonString("refresh_token");
    QCOMPARE(refresh(*server2, u1).status, 200);
    QTest::ignoreMessage(QtWarningMsg, "refresh token reuse detected: family revoked");
    QCOMPARE(refresh(*server2, u0).jsonString("error"), QStringLiteral("invalid_grant"));
    QCOMPARE(server2->stats().value(QStringLiteral("reuse_detected")).toInt(), 1);
}

void tst_MockServerOAuth::refreshExpires()
{
    ServerConfig config;
    config.refreshTtl = 1;
    auto server = startMockServer(config);
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    QCOMPARE(server->stats().value(QStringLiteral("live_families")).toInt(), 1);
    // Poll the server's own view: presenting t0 early would rotate it.
    QTRY_COMPARE_WITH_TIMEOUT(server->stats().value(QStringLiteral("live_families")).toInt(), 0,
                              5000);
    const HttpResult r = refresh(*server, t0);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.jsonString("error"), QStringLiteral("invalid_grant"));
    QCOMPARE(r.jsonString("error_description"), QStringLiteral("refresh token expired"));
    QCOMPARE(server->stats().value(QStringLiteral("reuse_detected")).toInt(), 0);
}

void tst_MockServerOAuth::refreshScopeAndClientChecks()
{
    ServerConfig config;
    config.clients = {QStringLiteral("demo"), QStringLiteral("other")};
    auto server = startMockServer(config);
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    // Another client cannot use it (RFC 6749 §6), and the attempt consumes nothing.
    QCOMPARE(refresh(*server, t0, QStringLiteral("other")).jsonString("error"),
             QStringLiteral("invalid_grant"));
    // A wider scope is refused without consuming the token...
    const HttpResult wider
            = postForm(m_nam, url(*server, "/oauth/token"),
                       {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                        {QStringLiteral("client_id"), QStringLiteral("demo")},
                        {QStringLiteral("refresh_token"), t0},
                        {QStringLiteral("scope"), QStringLiteral("openid offline_access")}});
    QCOMPARE(wider.status, 400);
    QCOMPARE(wider.jsonString("error"), QStringLiteral("invalid_scope"));
    // ...a narrower one is granted.
    const HttpResult narrower
            = postForm(m_nam, url(*server, "/oauth/token"),
                       {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                        {QStringLiteral("client_id"), QStringLiteral("demo")},
                        {QStringLiteral("refresh_token"), t0},
                        {QStringLiteral("scope"), QStringLiteral("openid")}});
    QCOMPARE(narrower.status, 200);
    QCOMPARE(narrower.jsonString("scope"), QStringLiteral("openid"));
    QCOMPARE(jwtPart(narrower.jsonString("access_token"), 1)
                     .value(QStringLiteral("scope"))
                     .toString(),
             QStringLiteral("openid"));
    QCOMPARE(server->stats().value(QStringLiteral("reuse_detected")).toInt(), 0);
}

void tst_MockServerOAuth::authorizeShowsForm()
{
    auto server = startMockServer();
    const Pkce pkce;
    QUrl u = url(*server, "/oauth/authorize");
    QUrlQuery q;
    q.setQuery(QString::fromLatin1(formEncode(
            authorizeParams(m_redirect, pkce.challenge, QStringLiteral("<b>\"state\"</b>")))));
    u.setQuery(q);
    const HttpResult r = get(m_nam, u);
    QCOMPARE(r.status, 200);
    QVERIFY(r.header("Content-Type").startsWith("text/html"));
    QVERIFY(r.header("Content-Security-Policy").contains("default-src 'none'"));
    QVERIFY(r.header("Content-Security-Policy").contains("frame-ancestors 'none'"));
    QCOMPARE(r.header("X-Frame-Options"), QByteArray("DENY"));
    QVERIFY(r.body.contains("name=\"username\""));
    QVERIFY(r.body.contains("type=\"password\""));
    QVERIFY(r.body.contains("value=\"deny\""));
    // The state travels as a hidden field, HTML-escaped.
    QVERIFY(r.body.contains("&lt;b&gt;&quot;state&quot;&lt;/b&gt;"));
    QVERIFY(!r.body.contains("<b>\"state\"</b>"));
}

void tst_MockServerOAuth::authorizationCodeWithPkce()
{
    auto server = startMockServer();
    const Pkce pkce;
    const QString state = QStringLiteral("xyz 1+2&3=4");
    const HttpResult r = signIn(*server, authorizeParams(m_redirect, pkce.challenge, state));
    QCOMPARE(r.status, 302);
    const QUrl location = QUrl::fromEncoded(r.header("Location"));
    QCOMPARE(location.host(), QStringLiteral("127.0.0.1"));
    QCOMPARE(location.port(), 43210);
    QCOMPARE(location.path(), QStringLiteral("/callback"));
    const QUrlQuery q(location);
    QCOMPARE(q.queryItemValue(QStringLiteral("state"), QUrl::FullyDecoded), state);
    QCOMPARE(q.queryItemValue(QStringLiteral("iss"), QUrl::FullyDecoded),
             server->baseUrl().toString());
    const QString code = q.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
    QCOMPARE(code.size(), 43);
    QVERIFY(!q.hasQueryItem(QStringLiteral("error")));

    const HttpResult tokens = exchange(*server, code, m_redirect, pkce.verifier);
    QCOMPARE(tokens.status, 200);
    QCOMPARE(tokens.header("Cache-Control"), QByteArray("no-store"));
    QCOMPARE(tokens.jsonString("token_type"), QStringLiteral("Bearer"));
    QCOMPARE(me(*server, tokens.jsonString("access_token")).jsonString("sub"),
             QStringLiteral("alice"));
    QCOMPARE(refresh(*server, tokens.jsonString("refresh_token")).status, 200);
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 1);
}

void tst_MockServerOAuth::authorizationCodeIpv6Loopback()
{
    auto server = startMockServer();
    const Pkce pkce;
    const QString redirect = QStringLiteral("http://[::1]:51234/cb?keep=1");
    const HttpResult r = signIn(*server, authorizeParams(redirect, pkce.challenge));
    QCOMPARE(r.status, 302);
    const QUrl location = QUrl::fromEncoded(r.header("Location"));
    QCOMPARE(location.host(), QStringLiteral("::1"));
    QCOMPARE(location.port(), 51234);
    const QUrlQuery q(location);
    QCOMPARE(q.queryItemValue(QStringLiteral("keep")), QStringLiteral("1"));
    const HttpResult tokens
            = exchange(*server, q.queryItemValue(QStringLiteral("code")), redirect, pkce.verifier);
    QCOMPARE(tokens.status, 200);
}

void tst_MockServerOAuth::authorizeRedirectsErrors_data()
{
    QTest::addColumn<QString>("drop");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("error");
    QTest::addRow("missing code_challenge")
            << "code_challenge" << QString() << QString() << "invalid_request";
    QTest::addRow("plain method") << "code_challenge_method"
                                  << "code_challenge_method"
                                  << "plain"
                                  << "invalid_request";
    QTest::addRow("missing method means plain")
            << "code_challenge_method" << QString() << QString() << "invalid_request";
    QTest::addRow("malformed challenge") << "code_challenge"
                                         << "code_challenge"
                                         << "short"
                                         << "invalid_request";
    QTest::addRow("implicit flow") << "response_type"
                                   << "response_type"
                                   << "token"
                                   << "unsupported_response_type";
    QTest::addRow("unknown scope") << QString() << "scope"
                                   << "openid root"
                                   << "invalid_scope";
}

void tst_MockServerOAuth::authorizeRedirectsErrors()
{
    QFETCH(QString, drop);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, error);
    auto server = startMockServer();
    const Pkce pkce;
    FormList params;
    for (const auto &p : authorizeParams(m_redirect, pkce.challenge, QStringLiteral("s1"))) {
        if (p.first != drop)
            params.append(p);
    }
    if (!key.isEmpty())
        params.append({key, value});
    QUrl u = url(*server, "/oauth/authorize");
    u.setQuery(QString::fromLatin1(formEncode(params)));
    for (const bool viaForm : {false, true}) {
        const HttpResult r = viaForm ? signIn(*server, params) : get(m_nam, u);
        QCOMPARE(r.status, 302);
        const QUrl location = QUrl::fromEncoded(r.header("Location"));
        QCOMPARE(location.port(), 43210);
        const QUrlQuery q(location);
        QCOMPARE(q.queryItemValue(QStringLiteral("error")), error);
        QCOMPARE(q.queryItemValue(QStringLiteral("state")), QStringLiteral("s1"));
        QCOMPARE(q.queryItemValue(QStringLiteral("iss"), QUrl::FullyDecoded),
                 server->baseUrl().toString());
        QVERIFY(!q.hasQueryItem(QStringLiteral("code")));
    }
    QCOMPARE(server->stats().value(QStringLiteral("authorization_codes_issued")).toInt(), 0);
}

void tst_MockServerOAuth::authorizeRefusesWithoutRedirect_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addRow("non-loopback host") << "redirect_uri"
                                       << "http://example.com:8080/cb";
    QTest::addRow("https elsewhere") << "redirect_uri"
                                     << "https://example.com/cb";
    QTest::addRow("localhost name") << "redirect_uri"
                                    << "http://localhost:8080/cb";
    // com.example.* is the demo client's private-use scheme (RFC 8252 §7.1): another one.
    QTest::addRow("custom scheme") << "redirect_uri"
                                   << "org.example.app:/cb";
    QTest::addRow("fragment") << "redirect_uri"
                              << "http://127.0.0.1:8080/cb#frag";
    QTest::addRow("no port") << "redirect_uri"
                             << "http://127.0.0.1/cb";
    QTest::addRow("missing redirect_uri") << "redirect_uri" << QString();
    QTest::addRow("unknown client") << "client_id"
                                    << "intruder";
    QTest::addRow("missing client") << "client_id" << QString();
}

void tst_MockServerOAuth::authorizeRefusesWithoutRedirect()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    auto server = startMockServer();
    const Pkce pkce;
    FormList params;
    for (const auto &p : authorizeParams(m_redirect, pkce.challenge)) {
        if (p.first != key)
            params.append(p);
    }
    if (!value.isEmpty())
        params.append({key, value});
    QUrl u = url(*server, "/oauth/authorize");
    u.setQuery(QString::fromLatin1(formEncode(params)));
    for (const bool viaForm : {false, true}) {
        const HttpResult r = viaForm ? signIn(*server, params) : get(m_nam, u);
        QCOMPARE(r.status, 400);
        QVERIFY(!r.hasHeader("Location"));
        QVERIFY(r.header("Content-Type").startsWith("text/html"));
        QVERIFY(r.body.contains("Authorization error"));
    }
    QCOMPARE(server->stats().value(QStringLiteral("authorization_codes_issued")).toInt(), 0);
}

void tst_MockServerOAuth::authorizeAccessDenied()
{
    auto server = startMockServer();
    const Pkce pkce;
    const HttpResult r
            = signIn(*server, authorizeParams(m_redirect, pkce.challenge, QStringLiteral("st")),
                     QString(), QStringLiteral("deny"));
    QCOMPARE(r.status, 302);
    const QUrlQuery q = redirectQuery(r);
    QCOMPARE(q.queryItemValue(QStringLiteral("error")), QStringLiteral("access_denied"));
    QCOMPARE(q.queryItemValue(QStringLiteral("state")), QStringLiteral("st"));
    QVERIFY(q.hasQueryItem(QStringLiteral("iss")));
    QVERIFY(!q.hasQueryItem(QStringLiteral("code")));
}

void tst_MockServerOAuth::authorizeWrongPassword()
{
    auto server = startMockServer();
    const Pkce pkce;
    const HttpResult r
            = signIn(*server, authorizeParams(m_redirect, pkce.challenge), QStringLiteral("guess"));
    QCOMPARE(r.status, 200);
    QVERIFY(!r.hasHeader("Location"));
    QVERIFY(r.body.contains("Invalid username or password"));
    QVERIFY(r.body.contains("name=\"code_challenge\"")); // the form is shown again
    QCOMPARE(server->stats().value(QStringLiteral("login_failures")).toInt(), 1);
    QCOMPARE(server->stats().value(QStringLiteral("authorization_codes_issued")).toInt(), 0);
}

void tst_MockServerOAuth::codeExchangeErrors_data()
{
    QTest::addColumn<QString>("redirect");
    QTest::addColumn<QString>("client");
    QTest::addColumn<QByteArray>("verifier"); // "" = the right one
    QTest::addColumn<QString>("error");
    const QString ok = QStringLiteral("http://127.0.0.1:43210/callback");
    QTest::addRow("PKCE mismatch") << ok << "demo" << QByteArray(64, 'x') << "invalid_grant";
    QTest::addRow("verifier too short") << ok << "demo" << QByteArray(42, 'x') << "invalid_request";
    QTest::addRow("verifier too long") << ok << "demo" << QByteArray(129, 'x') << "invalid_request";
    QTest::addRow("verifier bad characters")
            << ok << "demo" << QByteArray(50, '%') << "invalid_request";
    QTest::addRow("redirect_uri differs") << "http://127.0.0.1:43210/other"
                                          << "demo" << QByteArray() << "invalid_grant";
    QTest::addRow("another client") << ok << "other" << QByteArray() << "invalid_grant";
}

void tst_MockServerOAuth::codeExchangeErrors()
{
    QFETCH(QString, redirect);
    QFETCH(QString, client);
    QFETCH(QByteArray, verifier);
    QFETCH(QString, error);
    ServerConfig config;
    config.clients = {QStringLiteral("demo"), QStringLiteral("other")};
    auto server = startMockServer(config);
    const Pkce pkce;
    const HttpResult r = signIn(*server, authorizeParams(m_redirect, pkce.challenge));
    const QString code = redirectQuery(r).queryItemValue(QStringLiteral("code"));
    QVERIFY(!code.isEmpty());
    const HttpResult tokens = exchange(*server, code, redirect,
                                       verifier.isEmpty() ? pkce.verifier : verifier, client);
    QCOMPARE(tokens.status, 400);
    QCOMPARE(tokens.jsonString("error"), error);
    QCOMPARE(server->stats().value(QStringLiteral("authorization_code_grants")).toInt(), 0);
    QCOMPARE(exchange(*server, QStringLiteral("no-such-code"), m_redirect, pkce.verifier)
                     .jsonString("error"),
             QStringLiteral("invalid_grant"));
}

void tst_MockServerOAuth::codeReuseRevokesTokens()
{
    auto server = startMockServer();
    const Pkce pkce;
    const QString code = redirectQuery(signIn(*server, authorizeParams(m_redirect, pkce.challenge)))
                                 .queryItemValue(QStringLiteral("code"));
    const HttpResult first = exchange(*server, code, m_redirect, pkce.verifier);
    QCOMPARE(first.status, 200);
    QCOMPARE(me(*server, first.jsonString("access_token")).status, 200);
    QTest::ignoreMessage(QtWarningMsg,
                         "authorization code replayed: tokens issued from it revoked");
    const HttpResult second = exchange(*server, code, m_redirect, pkce.verifier);
    QCOMPARE(second.status, 400);
    QCOMPARE(second.jsonString("error"), QStringLiteral("invalid_grant"));
    // RFC 6749 §4.1.2: what was issued from the replayed code is revoked.
    QCOMPARE(refresh(*server, first.jsonString("refresh_token")).jsonString("error"),
             QStringLiteral("invalid_grant"));
    QCOMPARE(me(*server, first.jsonString("access_token")).status, 401);
}

void tst_MockServerOAuth::revocation()
{
    auto server = startMockServer();
    const QString t0 = passwordGrant(*server).jsonString("refresh_token");
    const QString t1 = refresh(*server, t0).jsonString("refresh_token");
    const QUrl revokeUrl = url(*server, "/oauth/revoke");
    const HttpResult r
            = postForm(m_nam, revokeUrl,
                       {{QStringLiteral("token"), t1},
                        {QStringLiteral("token_type_hint"), QStringLiteral("refresh_token")},
                        {QStringLiteral("client_id"), QStringLiteral("demo")}});
    QCOMPARE(r.status, 200);
    QCOMPARE(server->stats().value(QStringLiteral("revocations")).toInt(), 1);
    QCOMPARE(refresh(*server, t1).jsonString("error"), QStringLiteral("invalid_grant"));
    QCOMPARE(server->stats().value(QStringLiteral("live_families")).toInt(), 0);
    // Unknown tokens are answered with 200 too (RFC 7009 §2.2), and not counted.
    QCOMPARE(postForm(m_nam, revokeUrl, {{QStringLiteral("token"), QStringLiteral("unknown")}})
                     .status,
             200);
    QCOMPARE(server->stats().value(QStringLiteral("revocations")).toInt(), 1);
    // Errors: no token, unknown client, wrong content type.
    const HttpResult missing
            = postForm(m_nam, revokeUrl, {{QStringLiteral("client_id"), QStringLiteral("demo")}});
    QCOMPARE(missing.status, 400);
    QCOMPARE(missing.jsonString("error"), QStringLiteral("invalid_request"));
    const HttpResult badClient = postForm(
            m_nam, revokeUrl,
            {{QStringLiteral("token"), t0}, {QStringLiteral("client_id"), QStringLiteral("evil")}});
    QCOMPARE(badClient.status, 401);
    QCOMPARE(badClient.jsonString("error"), QStringLiteral("invalid_client"));
    QCOMPARE(postJson(m_nam, revokeUrl, QJsonObject {{QStringLiteral("token"), t0}}).status, 400);
}

void tst_MockServerOAuth::revokeAccessToken()
{
    auto server = startMockServer();
    const HttpResult tokens = passwordGrant(*server);
    const QString access = tokens.jsonString("access_token");
    QCOMPARE(me(*server, access).status, 200);
    const HttpResult r
            = postForm(m_nam, url(*server, "/oauth/revoke"),
                       {{QStringLiteral("token"), access},
                        {QStringLiteral("token_type_hint"), QStringLiteral("access_token")}});
    QCOMPARE(r.status, 200);
    const HttpResult after = me(*server, access);
    QCOMPARE(after.status, 401);
    QVERIFY(after.header("WWW-Authenticate").contains("error=\"invalid_token\""));
    // The refresh token is untouched by revoking an access token.
    QCOMPARE(refresh(*server, tokens.jsonString("refresh_token")).status, 200);
}

QTEST_GUILESS_MAIN(tst_MockServerOAuth)
#include "tst_mockserver_oauth.moc"
