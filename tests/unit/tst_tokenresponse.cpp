// SPDX-License-Identifier: MIT
// Token-endpoint answers (RFC 6749 §5.1 / §5.2) and Retry-After (RFC 9110 §10.2.3).
#include "core/httpgrammar.h"
#include "session/tokenresponse_p.h"

#include <QDebug>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace SecureTokens;

namespace {

// Every secret in these tests contains this marker, so that a test can assert
// it never shows up in an error message.
const QByteArray marker = QByteArrayLiteral("s3cr3tMARK");

QByteArray secret(const char *suffix)
{
    return marker + suffix;
}

QByteArray toJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QString latin1(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes);
}

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// A JWT-shaped access token built at run time (no literal JWTs in the repo).
QByteArray makeJwt(qint64 exp)
{
    QJsonObject header {{QStringLiteral("alg"), QStringLiteral("RS256")},
                        {QStringLiteral("typ"), QStringLiteral("JWT")}};
    QJsonObject payload {{QStringLiteral("sub"), QStringLiteral("alice")},
                         {QStringLiteral("exp"), exp},
                         {QStringLiteral("m"), latin1(marker)}};
    return base64Url(toJson(header)) + '.' + base64Url(toJson(payload)) + '.'
            + base64Url(QByteArrayLiteral("not-a-real-signature"));
}

QJsonObject minimal()
{
    return {{QStringLiteral("access_token"), latin1(secret("-access"))},
            {QStringLiteral("token_type"), QStringLiteral("Bearer")}};
}

QJsonObject with(QJsonObject object, const char *key, const QJsonValue &value)
{
    object.insert(QLatin1String(key), value);
    return object;
}

// QJsonValue has no const char * constructor under QT_NO_CAST_FROM_ASCII (a
// literal would silently become a bool): string values go through here.
QJsonObject with(QJsonObject object, const char *key, const char *value)
{
    return with(std::move(object), key, QJsonValue(QString::fromLatin1(value)));
}

QJsonObject without(QJsonObject object, const char *key)
{
    object.remove(QLatin1String(key));
    return object;
}

ErrorInfo parse(int status, const QByteArray &contentType, QByteArray body, TokenResponse *out,
                const TokenResponseLimits &limits = {})
{
    return parseTokenResponse(status, contentType, body, out, limits);
}

bool allZero(const QByteArray &bytes)
{
    for (char c : bytes) {
        if (c != 0)
            return false;
    }
    return true;
}

QString debugString(const ErrorInfo &e)
{
    QString s;
    QDebug(&s) << e;
    return s;
}

const QByteArray json = QByteArrayLiteral("application/json");

} // namespace

class tst_TokenResponse : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void success_data();
    void success();
    void outUntouchedOnError();
    void rejected_data();
    void rejected();
    void contentType_data();
    void contentType();
    void oauthError_data();
    void oauthError();
    void errorStatusWithoutJson_data();
    void errorStatusWithoutJson();
    void errorDetails_data();
    void errorDetails();
    void bodyLimit();
    void tokenLimit_data();
    void tokenLimit();
    void bodyIsWiped_data();
    void bodyIsWiped();
    void sharedBodyIsReleased();
    void retryAfter_data();
    void retryAfter();
};

