// SPDX-License-Identifier: MIT
// Pure functions of the sign-in flows, on hostile and well-formed input:
// PKCE, discovery metadata, the loopback redirect request, device
// authorization responses, Set-Cookie and the cookie envelope.

#include "session/clientauth_p.h"
#include "signin/cookietransportparsing_p.h"
#include "signin/deviceauthorization_p.h"
#include "signin/providermetadata_p.h"
#include "signin/redirectrequest_p.h"
#include "signin/pkce_p.h"
#include "signin/pushedauthorization_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace SecureTokens;

namespace {

const qint64 kNow = 1700000000;

QByteArray metadata(const QJsonObject &overrides = {})
{
    QJsonObject doc {
            {QStringLiteral("issuer"), QStringLiteral("https://id.example")},
            {QStringLiteral("authorization_endpoint"),
             QStringLiteral("https://id.example/authorize")},
            {QStringLiteral("token_endpoint"), QStringLiteral("https://id.example/token")},
            {QStringLiteral("jwks_uri"), QStringLiteral("https://id.example/jwks")},
            {QStringLiteral("revocation_endpoint"), QStringLiteral("https://id.example/revoke")},
            {QStringLiteral("device_authorization_endpoint"),
             QStringLiteral("https://id.example/device")},
            {QStringLiteral("code_challenge_methods_supported"),
             QJsonArray {QStringLiteral("S256")}},
            {QStringLiteral("authorization_response_iss_parameter_supported"), true}};
    for (auto it = overrides.begin(); it != overrides.end(); ++it) {
        if (it.value().isNull())
            doc.remove(it.key());
        else
            doc.insert(it.key(), it.value());
    }
    return QJsonDocument(doc).toJson();
}

} // namespace

class tst_SignInParsers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pkce();
    void metadataAccepted();
    void metadataRejected_data();
    void metadataRejected();
    void metadataUrls();
    void redirectRequest_data();
    void redirectRequest();
    void redirectRequestLimits();
    void deviceAuthorization_data();
    void deviceAuthorization();
    void pushedAuthorization_data();
    void pushedAuthorization();
    void setCookie_data();
    void setCookie();
    void cookieEnvelope();
    void clientAuthentication();
};

