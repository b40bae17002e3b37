// SPDX-License-Identifier: MIT
// `securetokens login --api-resource ORIGIN[=RESOURCE]` and `call` in new
// processes, against the in-process mock server and two resource servers
// that accept only tokens for their own audience: each URL gets the token of
// its origin, an origin without a mapping gets none, `status --json` lists
// the mapping (never a token), and `--resource URI` keeps its old meaning.

#include "cliprocess.h"

#include <mockauthserver.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace SecureTokens;
using Mock::MockAuthServer;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWait = 60000;
const QString audienceA = u"https://api.a.example"_s;
using Run = CliProcess::Run;

QJsonObject jwtPayload(const QString &authorization)
{
    const QString jwt = authorization.section(QLatin1Char(' '), 1);
    return QJsonDocument::fromJson(
                   QByteArray::fromBase64(jwt.section(QLatin1Char('.'), 1, 1).toLatin1(),
                                          QByteArray::Base64UrlEncoding
                                                  | QByteArray::OmitTrailingEquals))
            .object();
}

} // namespace

class tst_CliResources : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home;
    std::unique_ptr<MockAuthServer> m_server;
    QString m_service;
    QUrl m_urlA; //!< resource server for audienceA
    QUrl m_urlB; //!< resource server whose audience is its own origin

    QString url(const QString &path) const { return m_server->baseUrl().toString() + path; }
    static QString originString(const QUrl &base)
    {
        return base.adjusted(QUrl::RemovePath).toString();
    }

    Run run(const QStringList &args, const QByteArray &input = {})
    {
        return CliProcess(QStringLiteral(SECURETOKENS_CLI_PATH), m_home.path(), m_service)
                .run(args, input, {}, kWait);
    }

    Run login(const QStringList &extra)
    {
        return run(QStringList {u"login"_s, u"--token-endpoint"_s, url(u"/oauth/token"_s),
                                u"--revocation-endpoint"_s, url(u"/oauth/revoke"_s),
                                u"--client-id"_s, u"demo"_s, u"--username"_s, u"alice"_s,
                                u"--password-stdin"_s}
                           + extra,
                   QByteArrayLiteral("wonderland\n"));
    }

    //! The Authorization header /api/echo saw, from `call`'s output for one URL.
    static QString echoedAuthorization(const QByteArray &body)
    {
        return QJsonDocument::fromJson(body)
                .object()
                .value(u"headers")
                .toObject()
                .value(u"Authorization")
                .toString();
    }

    qint64 audienceCounter(const QString &audience, const char *name) const
    {
        return m_server->stats()
                .value(u"audiences")
                .toObject()
                .value(audience)
                .toObject()
                .value(QLatin1String(name))
                .toInteger();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through scripts/with-keyring (ctest does)");
        QVERIFY(m_home.isValid());
    }

    void init()
    {
        Mock::ServerConfig config;
        config.admin = true;
        m_server = std::make_unique<MockAuthServer>(config);
        QVERIFY(m_server->listen());
        m_urlA = m_server->addApiListener(audienceA);
        // B's audience is its own origin: `--api-resource ORIGIN` alone names it.
        const quint16 portB = [] {
            QTcpServer probe;
            return probe.listen(QHostAddress::LocalHost) ? probe.serverPort() : quint16(0);
        }();
        QVERIFY(portB > 0);
        m_urlB = m_server->addApiListener(u"http://127.0.0.1:%1"_s.arg(portB), portB);
        QCOMPARE(m_urlB.port(), int(portB));
        m_service = u"org.securetokens.test.resources.%1"_s.arg(
                QLatin1String(QTest::currentTestFunction()));
    }

    void cleanup()
    {
        run({u"logout"_s});
        m_server.reset();
    }

    void eachUrlGetsTheTokenOfItsOrigin()
    {
        Run r = login({u"--api-resource"_s, originString(m_urlA) + u'=' + audienceA,
                       u"--api-resource"_s, originString(m_urlB)});
        QVERIFY2(r.exitCode == 0, r.err.constData());

        // A new process: the mapping comes from the settings file.
        r = run({u"call"_s, m_urlA.toString() + u"/api/echo"_s});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString sentA = echoedAuthorization(r.out);
        QCOMPARE(jwtPayload(sentA).value(u"aud").toString(), audienceA);
        r = run({u"call"_s, m_urlB.toString() + u"/api/echo"_s});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QString sentB = echoedAuthorization(r.out);
        QCOMPARE(jwtPayload(sentB).value(u"aud").toString(), originString(m_urlB));
        QCOMPARE(audienceCounter(audienceA, "unauthorized"), 0);
        QCOMPARE(audienceCounter(originString(m_urlB), "unauthorized"), 0);

        // The issuer's origin is not mapped: no token goes there (its /api/* would take one).
        r = run({u"call"_s, url(u"/api/echo"_s)});
        QCOMPARE(r.exitCode, 22); // HTTP 401 (ExitHttpError)
        QCOMPARE(m_server->stats().value(u"authorized_requests").toInt(), 0);

        // status lists the mapping, never a token.
        r = run({u"status"_s, u"--json"_s});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject status = QJsonDocument::fromJson(r.out).object();
        const QJsonObject resources = status.value(u"api_resources").toObject();
        QCOMPARE(resources.size(), 2);
        QVERIFY(resources.contains(u"http://127.0.0.1:%1"_s.arg(m_urlA.port())));
        QCOMPARE(resources.value(u"http://127.0.0.1:%1"_s.arg(m_urlA.port())).toString(),
                 audienceA);
        QVERIFY(!r.out.contains(sentA.section(u' ', 1).toLatin1()));
    }

    void parallelCallsShareOneGrantPerApi()
    {
        QCOMPARE(login({u"--api-resource"_s, originString(m_urlA) + u'=' + audienceA}).exitCode, 0);
        const int grants = m_server->stats().value(u"refresh_grants").toInt();
        const Run r
                = run({u"call"_s, u"--parallel"_s, m_urlA.toString() + u"/api/me"_s,
                       m_urlA.toString() + u"/api/items"_s, m_urlA.toString() + u"/api/echo"_s});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        // restore (the session's own token) + one grant for A, shared by the three.
        QCOMPARE(m_server->stats().value(u"refresh_grants").toInt(), grants + 2);
        QCOMPARE(audienceCounter(audienceA, "authorized_requests"), 3);
    }

    void resourceUriKeepsItsMeaning()
    {
        // --resource is the sign-in's resource indicator, also when it looks
        // like an origin (RFC 8707 resources often do): no mapping, and the
        // token goes to the default origin (the token endpoint's) as before.
        QCOMPARE(login({u"--resource"_s, u"https://api.example.com"_s}).exitCode, 0);
        const QSettings settings(m_home.path() + u"/.config/securetokens/cli.ini"_s,
                                 QSettings::IniFormat);
        QVERIFY(settings.value(u"account-default/api_resources"_s).toStringList().isEmpty());
        const Run r = run({u"call"_s, url(u"/api/me"_s)});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(m_server->stats().value(u"authorized_requests").toInt(), 1);
    }

    void apiResourceMustBeAnOrigin()
    {
        // A path is not an origin: a usage error (exit code 2), nothing stored.
        const Run r = login({u"--api-resource"_s, u"https://api.example.com/v1"_s});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--api-resource takes ORIGIN[=RESOURCE]"), r.err.constData());
        QCOMPARE(m_server->stats().value(u"password_grants").toInt(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_CliResources)
#include "tst_cli_resources.moc"