void tst_TokenResponse::success_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("access");
    QTest::addColumn<QByteArray>("refresh");
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<qint64>("expiresIn");
    QTest::addColumn<QString>("scope");

    const QByteArray access = secret("-access");
    QTest::addRow("minimal") << toJson(minimal()) << access << QByteArray() << QByteArray()
                             << qint64(-1) << QString();

    QJsonObject all = minimal();
    all.insert(QStringLiteral("expires_in"), 3600);
    all.insert(QStringLiteral("refresh_token"), latin1(secret("-refresh")));
    all.insert(QStringLiteral("id_token"), latin1(secret("-id")));
    all.insert(QStringLiteral("scope"), QStringLiteral("openid profile"));
    all.insert(QStringLiteral("unknown_extension"), QJsonArray {1, 2}); // §5.1: ignore
    QTest::addRow("all fields") << toJson(all) << access << secret("-refresh") << secret("-id")
                                << qint64(3600) << QStringLiteral("openid profile");

    // The JWT's own exp (year 2001) must not be used: lifetime comes from expires_in.
    const QByteArray jwt = makeJwt(1000000000);
    QTest::addRow("jwt access token")
            << toJson(with(with(minimal(), "access_token", latin1(jwt)), "expires_in", 60)) << jwt
            << QByteArray() << QByteArray() << qint64(60) << QString();
    QTest::addRow("jwt access token, no expires_in")
            << toJson(with(minimal(), "access_token", latin1(jwt))) << jwt << QByteArray()
            << QByteArray() << qint64(-1) << QString();
    const QByteArray opaque = QByteArrayLiteral("2YotnFZFEjr1zCsicMWpAA~+/=.-_ !#");
    QTest::addRow("opaque access token with every VSCHAR class")
            << toJson(with(minimal(), "access_token", latin1(opaque))) << opaque << QByteArray()
            << QByteArray() << qint64(-1) << QString();

    QTest::addRow("token_type bearer") << toJson(with(minimal(), "token_type", "bearer")) << access
                                       << QByteArray() << QByteArray() << qint64(-1) << QString();
    QTest::addRow("token_type BEARER") << toJson(with(minimal(), "token_type", "BEARER")) << access
                                       << QByteArray() << QByteArray() << qint64(-1) << QString();
    QTest::addRow("expires_in as string")
            << toJson(with(minimal(), "expires_in", "3600")) << access << QByteArray()
            << QByteArray() << qint64(3600) << QString();
    QTest::addRow("expires_in integral float")
            << QByteArray(R"({"access_token":"s3cr3tMARK-access","token_type":"Bearer",)"
                          R"("expires_in":3600.0})")
            << access << QByteArray() << QByteArray() << qint64(3600) << QString();
    QTest::addRow("expires_in minimum") << toJson(with(minimal(), "expires_in", 1)) << access
                                        << QByteArray() << QByteArray() << qint64(1) << QString();
    QTest::addRow("expires_in maximum")
            << toJson(with(minimal(), "expires_in", double(10LL * 365 * 24 * 3600))) << access
            << QByteArray() << QByteArray() << qint64(10LL * 365 * 24 * 3600) << QString();
    QTest::addRow("expires_in null")
            << toJson(with(minimal(), "expires_in", QJsonValue())) << access << QByteArray()
            << QByteArray() << qint64(-1) << QString();
    QTest::addRow("refresh_token null keeps the old one")
            << toJson(with(minimal(), "refresh_token", QJsonValue())) << access << QByteArray()
            << QByteArray() << qint64(-1) << QString();
    QTest::addRow("refresh_token empty keeps the old one")
            << toJson(with(minimal(), "refresh_token", QString())) << access << QByteArray()
            << QByteArray() << qint64(-1) << QString();
    QTest::addRow("whitespace around JSON")
            << QByteArray(" \r\n" + toJson(minimal()) + "\n") << access << QByteArray()
            << QByteArray() << qint64(-1) << QString();
}

void tst_TokenResponse::success()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, access);
    QFETCH(QByteArray, refresh);
    QFETCH(QByteArray, id);
    QFETCH(qint64, expiresIn);
    QFETCH(QString, scope);

    for (int status : {200, 201}) {
        TokenResponse out;
        const ErrorInfo e = parse(status, json, body, &out);
        QCOMPARE(e.code, Error::NoError);
        QVERIFY(!e.isError());
        QVERIFY(out.accessToken.equals(access));
        QVERIFY(out.refreshToken.equals(refresh));
        QVERIFY(out.idToken.equals(id));
        QCOMPARE(out.expiresIn, expiresIn);
        QCOMPARE(out.scope, scope);
    }
}

void tst_TokenResponse::outUntouchedOnError()
{
    TokenResponse out;
    out.accessToken = SecretBytes(QByteArrayView("old"));
    out.expiresIn = 42;
    const ErrorInfo e
            = parse(200, json, toJson(with(minimal(), "expires_in", QStringLiteral("x"))), &out);
    QCOMPARE(e.code, Error::MalformedResponse);
    QVERIFY(out.accessToken.equals(QByteArrayView("old")));
    QCOMPARE(out.expiresIn, 42);

    // Validation only: a null out is allowed.
    QCOMPARE(parse(200, json, toJson(minimal()), nullptr).code, Error::NoError);
}

