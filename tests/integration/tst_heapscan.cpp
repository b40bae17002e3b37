// SPDX-License-Identifier: MIT
// After sign-out, the process's memory holds no copy of any token: a scan of
// every writable anonymous mapping (heap, thread arenas) finds none. glibc is
// told to overwrite freed blocks (perturb, with its per-thread cache off,
// where free() does not perturb; see heapscan.cmake), so what the scan finds
// is live memory, not garbage that happens to remember a token.

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace SecureTokens;

namespace {

constexpr int kWait = 15000;
constexpr char kMask = 0x5a;

// A copy of every writable private anonymous mapping of this process.
QByteArray snapshotWritableMemory()
{
    QFile maps(QStringLiteral("/proc/self/maps"));
    QFile mem(QStringLiteral("/proc/self/mem"));
    if (!maps.open(QIODevice::ReadOnly) || !mem.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> lines = maps.readAll().split('\n');
    QByteArray snapshot;
    snapshot.reserve(256 * 1024 * 1024);
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 5 || !fields.at(1).startsWith("rw"))
            continue;
        // Anonymous (no path) or the [heap]; skip stacks of other kinds and files.
        const QByteArray path = fields.size() >= 6 ? fields.at(5) : QByteArray();
        if (!path.isEmpty() && path != "[heap]")
            continue;
        const QList<QByteArray> range = fields.at(0).split('-');
        const quint64 begin = range.at(0).toULongLong(nullptr, 16);
        const quint64 end = range.at(1).toULongLong(nullptr, 16);
        if (end - begin > 512ull * 1024 * 1024 || !mem.seek(qint64(begin)))
            continue;
        snapshot += mem.read(qint64(end - begin));
        snapshot += '\0';
    }
    return snapshot;
}

} // namespace

class tst_HeapScan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noTokenInMemoryAfterSignOut()
    {
        QVERIFY2(qgetenv("GLIBC_TUNABLES").contains("tcache_count=0"),
                 "run through ctest: freed memory must be perturbed (heapscan.cmake)");
        // The server in its own process, so its copies are not in ours.
        QProcess server;
        server.start(QStringLiteral(SECURETOKENS_MOCK_SERVER_PATH),
                     {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--admin")});
        QVERIFY(server.waitForReadyRead(kWait));
        const QByteArray first = server.readLine().trimmed();
        QVERIFY(first.startsWith("listening on "));
        const QString base = QString::fromLatin1(first.mid(13));

        std::vector<SecretBytes> masked; // the tokens, XOR-masked while we scan
        {
            SessionConfig config;
            config.tokenEndpoint = QUrl(base + QStringLiteral("/oauth/token"));
            config.revocationEndpoint = QUrl(base + QStringLiteral("/oauth/revoke"));
            config.clientId = QStringLiteral("demo");
            config.account = QStringLiteral("heapscan");
            config.secretStore = std::make_shared<MemorySecretStore>();
            Session session(config);
            session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
            QTRY_VERIFY_WITH_TIMEOUT(session.isSignedIn(), kWait);

            QNetworkAccessManager admin;
            auto adminCall = [&](const QByteArray &verb, const QString &path,
                                 const QByteArray &body) {
                QNetworkRequest request {QUrl(base + path)};
                request.setHeader(QNetworkRequest::ContentTypeHeader,
                                  QByteArrayLiteral("application/json"));
                std::unique_ptr<QNetworkReply> reply(admin.sendCustomRequest(request, verb, body));
                QSignalSpy finished(reply.get(), &QNetworkReply::finished);
                finished.wait(kWait);
                QByteArray answer = reply->readAll();
                return answer;
            };

            {
                // A 401 absorbed (refresh + retry), and a plain refresh.
                AuthenticatedNetworkAccessManager manager(&session);
                adminCall("POST", QStringLiteral("/admin/faults"), "{\"reject_access_tokens\": 1}");
                std::unique_ptr<QNetworkReply> reply(
                        manager.get(QNetworkRequest(QUrl(base + QStringLiteral("/api/me")))));
                QSignalSpy finished(reply.get(), &QNetworkReply::finished);
                QVERIFY(finished.wait(kWait));
                QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
                session.refresh();
                QTRY_COMPARE_WITH_TIMEOUT(session.refreshCount(), 2, kWait);
            }

            // Every token issued, kept masked so the scan cannot find our own copy.
            QByteArray list = adminCall("GET", QStringLiteral("/admin/tokens"), {});
            const QJsonObject tokens = QJsonDocument::fromJson(list).object();
            secureWipe(list);
            for (const char *kind : {"access_tokens", "refresh_tokens"}) {
                for (const QJsonValue &value : tokens.value(QLatin1String(kind)).toArray()) {
                    QByteArray token = value.toString().toLatin1();
                    for (char &c : token)
                        c ^= kMask;
                    masked.push_back(SecretBytes::adopt(token));
                }
            }
            QCOMPARE(masked.size(), std::size_t(4)); // 3 access tokens, 1 live refresh token

            QSignalSpy signedOut(&session, &Session::signedOut);
            session.signOut();
            QVERIFY(signedOut.wait(kWait));
        }
        // Let deferred deletions run (replies, the session's network manager).
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QCoreApplication::processEvents();

        const QByteArray snapshot = snapshotWritableMemory();
        QVERIFY(snapshot.size() > 1024 * 1024);
        int found = 0;
        for (const SecretBytes &token : masked) {
            QByteArray plain = token.toByteArray();
            for (char &c : plain)
                c ^= kMask;
            // Whole token, and the part that is unique to it (its signature / tail).
            const QByteArray tail = plain.right(24);
            if (snapshot.contains(plain) || snapshot.contains(tail))
                ++found;
            secureWipe(plain);
        }
        QCOMPARE(found, 0);
        server.terminate();
        server.waitForFinished();
    }
};

QTEST_GUILESS_MAIN(tst_HeapScan)
#include "tst_heapscan.moc"