void tst_SignInParsers::pkce()
{
    // RFC 7636 Appendix B test vector.
    QCOMPARE(codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
             QByteArray("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    const SecretBytes a = newCodeVerifier();
    const SecretBytes b = newCodeVerifier();
    QCOMPARE(a.size(), 43);
    QVERIFY(isValidCodeVerifier(a.view()));
    QVERIFY(a.view() != b.view());
    QVERIFY(!isValidCodeVerifier(QByteArray(42, 'a')));
    QVERIFY(!isValidCodeVerifier(QByteArray(129, 'a')));
    QVERIFY(!isValidCodeVerifier(QByteArray(43, '+')));
    QVERIFY(isValidCodeVerifier(QByteArray(128, '~')));
}

void tst_SignInParsers::metadataAccepted()
{
    ProviderMetadata m;
    const ErrorInfo error
            = parseProviderMetadata(metadata(), QStringLiteral("https://id.example"), &m);
    QVERIFY2(!error.isError(), qPrintable(error.message));
    QCOMPARE(m.tokenEndpoint, QUrl(QStringLiteral("https://id.example/token")));
    QCOMPARE(m.deviceAuthorizationEndpoint, QUrl(QStringLiteral("https://id.example/device")));
    QCOMPARE(m.revocationEndpoint, QUrl(QStringLiteral("https://id.example/revoke")));
    QVERIFY(m.issParameterSupported);
    QCOMPARE(m.codeChallengeMethods, QStringList {QStringLiteral("S256")});
    // http on loopback is fine (RFC 8252 §8.3).
    const QByteArray local = metadata(
            {{QStringLiteral("issuer"), QStringLiteral("http://127.0.0.1:8080")},
             {QStringLiteral("token_endpoint"), QStringLiteral("http://127.0.0.1:8080/token")}});
    QVERIFY(!parseProviderMetadata(local, QStringLiteral("http://127.0.0.1:8080"), &m).isError());
}

void tst_SignInParsers::metadataRejected_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("issuer");
    QTest::addColumn<Error>("code");
    const QString iss = QStringLiteral("https://id.example");
    QTest::addRow("other issuer") << metadata() << QStringLiteral("https://id.example/")
                                  << Error::InvalidConfiguration;
    QTest::addRow("issuer case") << metadata() << QStringLiteral("https://ID.example")
                                 << Error::InvalidConfiguration;
    QTest::addRow("no issuer") << metadata({{QStringLiteral("issuer"), QJsonValue::Null}}) << iss
                               << Error::InvalidConfiguration;
    QTest::addRow("issuer not a string")
            << metadata({{QStringLiteral("issuer"), 5}}) << iss << Error::InvalidConfiguration;
    QTest::addRow("no token endpoint")
            << metadata({{QStringLiteral("token_endpoint"), QJsonValue::Null}}) << iss
            << Error::MalformedResponse;
    QTest::addRow("http token endpoint") << metadata(
            {{QStringLiteral("token_endpoint"), QStringLiteral("http://id.example/token")}})
                                         << iss << Error::InsecureTransport;
    QTest::addRow("http jwks") << metadata(
            {{QStringLiteral("jwks_uri"), QStringLiteral("http://cdn.example/jwks")}})
                               << iss << Error::InsecureTransport;
    QTest::addRow("relative endpoint")
            << metadata({{QStringLiteral("authorization_endpoint"), QStringLiteral("/authorize")}})
            << iss << Error::MalformedResponse;
    QTest::addRow("endpoint not a string")
            << metadata({{QStringLiteral("revocation_endpoint"), QJsonArray {}}}) << iss
            << Error::MalformedResponse;
    QTest::addRow("ftp endpoint") << metadata(
            {{QStringLiteral("token_endpoint"), QStringLiteral("ftp://id.example/t")}})
                                  << iss << Error::InvalidConfiguration;
    QTest::addRow("not json") << QByteArray("<html>") << iss << Error::MalformedResponse;
    QTest::addRow("array") << QByteArray("[]") << iss << Error::MalformedResponse;
    QTest::addRow("too large") << QByteArray(maxMetadataBytes + 1, ' ') << iss
                               << Error::ResponseTooLarge;
}

void tst_SignInParsers::metadataRejected()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, issuer);
    QFETCH(Error, code);
    ProviderMetadata m;
    m.issuer = QStringLiteral("untouched");
    const ErrorInfo error = parseProviderMetadata(body, issuer, &m);
    QCOMPARE(error.code, code);
    QCOMPARE(m.issuer, QStringLiteral("untouched"));
}

void tst_SignInParsers::metadataUrls()
{
    QCOMPARE(metadataUrlsFor(QUrl(QStringLiteral("https://id.example"))),
             (QList<QUrl> {
                     QUrl(QStringLiteral("https://id.example/.well-known/openid-configuration")),
                     QUrl(QStringLiteral(
                             "https://id.example/.well-known/oauth-authorization-server"))}));
    // Keycloak-style issuer with a path; RFC 8414 §3.1 inserts the well-known part before it.
    QCOMPARE(metadataUrlsFor(QUrl(QStringLiteral("https://sso.example/realms/demo/"))),
             (QList<QUrl> {
                     QUrl(QStringLiteral(
                             "https://sso.example/realms/demo/.well-known/openid-configuration")),
                     QUrl(QStringLiteral("https://sso.example/.well-known/"
                                         "oauth-authorization-server/realms/demo"))}));
}

void tst_SignInParsers::redirectRequest_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QByteArray>("code");
    QTest::addRow("good") << QByteArray("GET /callback?code=a%2Bb+c&state=s HTTP/1.1\r\nHost: "
                                        "127.0.0.1:5000\r\nUser-Agent: x\r\n\r\n")
                          << true << QByteArray("a+b c");
    QTest::addRow("http/1.0 without host")
            << QByteArray("GET /callback?code=x HTTP/1.0\r\n\r\n") << true << QByteArray("x");
    QTest::addRow("POST") << QByteArray("POST /callback?code=x HTTP/1.1\r\nHost: h\r\n\r\n")
                          << false << QByteArray();
    QTest::addRow("absolute form")
            << QByteArray("GET http://evil/callback?code=x HTTP/1.1\r\nHost: h\r\n\r\n") << false
            << QByteArray();
    QTest::addRow("repeated code")
            << QByteArray("GET /callback?code=x&code=y HTTP/1.1\r\nHost: h\r\n\r\n") << false
            << QByteArray();
    QTest::addRow("two hosts") << QByteArray("GET /callback HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
                               << false << QByteArray();
    QTest::addRow("no host 1.1") << QByteArray("GET /callback HTTP/1.1\r\n\r\n") << false
                                 << QByteArray();
    QTest::addRow("HTTP/2") << QByteArray("GET /callback HTTP/2\r\nHost: h\r\n\r\n") << false
                            << QByteArray();
    QTest::addRow("folding") << QByteArray("GET /callback HTTP/1.1\r\nHost: h\r\n x\r\n\r\n")
                             << false << QByteArray();
    QTest::addRow("no colon") << QByteArray("GET /callback HTTP/1.1\r\nHost h\r\n\r\n") << false
                              << QByteArray();
    QTest::addRow("space in target")
            << QByteArray("GET /call back HTTP/1.1\r\nHost: h\r\n\r\n") << false << QByteArray();
    QTest::addRow("incomplete") << QByteArray("GET /callback HTTP/1.1\r\nHost: h\r\n") << false
                                << QByteArray();
    QTest::addRow("empty") << QByteArray() << false << QByteArray();
    QTest::addRow("binary") << QByteArray("\x00\x01\x02\r\n\r\n", 7) << false << QByteArray();
}

