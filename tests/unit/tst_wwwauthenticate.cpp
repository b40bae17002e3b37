// SPDX-License-Identifier: MIT
// WWW-Authenticate parsing (RFC 9110 §11.6.1, §11.2; RFC 6750 §3).
#include "network/requestpolicy_p.h"
#include "network/wwwauthenticate_p.h"

#include <QTest>

using namespace SecureTokens;

namespace {

// A canonical rendering of parsed challenges, so table rows stay readable:
// Scheme{name=value;...} or Scheme[token68], joined with " | ".
QByteArray render(const QList<AuthChallenge> &challenges)
{
    QByteArrayList out;
    for (const AuthChallenge &c : challenges) {
        if (!c.token68.isEmpty()) {
            out << c.scheme + '[' + c.token68 + ']';
            continue;
        }
        QByteArrayList params;
        for (const auto &p : c.params)
            params << p.first + '=' + p.second;
        out << c.scheme + '{' + params.join(';') + '}';
    }
    return out.join(" | ");
}

QByteArray manyChallenges(int count)
{
    QByteArrayList list;
    for (int i = 0; i < count; ++i)
        list << "S" + QByteArray::number(i) + " a=\"" + QByteArray::number(i) + '"';
    return list.join(", ");
}

QByteArray manyParams(int count)
{
    QByteArrayList list;
    for (int i = 0; i < count; ++i)
        list << "p" + QByteArray::number(i) + "=v";
    return "Bearer " + list.join(", ");
}

} // namespace

class tst_WwwAuthenticate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void param();
    void hasBearer_data();
    void hasBearer();
    void resourceChallenge_data();
    void resourceChallenge();
    void challengeErrors();
    void limits();
};