void tst_TokenResponse::rejected_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Error>("expected");
    QTest::addColumn<QString>("field"); // named in the message; empty: not checked

    const auto row
            = [](const char *name, const QJsonObject &object, Error expected, const char *field) {
                  QTest::addRow("%s", name)
                          << json << toJson(object) << expected << QString::fromLatin1(field);
              };
    const Error M = Error::MalformedResponse;

    row("access_token missing", without(minimal(), "access_token"), M, "access_token");
    row("access_token empty", with(minimal(), "access_token", QString()), M, "access_token");
    row("access_token null", with(minimal(), "access_token", QJsonValue()), M, "access_token");
    row("access_token number", with(minimal(), "access_token", 12345), M, "access_token");
    row("access_token bool", with(minimal(), "access_token", true), M, "access_token");
    row("access_token object",
        with(minimal(), "access_token", QJsonObject {{QStringLiteral("v"), latin1(marker)}}), M,
        "access_token");
    row("access_token array", with(minimal(), "access_token", QJsonArray {latin1(marker)}), M,
        "access_token");
    row("access_token control char", with(minimal(), "access_token", latin1(secret("\x01"))), M,
        "access_token");
    row("access_token newline", with(minimal(), "access_token", latin1(secret("\n"))), M,
        "access_token");
    row("access_token DEL", with(minimal(), "access_token", latin1(secret("\x7f"))), M,
        "access_token");
    row("access_token non-ASCII",
        with(minimal(), "access_token", latin1(marker) + QStringLiteral("\u00e9")), M,
        "access_token");
    row("access_token emoji",
        with(minimal(), "access_token", latin1(marker) + QString::fromUtf8("\xf0\x9f\x94\x91")), M,
        "access_token");

    row("token_type missing", without(minimal(), "token_type"), M, "token_type");
    row("token_type number", with(minimal(), "token_type", 1), M, "token_type");
    row("token_type mac", with(minimal(), "token_type", "mac"), Error::UnsupportedTokenType,
        "token_type");
    row("token_type DPoP", with(minimal(), "token_type", "DPoP"), Error::UnsupportedTokenType,
        "token_type");
    row("token_type empty", with(minimal(), "token_type", ""), Error::UnsupportedTokenType,
        "token_type");
    row("token_type Bearer with space", with(minimal(), "token_type", "Bearer "),
        Error::UnsupportedTokenType, "token_type");

    row("expires_in fraction", with(minimal(), "expires_in", 3600.5), M, "expires_in");
    row("expires_in negative", with(minimal(), "expires_in", -5), M, "expires_in");
    row("expires_in zero", with(minimal(), "expires_in", 0), M, "expires_in");
    row("expires_in huge", with(minimal(), "expires_in", 1e300), M, "expires_in");
    row("expires_in above maximum",
        with(minimal(), "expires_in", double(10LL * 365 * 24 * 3600 + 1)), M, "expires_in");
    row("expires_in string fraction", with(minimal(), "expires_in", "3600.5"), M, "expires_in");
    row("expires_in string negative", with(minimal(), "expires_in", "-5"), M, "expires_in");
    row("expires_in string empty", with(minimal(), "expires_in", ""), M, "expires_in");
    row("expires_in string words", with(minimal(), "expires_in", "an hour"), M, "expires_in");
    row("expires_in string huge", with(minimal(), "expires_in", "99999999999999999999999"), M,
        "expires_in");
    row("expires_in string zero", with(minimal(), "expires_in", "0"), M, "expires_in");
    row("expires_in bool", with(minimal(), "expires_in", true), M, "expires_in");
    row("expires_in array", with(minimal(), "expires_in", QJsonArray {3600}), M, "expires_in");

    row("refresh_token number", with(minimal(), "refresh_token", 7), M, "refresh_token");
    row("refresh_token object", with(minimal(), "refresh_token", QJsonObject()), M,
        "refresh_token");
    row("refresh_token control char", with(minimal(), "refresh_token", latin1(secret("\x1b[31m"))),
        M, "refresh_token");
    row("id_token array", with(minimal(), "id_token", QJsonArray()), M, "id_token");
    row("id_token tab", with(minimal(), "id_token", latin1(secret("\t"))), M, "id_token");
    row("scope number", with(minimal(), "scope", 3), M, "scope");
    row("scope control char", with(minimal(), "scope", "openid\nprofile"), M, "scope");

    // A 2xx that carries "error" is an error (RFC 6749 §5.2), never a success.
    row("2xx with error field", with(minimal(), "error", QStringLiteral("invalid_grant")),
        Error::InvalidGrant, "");
    row("2xx with non-string error field", with(minimal(), "error", 1), M, "error");
    row("2xx with unknown error code", with(minimal(), "error", "weird_thing"), M, "");

    const auto raw = [](const char *name, const QByteArray &contentType, const QByteArray &body,
                        Error expected) {
        QTest::addRow("%s", name) << contentType << body << expected << QString();
    };
    raw("JSON array", json, "[" + toJson(minimal()) + "]", M);
    raw("JSON string", json, "\"" + marker + "\"", M);
    raw("JSON number", json, "42", M);
    raw("JSON null", json, "null", M);
    raw("garbage", json, "<html>" + marker + "</html>", M);
    raw("truncated", json, toJson(minimal()).chopped(3), M);
    raw("empty body", json, QByteArray(), M);
    raw("trailing garbage", json, toJson(minimal()) + "x", M);
    raw("invalid UTF-8", json,
        R"({"access_token":"s3cr3tMARK)" + QByteArray("\xff\xfe") + R"(","token_type":"Bearer"})",
        M);
    raw("text/html", "text/html", toJson(minimal()), Error::UnexpectedContentType);
    raw("no content type", QByteArray(), toJson(minimal()), Error::UnexpectedContentType);
    raw("text/plain", "text/plain; charset=utf-8", toJson(minimal()), Error::UnexpectedContentType);
    raw("form encoded", "application/x-www-form-urlencoded",
        "access_token=" + marker + "&token_type=Bearer", Error::UnexpectedContentType);
}