void tst_SignInParsers::redirectRequest()
{
    QFETCH(QByteArray, head);
    QFETCH(bool, ok);
    QFETCH(QByteArray, code);
    const RedirectRequest r = parseRedirectRequest(head);
    QCOMPARE(r.ok, ok);
    if (!ok) {
        QVERIFY(!r.error.isEmpty());
        QVERIFY(r.params.isEmpty());
        return;
    }
    QCOMPARE(r.path, QByteArray("/callback"));
    QByteArray found;
    for (const auto &p : r.params) {
        if (p.first == "code")
            found = p.second;
    }
    QCOMPARE(found, code);
}

void tst_SignInParsers::redirectRequestLimits()
{
    QByteArray big = "GET /callback?x=" + QByteArray(maxRedirectRequestBytes, 'a')
            + " HTTP/1.1\r\nHost: h\r\n\r\n";
    QVERIFY(!parseRedirectRequest(big).ok);
    QByteArray many = "GET /callback HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 200; ++i)
        many += "X: y\r\n";
    many += "\r\n";
    QVERIFY(!parseRedirectRequest(many).ok);
    QList<QPair<QByteArray, QByteArray>> params;
    QVERIFY(parseUrlQuery("a=1&b=&c&&d=%41", &params));
    QCOMPARE(params.size(), 4);
    QCOMPARE(params.at(3).second, QByteArray("A"));
}

void tst_SignInParsers::deviceAuthorization_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("interval");
    QTest::addRow("full") << QByteArray(
            "{\"device_code\":\"d\",\"user_code\":\"WDJB-MJHT\",\"verification_uri\":\"https://"
            "id.example/device\",\"verification_uri_complete\":\"https://id.example/"
            "device?user_code=WDJB-MJHT\",\"expires_in\":1800,\"interval\":7}")
                          << true << qint64(7);
    QTest::addRow("default interval")
            << QByteArray("{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https:"
                          "//id.example/device\",\"expires_in\":600}")
            << true << qint64(5);
    QTest::addRow("google url") << QByteArray(
            "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_url\":\"https://"
            "www.google.com/device\",\"expires_in\":600}")
                                << true << qint64(5);
    QTest::addRow("no device_code")
            << QByteArray("{\"user_code\":\"U\",\"verification_uri\":\"https://id.example/"
                          "device\",\"expires_in\":600}")
            << false << qint64(0);
    QTest::addRow("http uri") << QByteArray(
            "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"http://id.example/"
            "device\",\"expires_in\":600}")
                              << false << qint64(0);
    QTest::addRow("javascript uri")
            << QByteArray("{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":"
                          "\"javascript:alert(1)\",\"expires_in\":600}")
            << false << qint64(0);
    QTest::addRow("no expiry") << QByteArray("{\"device_code\":\"d\",\"user_code\":\"U\","
                                             "\"verification_uri\":\"https://id.example/device\"}")
                               << false << qint64(0);
    QTest::addRow("bad interval") << QByteArray(
            "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://id.example/"
            "device\",\"expires_in\":600,\"interval\":\"5\"}")
                                  << false << qint64(0);
    QTest::addRow("not json") << QByteArray("nope") << false << qint64(0);
}