void tst_WwwAuthenticate::parse_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("expected"); // render(); empty: no challenge / malformed

    // RFC 6750 §3 examples.
    QTest::addRow("RFC 6750 realm")
            << QByteArray(R"(Bearer realm="example")") << QByteArray("Bearer{realm=example}");
    QTest::addRow("RFC 6750 expired")
            << QByteArray(R"(Bearer realm="example", error="invalid_token", )"
                          R"(error_description="The access token expired")")
            << QByteArray("Bearer{realm=example;error=invalid_token;"
                          "error_description=The access token expired}");
    QTest::addRow("RFC 6750 insufficient_scope")
            << QByteArray(R"(Bearer error="insufficient_scope", scope="read write")")
            << QByteArray("Bearer{error=insufficient_scope;scope=read write}");
    // RFC 9110 §11.6.1 example.
    QTest::addRow("RFC 9110 two challenges")
            << QByteArray(R"(Newauth realm="apps", type=1, title="Login to \"apps\"", )"
                          R"(Basic realm="simple")")
            << QByteArray(
                       R"(Newauth{realm=apps;type=1;title=Login to "apps"} | Basic{realm=simple})");

    QTest::addRow("bare Bearer") << QByteArray("Bearer") << QByteArray("Bearer{}");
    QTest::addRow("bare with OWS") << QByteArray("  Bearer  ") << QByteArray("Bearer{}");
    QTest::addRow("Basic then Bearer")
            << QByteArray(R"(Basic realm="x", Bearer error="invalid_token")")
            << QByteArray("Basic{realm=x} | Bearer{error=invalid_token}");
    QTest::addRow("bare schemes") << QByteArray("Negotiate, NTLM,Bearer")
                                  << QByteArray("Negotiate{} | NTLM{} | Bearer{}");
    QTest::addRow("token values") << QByteArray("Bearer error=invalid_token, realm=api")
                                  << QByteArray("Bearer{error=invalid_token;realm=api}");
    QTest::addRow("BWS around =") << QByteArray("Bearer realm = \"x\" ,error\t=\tinvalid_token")
                                  << QByteArray("Bearer{realm=x;error=invalid_token}");
    QTest::addRow("token68") << QByteArray("Negotiate YIIabc+/.~_-==")
                             << QByteArray("Negotiate[YIIabc+/.~_-==]");
    QTest::addRow("token68 then challenge")
            << QByteArray("Negotiate abc=, Bearer") << QByteArray("Negotiate[abc=] | Bearer{}");
    QTest::addRow("token68 looks like empty param")
            << QByteArray("Basic realm=") << QByteArray("Basic[realm=]");
    QTest::addRow("escapes") << QByteArray(R"(Bearer d="a \"q\" \\ b\ack\slash")")
                             << QByteArray(R"(Bearer{d=a "q" \ backslash})");
    QTest::addRow("empty quoted string")
            << QByteArray(R"(Bearer realm="")") << QByteArray("Bearer{realm=}");
    QTest::addRow("comma inside quotes") << QByteArray(R"(Bearer scope="a, b=c", error=x)")
                                         << QByteArray("Bearer{scope=a, b=c;error=x}");
    QTest::addRow("obs-text in quotes") << QByteArray("Bearer realm=\"caf\xc3\xa9\"")
                                        << QByteArray("Bearer{realm=caf\xc3\xa9}");
    QTest::addRow("empty list elements") << QByteArray(" , ,Bearer realm=x ,, , Basic,")
                                         << QByteArray("Bearer{realm=x} | Basic{}");
    QTest::addRow("joined with newline")
            << QByteArray("Basic realm=\"a\"\nBearer error=\"invalid_token\"")
            << QByteArray("Basic{realm=a} | Bearer{error=invalid_token}");
    QTest::addRow("case kept as sent") << QByteArray("bEaReR ERROR=invalid_token")
                                       << QByteArray("bEaReR{ERROR=invalid_token}");
    QTest::addRow("empty") << QByteArray() << QByteArray();
    QTest::addRow("only separators") << QByteArray(" ,, ,") << QByteArray();

    // Malformed: the whole header is rejected.
    QTest::addRow("unterminated quote") << QByteArray(R"(Bearer realm="x)") << QByteArray();
    QTest::addRow("unterminated after escape") << QByteArray(R"(Bearer realm="x\)") << QByteArray();
    QTest::addRow("unterminated, next challenge")
            << QByteArray(R"(Bearer realm="x, Basic)") << QByteArray();
    QTest::addRow("missing comma") << QByteArray(R"(Bearer realm="x" error="y")") << QByteArray();
    QTest::addRow("junk after quoted") << QByteArray(R"(Bearer realm="a"b)") << QByteArray();
    QTest::addRow("garbage") << QByteArray("@@@") << QByteArray();
    QTest::addRow("starts with =") << QByteArray("=x") << QByteArray();
    QTest::addRow("param without scheme") << QByteArray("realm=\"x\"") << QByteArray();
    QTest::addRow("quote right after scheme") << QByteArray("Bearer\"x\"") << QByteArray();
    QTest::addRow("param after bare scheme") << QByteArray("Bearer, realm=x") << QByteArray();
    QTest::addRow("control char in quotes") << QByteArray("Bearer realm=\"a\x01\"") << QByteArray();
    QTest::addRow("CR LF in quotes") << QByteArray("Bearer realm=\"a\r\nb\"") << QByteArray();
    QTest::addRow("escaped control char") << QByteArray("Bearer realm=\"a\\\x7f\"") << QByteArray();
    QTest::addRow("NUL") << QByteArray("Bearer realm=x\0y", 16) << QByteArray();
    QTest::addRow("duplicate param")
            << QByteArray(R"(Bearer error="a", ERROR="b")") << QByteArray();
    QTest::addRow("empty value") << QByteArray("Bearer realm=, error=x") << QByteArray();
    QTest::addRow("token68 then param") << QByteArray("Negotiate abc== def") << QByteArray();
    QTest::addRow("high byte in scheme") << QByteArray("Bear\xc3\xa9r") << QByteArray();
}

void tst_WwwAuthenticate::parse()
{
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, expected);
    QCOMPARE(render(parseWwwAuthenticate(header)), expected);
}

void tst_WwwAuthenticate::param()
{
    const QList<AuthChallenge> challenges
            = parseWwwAuthenticate(R"(BEARER Realm="example", Error="invalid_token")");
    QCOMPARE(challenges.size(), 1);
    const AuthChallenge &c = challenges.first();
    QVERIFY(c.isScheme("bearer"));
    QVERIFY(!c.isScheme("basic"));
    QCOMPARE(c.param("error"), QByteArray("invalid_token"));
    QCOMPARE(c.param("ERROR"), QByteArray("invalid_token"));
    QCOMPARE(c.param("realm"), QByteArray("example"));
    QVERIFY(c.param("scope").isNull());
    QVERIFY(c.token68.isEmpty());
}