void tst_TokenResponse::rejected()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(Error, expected);
    QFETCH(QString, field);

    TokenResponse out;
    const ErrorInfo e = parse(200, contentType, body, &out);
    QCOMPARE(e.code, expected);
    QCOMPARE(e.httpStatus, 200);
    QVERIFY(!e.message.isEmpty());
    if (!field.isEmpty())
        QVERIFY2(e.message.contains(QLatin1Char('"') + field + QLatin1Char('"')),
                 qPrintable(e.message));
    // Never a value: neither the secret marker nor any part of the body.
    QVERIFY2(!e.message.contains(latin1(marker)), qPrintable(e.message));
    QVERIFY(!debugString(e).contains(latin1(marker)));
    QVERIFY(out.accessToken.isEmpty());
    QVERIFY(out.refreshToken.isEmpty());
}

void tst_TokenResponse::contentType_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<bool>("accepted");

    QTest::addRow("application/json") << QByteArray("application/json") << true;
    QTest::addRow("upper case") << QByteArray("APPLICATION/JSON") << true;
    QTest::addRow("mixed case") << QByteArray("Application/Json") << true;
    QTest::addRow("charset") << QByteArray("application/json; charset=utf-8") << true;
    QTest::addRow("charset upper, spaces")
            << QByteArray("application/json ; charset=UTF-8") << true;
    QTest::addRow("leading OWS") << QByteArray(" \tapplication/json") << true;
    QTest::addRow("problem+json") << QByteArray("application/problem+json") << true;
    QTest::addRow("vnd+json, params")
            << QByteArray("application/vnd.example.token+JSON;v=2") << true;
    QTest::addRow("missing") << QByteArray() << false;
    QTest::addRow("text/html") << QByteArray("text/html; charset=utf-8") << false;
    QTest::addRow("text/json") << QByteArray("text/json") << false;
    QTest::addRow("application/jsonp") << QByteArray("application/jsonp") << false;
    QTest::addRow("json-seq") << QByteArray("application/json-seq") << false;
    QTest::addRow("bare +json") << QByteArray("application/+json") << false;
    QTest::addRow("no subtype") << QByteArray("application/") << false;
    QTest::addRow("no type") << QByteArray("/json") << false;
    QTest::addRow("no slash") << QByteArray("json") << false;
    QTest::addRow("space inside") << QByteArray("application / json") << false;
    QTest::addRow("two slashes") << QByteArray("application/json/x") << false;
    QTest::addRow("parameter first") << QByteArray("; application/json") << false;
}

void tst_TokenResponse::contentType()
{
    QFETCH(QByteArray, contentType);
    QFETCH(bool, accepted);

    QCOMPARE(isJsonContentType(contentType), accepted);
    TokenResponse out;
    const ErrorInfo e = parse(200, contentType, toJson(minimal()), &out);
    QCOMPARE(e.code, accepted ? Error::NoError : Error::UnexpectedContentType);
    QCOMPARE(out.accessToken.isEmpty(), !accepted);
}