void tst_SignInParsers::deviceAuthorization()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, ok);
    QFETCH(qint64, interval);
    DeviceAuthorization out;
    const ErrorInfo error = parseDeviceAuthorization(body, &out);
    QCOMPARE(!error.isError(), ok);
    if (ok) {
        QCOMPARE(out.interval, interval);
        QCOMPARE(out.deviceCode.view(), QByteArrayView("d"));
        QVERIFY(out.verificationUri.scheme() == QLatin1String("https"));
    } else {
        QVERIFY(out.deviceCode.isEmpty());
    }
}

void tst_SignInParsers::pushedAuthorization_data()
{
    // RFC 9126 §2.2.
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("ok");
    QTest::addRow("valid") << QByteArray(
            R"({"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60})")
                           << true;
    QTest::addRow("no request_uri") << QByteArray(R"({"expires_in":60})") << false;
    QTest::addRow("empty request_uri")
            << QByteArray(R"({"request_uri":"","expires_in":60})") << false;
    QTest::addRow("request_uri not a string")
            << QByteArray(R"({"request_uri":5,"expires_in":60})") << false;
    QTest::addRow("space in request_uri")
            << QByteArray(R"({"request_uri":"urn:x y","expires_in":60})") << false;
    QTest::addRow("no expires_in") << QByteArray(R"({"request_uri":"urn:x"})") << false;
    QTest::addRow("zero expires_in")
            << QByteArray(R"({"request_uri":"urn:x","expires_in":0})") << false;
    QTest::addRow("fractional expires_in")
            << QByteArray(R"({"request_uri":"urn:x","expires_in":1.5})") << false;
    QTest::addRow("string expires_in")
            << QByteArray(R"({"request_uri":"urn:x","expires_in":"60"})") << false;
    QTest::addRow("not an object") << QByteArray("[]") << false;
    QTest::addRow("too large") << QByteArray(R"({"request_uri":"urn:x","expires_in":60,"pad":")")
                    + QByteArray(maxPushedAuthorizationBytes, 'a') + QByteArray("\"}")
                               << false;
}

void tst_SignInParsers::pushedAuthorization()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, ok);
    PushedAuthorization out;
    const ErrorInfo error = parsePushedAuthorization(body, &out);
    QCOMPARE(!error.isError(), ok);
    if (ok) {
        QCOMPARE(out.requestUri, QStringLiteral("urn:ietf:params:oauth:request_uri:abc"));
        QCOMPARE(out.expiresIn, 60);
    } else {
        QVERIFY(out.requestUri.isEmpty());
    }
}

void tst_SignInParsers::setCookie_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("deletes");
    QTest::addColumn<bool>("secure");
    QTest::addRow("mock server") << QByteArray("refresh_token=abc-_123; HttpOnly; Secure; "
                                               "SameSite=Strict; Path=/auth; Max-Age=2592000")
                                 << true << QByteArray("refresh_token") << QByteArray("abc-_123")
                                 << false << true;
    QTest::addRow("cleared") << QByteArray("refresh_token=; Max-Age=0; Path=/auth") << true
                             << QByteArray("refresh_token") << QByteArray() << true << false;
    QTest::addRow("negative max-age") << QByteArray("a=b; max-age=-5") << true << QByteArray("a")
                                      << QByteArray("b") << true << false;
    QTest::addRow("expires past") << QByteArray("a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
                                  << true << QByteArray("a") << QByteArray("b") << true << false;
    QTest::addRow("expires future") << QByteArray("a=b; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
                                    << true << QByteArray("a") << QByteArray("b") << false << false;
    QTest::addRow("max-age wins over expires")
            << QByteArray("a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60") << true
            << QByteArray("a") << QByteArray("b") << false << false;
    QTest::addRow("bad max-age ignored") << QByteArray("a=b; Max-Age=1x") << true << QByteArray("a")
                                         << QByteArray("b") << false << false;
    QTest::addRow("quoted") << QByteArray("a=\"b\"") << true << QByteArray("a") << QByteArray("b")
                            << false << false;
    QTest::addRow("spaces") << QByteArray("  a = b ;secure") << true << QByteArray("a")
                            << QByteArray("b") << false << true;
    QTest::addRow("no equals") << QByteArray("abc; Secure") << false << QByteArray() << QByteArray()
                               << false << false;
    QTest::addRow("empty name") << QByteArray("=abc") << false << QByteArray() << QByteArray()
                                << false << false;
    QTest::addRow("newline") << QByteArray("a=b\r\nSet-Cookie: c=d") << false << QByteArray()
                             << QByteArray() << false << false;
    QTest::addRow("too long") << QByteArray("a=" + QByteArray(maxSetCookieBytes, 'x')) << false
                              << QByteArray() << QByteArray() << false << false;
}

void tst_SignInParsers::setCookie()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, ok);
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, value);
    QFETCH(bool, deletes);
    QFETCH(bool, secure);
    const SetCookie c = parseSetCookie(header, kNow);
    QCOMPARE(c.ok, ok);
    if (!ok)
        return;
    QCOMPARE(c.name, name);
    QCOMPARE(c.value, value);
    QCOMPARE(c.deletes(), deletes);
    QCOMPARE(c.secure, secure);
}