void tst_WwwAuthenticate::hasBearer_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("expected");
    QTest::addColumn<QByteArray>("error");

    QTest::addRow("RFC 6750 expired")
            << QByteArray(R"(Bearer realm="example", error="invalid_token", )"
                          R"(error_description="The access token expired")")
            << true << QByteArray("invalid_token");
    QTest::addRow("bare") << QByteArray("Bearer") << true << QByteArray();
    QTest::addRow("lower case") << QByteArray("bearer error=insufficient_scope") << true
                                << QByteArray("insufficient_scope");
    QTest::addRow("second challenge")
            << QByteArray(R"(Basic realm="x", Bearer error="invalid_token")") << true
            << QByteArray("invalid_token");
    QTest::addRow("Basic only") << QByteArray(R"(Basic realm="x")") << false << QByteArray();
    QTest::addRow("prefix is not a match")
            << QByteArray("Bearerx realm=a") << false << QByteArray();
    QTest::addRow("param named Bearer") << QByteArray("Basic Bearer=x") << false << QByteArray();
    QTest::addRow("in a quoted value")
            << QByteArray(R"(Basic realm="Bearer")") << false << QByteArray();
    QTest::addRow("malformed") << QByteArray(R"(Bearer error="invalid_token)") << false
                               << QByteArray();
    QTest::addRow("empty") << QByteArray() << false << QByteArray();
}

void tst_WwwAuthenticate::hasBearer()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, expected);
    QFETCH(QByteArray, error);

    QByteArray actualError = "stale";
    QCOMPARE(hasBearerChallenge(header, &actualError), expected);
    QCOMPARE(actualError, error);
    QCOMPARE(hasBearerChallenge(header), expected); // the out-parameter is optional
}

void tst_WwwAuthenticate::resourceChallenge_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("present");
    QTest::addColumn<QByteArray>("error");
    QTest::addColumn<QStringList>("scope");
    QTest::addColumn<QStringList>("acrValues");
    QTest::addColumn<qint64>("maxAge");

    const QStringList none;
    // RFC 9470 §3 examples.
    QTest::addRow("RFC 9470 acr_values")
            << QByteArray(R"(Bearer error="insufficient_user_authentication", )"
                          R"(error_description="A different authentication level is required", )"
                          R"(acr_values="myACR")")
            << true << QByteArray("insufficient_user_authentication") << none
            << QStringList {QStringLiteral("myACR")} << qint64(-1);
    QTest::addRow("RFC 9470 max_age")
            << QByteArray(R"(Bearer error="insufficient_user_authentication", )"
                          R"(error_description="More recent authentication is required", )"
                          R"(max_age="5")")
            << true << QByteArray("insufficient_user_authentication") << none << none << qint64(5);
    QTest::addRow("mock server, both")
            << QByteArray(R"(Bearer error="insufficient_user_authentication", )"
                          R"(error_description="a different authentication level is required", )"
                          R"(acr_values="urn:mfa urn:hwk", max_age="300")")
            << true << QByteArray("insufficient_user_authentication") << none
            << QStringList {QStringLiteral("urn:mfa"), QStringLiteral("urn:hwk")} << qint64(300);
    QTest::addRow("max_age as a token") << QByteArray("Bearer error=x, max_age=0") << true
                                        << QByteArray("x") << none << none << qint64(0);
    QTest::addRow("acr_values, extra spaces")
            << QByteArray(R"(Bearer acr_values="  a   b ")") << true << QByteArray() << none
            << QStringList {QStringLiteral("a"), QStringLiteral("b")} << qint64(-1);
    // A max_age that is not a non-negative integer is not guessed at.
    for (const char *bad : {"-1", "1.5", "5s", "+5", " ", "12345678901", "0x10"})
        QTest::addRow("max_age \"%s\"", bad)
                << (QByteArray(R"(Bearer error="insufficient_user_authentication", max_age=")")
                    + bad + '"')
                << true << QByteArray("insufficient_user_authentication") << none << none
                << qint64(-1);
    QTest::addRow("max_age, 10 digits") << QByteArray("Bearer max_age=\"9999999999\"") << true
                                        << QByteArray() << none << none << qint64(9999999999);
    // RFC 6750 §3.1.
    QTest::addRow("insufficient_scope")
            << QByteArray(R"(Bearer error="insufficient_scope", scope="items:write items")") << true
            << QByteArray("insufficient_scope")
            << QStringList {QStringLiteral("items:write"), QStringLiteral("items")} << none
            << qint64(-1);
    // RFC 9449 §7.1: a DPoP challenge counts when there is no Bearer one.
    QTest::addRow("DPoP") << QByteArray(
            R"(DPoP algs="ES256", error="insufficient_user_authentication", acr_values="urn:mfa")")
                          << true << QByteArray("insufficient_user_authentication") << none
                          << QStringList {QStringLiteral("urn:mfa")} << qint64(-1);
    QTest::addRow("Bearer before DPoP")
            << QByteArray(R"(DPoP error="invalid_token", Bearer error="insufficient_scope")")
            << true << QByteArray("insufficient_scope") << none << none << qint64(-1);
    QTest::addRow("the Bearer with an error") << QByteArray(
            R"(Bearer realm="a", Bearer error="insufficient_user_authentication", max_age=1)")
                                              << true
                                              << QByteArray("insufficient_user_authentication")
                                              << none << none << qint64(1);
    QTest::addRow("another scheme's params")
            << QByteArray(R"(Basic acr_values="x", max_age="3", Bearer realm="r")") << true
            << QByteArray() << none << none << qint64(-1);
    QTest::addRow("Basic only") << QByteArray(R"(Basic realm="x")") << false << QByteArray() << none
                                << none << qint64(-1);
    QTest::addRow("malformed") << QByteArray(R"(Bearer error="insufficient_user_authentication)")
                               << false << QByteArray() << none << none << qint64(-1);
    QTest::addRow("empty") << QByteArray() << false << QByteArray() << none << none << qint64(-1);
}