void tst_TokenResponse::oauthError_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");
    QTest::addColumn<Error>("expected");

    // RFC 6749 §5.2 (and access_denied from §4.1.2.1) at their usual statuses.
    QTest::addRow("invalid_request")
            << 400 << QStringLiteral("invalid_request") << Error::InvalidRequest;
    QTest::addRow("invalid_client 401")
            << 401 << QStringLiteral("invalid_client") << Error::InvalidClient;
    QTest::addRow("invalid_client 400")
            << 400 << QStringLiteral("invalid_client") << Error::InvalidClient;
    QTest::addRow("invalid_grant") << 400 << QStringLiteral("invalid_grant") << Error::InvalidGrant;
    QTest::addRow("unauthorized_client")
            << 400 << QStringLiteral("unauthorized_client") << Error::UnauthorizedClient;
    QTest::addRow("unsupported_grant_type")
            << 400 << QStringLiteral("unsupported_grant_type") << Error::UnsupportedGrantType;
    QTest::addRow("invalid_scope") << 400 << QStringLiteral("invalid_scope") << Error::InvalidScope;
    QTest::addRow("access_denied") << 403 << QStringLiteral("access_denied") << Error::AccessDenied;
    QTest::addRow("server_error") << 500 << QStringLiteral("server_error") << Error::ServerError;
    QTest::addRow("server_error at 400")
            << 400 << QStringLiteral("server_error") << Error::ServerError;
    QTest::addRow("temporarily_unavailable")
            << 503 << QStringLiteral("temporarily_unavailable") << Error::TemporarilyUnavailable;

    // Unknown codes fall back to the status.
    QTest::addRow("unknown 400") << 400 << QStringLiteral("no_such_code") << Error::InvalidRequest;
    // Not a verdict on the grant: a gateway's or an unknown 401/403 is transient.
    QTest::addRow("unknown 401") << 401 << QStringLiteral("no_such_code")
                                 << Error::MalformedResponse;
    QTest::addRow("unknown 403") << 403 << QStringLiteral("no_such_code")
                                 << Error::MalformedResponse;
    QTest::addRow("unknown 429") << 429 << QStringLiteral("slow_down") << Error::RateLimited;
    QTest::addRow("unknown 500") << 500 << QStringLiteral("no_such_code") << Error::ServerError;
    QTest::addRow("unknown 503") << 503 << QStringLiteral("no_such_code")
                                 << Error::TemporarilyUnavailable;
    QTest::addRow("codes are case-sensitive")
            << 400 << QStringLiteral("INVALID_GRANT") << Error::InvalidRequest;

    // A definitive code from a failing server does not end the session.
    QTest::addRow("invalid_grant at 500")
            << 500 << QStringLiteral("invalid_grant") << Error::ServerError;
    QTest::addRow("invalid_grant at 503")
            << 503 << QStringLiteral("invalid_grant") << Error::TemporarilyUnavailable;
    QTest::addRow("invalid_client at 429")
            << 429 << QStringLiteral("invalid_client") << Error::RateLimited;
}

void tst_TokenResponse::oauthError()
{
    QFETCH(int, status);
    QFETCH(QString, code);
    QFETCH(Error, expected);

    QCOMPARE(errorFromOAuthCode(code, status), expected);

    const QJsonObject body {{QStringLiteral("error"), code}};
    TokenResponse out;
    const ErrorInfo e = parse(status, "application/json;charset=UTF-8", toJson(body), &out);
    QCOMPARE(e.code, expected);
    QCOMPARE(e.oauthError, code);
    QCOMPARE(e.httpStatus, status);
    QVERIFY(e.oauthErrorDescription.isEmpty());
    QVERIFY(e.oauthErrorUri.isEmpty());
    QVERIFY(!e.message.isEmpty());
    QVERIFY(out.accessToken.isEmpty());
}

void tst_TokenResponse::errorStatusWithoutJson_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Error>("expected");

    const QByteArray html = "<html><body>Bad Gateway</body></html>";
    QTest::addRow("500 html") << 500 << QByteArray("text/html") << html << Error::ServerError;
    QTest::addRow("502 html") << 502 << QByteArray("text/html") << html << Error::ServerError;
    QTest::addRow("503 html") << 503 << QByteArray("text/html") << html
                              << Error::TemporarilyUnavailable;
    QTest::addRow("504 no type") << 504 << QByteArray() << QByteArray() << Error::ServerError;
    QTest::addRow("429 text") << 429 << QByteArray("text/plain") << QByteArray("slow down")
                              << Error::RateLimited;
    QTest::addRow("429 json without error")
            << 429 << json << QByteArray("{}") << Error::RateLimited;
    QTest::addRow("400 empty") << 400 << QByteArray() << QByteArray() << Error::InvalidRequest;
    // Issue 19 item 7: a gateway's 401/403 page is not invalid_client.
    QTest::addRow("401 html") << 401 << QByteArray("text/html") << html << Error::MalformedResponse;
    QTest::addRow("403 html") << 403 << QByteArray("text/html") << html << Error::MalformedResponse;
    QTest::addRow("401 json without error")
            << 401 << json << QByteArray(R"({"message":"Unauthorized"})")
            << Error::MalformedResponse;
    QTest::addRow("400 html") << 400 << QByteArray("text/html") << html << Error::InvalidRequest;
    QTest::addRow("400 json without error")
            << 400 << json << QByteArray(R"({"x":1})") << Error::InvalidRequest;
    QTest::addRow("400 json error is a number")
            << 400 << json << QByteArray(R"({"error":5})") << Error::InvalidRequest;
    QTest::addRow("400 json error has a quote")
            << 400 << json << QByteArray(R"({"error":"a\"b"})") << Error::InvalidRequest;
    QTest::addRow("500 json garbage")
            << 500 << json << QByteArray("{\"error\":") << Error::ServerError;
    QTest::addRow("503 json array")
            << 503 << json << QByteArray("[]") << Error::TemporarilyUnavailable;
    QTest::addRow("503 oversized html")
            << 503 << QByteArray("text/html") << QByteArray(128 * 1024, 'x')
            << Error::TemporarilyUnavailable;
    QTest::addRow("400 oversized json") << 400 << json
                                        << QByteArray(R"({"error":"invalid_grant","pad":")"
                                                      + QByteArray(70 * 1024, 'x') + "\"}")
                                        << Error::InvalidRequest;
    QTest::addRow("302") << 302 << QByteArray("text/html") << html << Error::MalformedResponse;
}