void tst_SignInParsers::cookieEnvelope()
{
    const SecretBytes envelope = makeCookieEnvelope("cookie-value_1", "csrf+/=");
    QByteArray cookie, csrf;
    QVERIFY(parseCookieEnvelope(envelope.view(), &cookie, &csrf));
    QCOMPARE(cookie, QByteArray("cookie-value_1"));
    QCOMPARE(csrf, QByteArray("csrf+/="));
    // An OAuth refresh token, a wrong version, or a cookie that cannot go in a header: refused.
    QVERIFY(!parseCookieEnvelope("3cvf9WZxYz", &cookie, &csrf));
    QVERIFY(!parseCookieEnvelope("stc2\nYQ\nYg", &cookie, &csrf));
    QVERIFY(!parseCookieEnvelope("stc1\nYQ\nYg\nYg", &cookie, &csrf));
    QVERIFY(!parseCookieEnvelope(makeCookieEnvelope("a;b", "c").view(), &cookie, &csrf));
    QVERIFY(!parseCookieEnvelope(makeCookieEnvelope("", "c").view(), &cookie, &csrf));
    QVERIFY(!parseCookieEnvelope("stc1\n!!\nYg", &cookie, &csrf));
    QCOMPARE(cookie, QByteArray("cookie-value_1")); // untouched on failure
}

void tst_SignInParsers::clientAuthentication()
{
    // RFC 8414 §2: without the list the default is client_secret_basic.
    QCOMPARE(chooseClientAuth({}, true), ClientAuthMethod::SecretBasic);
    QCOMPARE(chooseClientAuth({}, false), ClientAuthMethod::None);
    QCOMPARE(chooseClientAuth({QStringLiteral("none"), QStringLiteral("client_secret_post")}, true),
             ClientAuthMethod::SecretPost);
    QCOMPARE(chooseClientAuth(
                     {QStringLiteral("client_secret_post"), QStringLiteral("client_secret_basic")},
                     true),
             ClientAuthMethod::SecretBasic);
    QCOMPARE(chooseClientAuth({QStringLiteral("client_secret_post")}, false),
             ClientAuthMethod::None);
    QVERIFY(acceptsPublicClients({}));
    QVERIFY(acceptsPublicClients({QStringLiteral("client_secret_basic"), QStringLiteral("none")}));
    QVERIFY(!acceptsPublicClients({QStringLiteral("client_secret_basic")}));

    // RFC 6749 §2.3.1: both halves form-encoded before base64 (":" and "+" too).
    const QByteArray header
            = basicAuthorization(QStringLiteral("my app"), SecretBytes(QByteArrayView("a+b:c%")));
    QVERIFY(header.startsWith("Basic "));
    QCOMPARE(QByteArray::fromBase64(header.mid(6)), QByteArray("my%20app:a%2Bb%3Ac%25"));

    // The metadata lists reach ProviderMetadata.
    ProviderMetadata m;
    QJsonObject doc = QJsonDocument::fromJson(metadata()).object();
    doc.insert(QStringLiteral("token_endpoint_auth_methods_supported"),
               QJsonArray {QStringLiteral("client_secret_post")});
    doc.insert(QStringLiteral("revocation_endpoint_auth_methods_supported"),
               QJsonArray {QStringLiteral("client_secret_basic")});
    QVERIFY(!parseProviderMetadata(QJsonDocument(doc).toJson(),
                                   QStringLiteral("https://id.example"), &m)
                     .isError());
    QCOMPARE(m.tokenEndpointAuthMethods, QStringList {QStringLiteral("client_secret_post")});
    QCOMPARE(m.revocationEndpointAuthMethods, QStringList {QStringLiteral("client_secret_basic")});
}

QTEST_GUILESS_MAIN(tst_SignInParsers)
#include "tst_signin_parsers.moc"