void tst_WwwAuthenticate::resourceChallenge()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, present);
    QFETCH(QByteArray, error);
    QFETCH(QStringList, scope);
    QFETCH(QStringList, acrValues);
    QFETCH(qint64, maxAge);
    const ResourceChallenge c = parseResourceChallenge(header);
    QCOMPARE(c.present, present);
    QCOMPARE(c.error, error);
    QCOMPARE(c.scope, scope);
    QCOMPARE(c.acrValues, acrValues);
    QCOMPARE(c.maxAge, maxAge);
    QCOMPARE(c.isStepUp(), error == "insufficient_user_authentication");
    QCOMPARE(c.isInsufficientScope(), error == "insufficient_scope");
}

void tst_WwwAuthenticate::challengeErrors()
{
    const QByteArray stepUp = R"(Bearer error="insufficient_user_authentication", max_age="0")";
    const QByteArray scope = R"(Bearer error="insufficient_scope", scope="x")";
    QCOMPARE(challengeError(401, stepUp), Error::StepUpRequired);
    // RFC 9470 §3 defines the error for 401 only.
    QCOMPARE(challengeError(403, stepUp), Error::NoError);
    QCOMPARE(challengeError(403, scope), Error::InsufficientScope);
    QCOMPARE(challengeError(401, scope), Error::InsufficientScope);
    QCOMPARE(challengeError(200, scope), Error::NoError);
    QCOMPARE(challengeError(401, R"(Bearer error="invalid_token")"), Error::NoError);
    QCOMPARE(challengeError(401, QByteArray()), Error::NoError);
    QCOMPARE(challengeError(401, R"(Basic error="insufficient_scope")"), Error::NoError);
}

void tst_WwwAuthenticate::limits()
{
    // 8 KiB: a header of exactly the limit parses, one byte more does not.
    const QByteArray prefix = "Bearer realm=\"";
    QByteArray atLimit
            = prefix + QByteArray(maxWwwAuthenticateBytes - prefix.size() - 1, 'r') + '"';
    QCOMPARE(atLimit.size(), maxWwwAuthenticateBytes);
    QCOMPARE(parseWwwAuthenticate(atLimit).size(), 1);
    QByteArray overLimit = prefix + QByteArray(maxWwwAuthenticateBytes - prefix.size(), 'r') + '"';
    QVERIFY(parseWwwAuthenticate(overLimit).isEmpty());
    QVERIFY(!hasBearerChallenge(overLimit));

    QCOMPARE(parseWwwAuthenticate(manyChallenges(maxAuthChallenges)).size(), maxAuthChallenges);
    QVERIFY(parseWwwAuthenticate(manyChallenges(maxAuthChallenges + 1)).isEmpty());

    const QList<AuthChallenge> params = parseWwwAuthenticate(manyParams(maxAuthParams));
    QCOMPARE(params.size(), 1);
    QCOMPARE(params.first().params.size(), maxAuthParams);
    QVERIFY(parseWwwAuthenticate(manyParams(maxAuthParams + 1)).isEmpty());

    // Many bare schemes and many separators stay bounded and fail cleanly.
    QVERIFY(parseWwwAuthenticate(QByteArray(8000, ',')).isEmpty());
    QVERIFY(parseWwwAuthenticate(QByteArray(4000, 'a').replace("aa", "a,")).isEmpty());
}

QTEST_GUILESS_MAIN(tst_WwwAuthenticate)
#include "tst_wwwauthenticate.moc"