void tst_TokenResponse::errorStatusWithoutJson()
{
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(Error, expected);

    TokenResponse out;
    const ErrorInfo e = parse(status, contentType, body, &out);
    QCOMPARE(e.code, expected);
    QCOMPARE(e.httpStatus, status);
    QVERIFY(e.oauthError.isEmpty());
    QVERIFY(e.message.contains(QString::number(status)));
}

void tst_TokenResponse::errorDetails_data()
{
    QTest::addColumn<QJsonValue>("description");
    QTest::addColumn<QJsonValue>("uri");
    QTest::addColumn<QString>("expectedDescription");
    QTest::addColumn<QUrl>("expectedUri");

    const QUrl docs(QStringLiteral("https://auth.example.com/docs/errors#invalid_grant"));
    QTest::addRow("plain") << QJsonValue(QStringLiteral("The refresh token has expired"))
                           << QJsonValue(docs.toString())
                           << QStringLiteral("The refresh token has expired") << docs;
    QTest::addRow("control and bidi characters stripped")
            << QJsonValue(QStringLiteral("bad\u0007 \u001b[2Jthing\u202e\r\n"))
            << QJsonValue(QStringLiteral("http://127.0.0.1:8080/e"))
            << QStringLiteral("bad [2Jthing") << QUrl(QStringLiteral("http://127.0.0.1:8080/e"));
    QTest::addRow("non-ASCII kept")
            << QJsonValue(QStringLiteral("Jeton expir\u00e9")) << QJsonValue()
            << QStringLiteral("Jeton expir\u00e9") << QUrl();
    QTest::addRow("truncated to 1024") << QJsonValue(QString(5000, QLatin1Char('d')))
                                       << QJsonValue() << QString(1024, QLatin1Char('d')) << QUrl();
    QTest::addRow("surrogate pair not split")
            << QJsonValue(QString(1023, QLatin1Char('d')) + QString::fromUtf8("\xf0\x9f\x94\x91"))
            << QJsonValue() << QString(1023, QLatin1Char('d')) << QUrl();
    QTest::addRow("wrong types ignored")
            << QJsonValue(42) << QJsonValue(QJsonArray()) << QString() << QUrl();
    QTest::addRow("javascript uri")
            << QJsonValue() << QJsonValue(QStringLiteral("javascript:x()")) << QString() << QUrl();
    QTest::addRow("relative uri") << QJsonValue() << QJsonValue(QStringLiteral("/docs/errors"))
                                  << QString() << QUrl();
    QTest::addRow("invalid uri") << QJsonValue()
                                 << QJsonValue(QStringLiteral("https://exa mple.com/")) << QString()
                                 << QUrl();
    QTest::addRow("overlong uri") << QJsonValue()
                                  << QJsonValue(QStringLiteral("https://example.com/")
                                                + QString(3000, QLatin1Char('a')))
                                  << QString() << QUrl();
}

void tst_TokenResponse::errorDetails()
{
    QFETCH(QJsonValue, description);
    QFETCH(QJsonValue, uri);
    QFETCH(QString, expectedDescription);
    QFETCH(QUrl, expectedUri);

    QJsonObject body {{QStringLiteral("error"), QStringLiteral("invalid_grant")}};
    if (!description.isNull())
        body.insert(QStringLiteral("error_description"), description);
    if (!uri.isNull())
        body.insert(QStringLiteral("error_uri"), uri);

    TokenResponse out;
    const ErrorInfo e = parse(400, json, toJson(body), &out);
    QCOMPARE(e.code, Error::InvalidGrant);
    QCOMPARE(e.oauthError, QStringLiteral("invalid_grant"));
    QCOMPARE(e.oauthErrorDescription, expectedDescription);
    QCOMPARE(e.oauthErrorUri, expectedUri);
    QCOMPARE(e.httpStatus, 400);
}

void tst_TokenResponse::bodyLimit()
{
    TokenResponseLimits limits;
    const QByteArray body = toJson(minimal());
    limits.maxBodyBytes = body.size();
    TokenResponse out;
    QCOMPARE(parse(200, json, body, &out, limits).code, Error::NoError);

    limits.maxBodyBytes = body.size() - 1;
    TokenResponse out2;
    const ErrorInfo e = parse(200, json, body, &out2, limits);
    QCOMPARE(e.code, Error::ResponseTooLarge);
    QCOMPARE(e.httpStatus, 200);
    QVERIFY(out2.accessToken.isEmpty());

    // The default limit, 64 KiB, with a padded but otherwise valid body.
    QJsonObject padded = with(minimal(), "pad", QString(64 * 1024, QLatin1Char('p')));
    QCOMPARE(parse(200, json, toJson(padded), &out2).code, Error::ResponseTooLarge);
}

void tst_TokenResponse::tokenLimit_data()
{
    QTest::addColumn<QString>("field");
    QTest::addRow("access_token") << QStringLiteral("access_token");
    QTest::addRow("refresh_token") << QStringLiteral("refresh_token");
    QTest::addRow("id_token") << QStringLiteral("id_token");
}

void tst_TokenResponse::tokenLimit()
{
    QFETCH(QString, field);
    const qsizetype limit = TokenResponseLimits().maxTokenBytes;

    const QByteArray atLimit = marker + QByteArray(limit - marker.size(), 'a');
    QJsonObject object = minimal();
    object.insert(field, latin1(atLimit));
    TokenResponse out;
    QCOMPARE(parse(200, json, toJson(object), &out).code, Error::NoError);
    const SecretBytes &stored = field == QLatin1String("access_token") ? out.accessToken
            : field == QLatin1String("refresh_token")                  ? out.refreshToken
                                                                       : out.idToken;
    QCOMPARE(stored.size(), std::size_t(limit));
    QVERIFY(stored.equals(atLimit));

    object.insert(field, latin1(atLimit + 'a'));
    TokenResponse out2;
    const ErrorInfo e = parse(200, json, toJson(object), &out2);
    QCOMPARE(e.code, Error::MalformedResponse);
    QVERIFY(e.message.contains(field));
    QVERIFY(!e.message.contains(latin1(marker)));
    QVERIFY(out2.accessToken.isEmpty());
}

void tst_TokenResponse::bodyIsWiped_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Error>("expected");

    QJsonObject all = minimal();
    all.insert(QStringLiteral("refresh_token"), latin1(secret("-refresh")));
    all.insert(QStringLiteral("id_token"), latin1(secret("-id")));
    QTest::addRow("success") << 200 << json << toJson(all) << Error::NoError;
    QTest::addRow("malformed") << 200 << json << toJson(with(all, "expires_in", "x"))
                               << Error::MalformedResponse;
    QTest::addRow("bad token char")
            << 200 << json << toJson(with(all, "access_token", latin1(secret("\x01"))))
            << Error::MalformedResponse;
    QTest::addRow("wrong content type")
            << 200 << QByteArray("text/plain") << toJson(all) << Error::UnexpectedContentType;
    QTest::addRow("too large") << 200 << json
                               << toJson(with(all, "pad", QString(70000, QLatin1Char('p'))))
                               << Error::ResponseTooLarge;
    QTest::addRow("truncated") << 200 << json << toJson(all).chopped(2) << Error::MalformedResponse;
    QTest::addRow("oauth error") << 400 << json
                                 << QByteArray(R"({"error":"invalid_grant","x":"s3cr3tMARK"})")
                                 << Error::InvalidGrant;
    QTest::addRow("html error") << 502 << QByteArray("text/html") << QByteArray("<p>s3cr3tMARK</p>")
                                << Error::ServerError;
}

void tst_TokenResponse::bodyIsWiped()
{
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(Error, expected);

    // A buffer of our own (not shared with the test data), as from QNetworkReply::readAll().
    QByteArray owned(body.constData(), body.size());
    QVERIFY(owned.isDetached());
    const char *const data = owned.constData();
    const qsizetype size = owned.size();

    TokenResponse out;
    QCOMPARE(parseTokenResponse(status, contentType, owned, &out).code, expected);
    // Wiped in place: same buffer, same size, every byte zero.
    QCOMPARE(static_cast<const void *>(owned.constData()), static_cast<const void *>(data));
    QCOMPARE(owned.size(), size);
    QVERIFY(allZero(owned));
}

void tst_TokenResponse::sharedBodyIsReleased()
{
    // A shared buffer cannot be wiped without wiping a copy: the parser drops
    // its reference and the other owner keeps (and must wipe) its bytes.
    const QByteArray original = toJson(minimal());
    QByteArray other(original.constData(), original.size());
    QByteArray body = other;
    QVERIFY(!body.isDetached());
    TokenResponse out;
    QCOMPARE(parseTokenResponse(200, json, body, &out).code, Error::NoError);
    QVERIFY(body.isEmpty());
    QCOMPARE(other, original);
    QVERIFY(out.accessToken.equals(secret("-access")));
}

void tst_TokenResponse::retryAfter_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<int>("expected");

    // "now" in retryAfter() is Sun, 06 Nov 1994 08:49:00 GMT.
    QTest::addRow("seconds") << QByteArray("120") << 120;
    QTest::addRow("zero") << QByteArray("0") << 0;
    QTest::addRow("leading zeros") << QByteArray("007") << 7;
    QTest::addRow("OWS") << QByteArray(" \t30 ") << 30;
    QTest::addRow("a day") << QByteArray("86400") << 86400;
    QTest::addRow("clamped") << QByteArray("86401") << 86400;
    QTest::addRow("overflowing") << QByteArray("99999999999999999999999999") << 86400;
    QTest::addRow("absent") << QByteArray() << -1;
    QTest::addRow("blank") << QByteArray("  ") << -1;
    QTest::addRow("negative") << QByteArray("-5") << -1;
    QTest::addRow("fraction") << QByteArray("1.5") << -1;
    QTest::addRow("plus") << QByteArray("+5") << -1;
    QTest::addRow("words") << QByteArray("soon") << -1;
    QTest::addRow("digits and junk") << QByteArray("12abc") << -1;
    QTest::addRow("IMF-fixdate") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT") << 37;
    QTest::addRow("IMF-fixdate past") << QByteArray("Sun, 06 Nov 1994 08:00:00 GMT") << 0;
    QTest::addRow("IMF-fixdate next day") << QByteArray("Mon, 07 Nov 1994 08:49:00 GMT") << 86400;
    QTest::addRow("IMF-fixdate far future") << QByteArray("Fri, 01 Jan 2100 00:00:00 GMT") << 86400;
    QTest::addRow("RFC 850") << QByteArray("Sunday, 06-Nov-94 08:50:00 GMT") << 60;
    QTest::addRow("asctime") << QByteArray("Sun Nov  6 08:51:00 1994") << 120;
    QTest::addRow("asctime two-digit day") << QByteArray("Sun Nov 06 08:51:00 1994") << 120;
    QTest::addRow("bad day of month") << QByteArray("Tue, 31 Feb 1994 08:49:37 GMT") << -1;
    QTest::addRow("bad hour") << QByteArray("Sun, 06 Nov 1994 24:49:37 GMT") << -1;
    QTest::addRow("lowercase gmt") << QByteArray("Sun, 06 Nov 1994 08:49:37 gmt") << -1;
    QTest::addRow("other zone") << QByteArray("Sun, 06 Nov 1994 08:49:37 +0000") << -1;
    QTest::addRow("bad month") << QByteArray("Sun, 06 Foo 1994 08:49:37 GMT") << -1;
    QTest::addRow("trailing junk") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMTx") << -1;
    QTest::addRow("truncated") << QByteArray("Sun, 06 Nov 1994 08:49") << -1;
    QTest::addRow("overlong") << QByteArray(100, '1') << -1;
}

void tst_TokenResponse::retryAfter()
{
    QFETCH(QByteArray, value);
    QFETCH(int, expected);
    const QDateTime now
            = QDateTime::fromString(QStringLiteral("1994-11-06T08:49:00Z"), Qt::ISODate);
    QVERIFY(now.isValid());
    QCOMPARE(parseRetryAfter(value, now), expected);
    // The same instant expressed in another offset gives the same delay.
    QCOMPARE(parseRetryAfter(value, now.toOffsetFromUtc(3600)), expected);
}

QTEST_GUILESS_MAIN(tst_TokenResponse)
#include "tst_tokenresponse.moc"
