// SPDX-License-Identifier: MIT
// Issue 19 item 6: no buffer the SDK owns is freed while it still holds a
// token. glibc's defaults (no free-perturb, its per-thread cache on): a freed
// block keeps its bytes until reused, so every unwiped copy is there for a
// core dump or a debugger to find.
//
// The run: sign in, a 401 absorbed (refresh + retry), several rotations, a
// second Session restoring from the store (the read path), sign-out of both,
// with both Sessions alive during the scan. Every token the server issued
// (access, every refresh token including the rotated-away ones, ID tokens) is
// looked for, as bytes and as UTF-16.
//
// Who owned a copy: FreeWatch (freewatch.h) sees each freed block that might
// hold a token together with the stack that freed it; the first frame outside
// libc, the C++ runtime and Qt's generic containers owned it. SDK-owned copies
// must be 0. What Qt (QNetworkAccessManager, its JSON parser), QtKeychain,
// libsecret or D-Bus leave is reported (qInfo) for docs/security-model.md, as
// is what the final scan of all writable memory still finds.

#include "freewatch.h"

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/encryptedfilesecretstore.h>
#include <securetokens/keychainsecretstore.h>
#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace SecureTokens;

namespace {

constexpr int kWait = 15000;
constexpr char kMask = 0x5a;
constexpr int kRotations = 4;

struct Region
{
    quintptr address;
    qsizetype offset; // in the snapshot
    qsizetype size;
};

// A copy of every writable private anonymous mapping of this process (heap,
// thread arenas, mmap'd large blocks), FreeWatch's own arena left out.
QByteArray snapshotWritableMemory(std::vector<Region> *regions)
{
    QFile maps(QStringLiteral("/proc/self/maps"));
    QFile mem(QStringLiteral("/proc/self/mem"));
    if (!maps.open(QIODevice::ReadOnly) || !mem.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> lines = maps.readAll().split('\n');
    const auto [arenaBegin, arenaSize] = FreeWatch::arena();
    QByteArray snapshot;
    snapshot.reserve(256 * 1024 * 1024);
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 5 || !fields.at(1).startsWith("rw"))
            continue;
        const QByteArray path = fields.size() >= 6 ? fields.at(5) : QByteArray();
        if (!path.isEmpty() && path != "[heap]")
            continue;
        const QList<QByteArray> range = fields.at(0).split('-');
        const quint64 begin = range.at(0).toULongLong(nullptr, 16);
        const quint64 end = range.at(1).toULongLong(nullptr, 16);
        if (begin >= arenaBegin && end <= arenaBegin + arenaSize)
            continue;
        if (end - begin > 512ull * 1024 * 1024 || !mem.seek(qint64(begin)))
            continue;
        const QByteArray bytes = mem.read(qint64(end - begin));
        regions->push_back({quintptr(begin), snapshot.size(), bytes.size()});
        snapshot += bytes;
        snapshot += '\0';
    }
    return snapshot;
}

QByteArray utf16Of(QByteArrayView latin1)
{
    const QString s = QString::fromLatin1(latin1);
    return QByteArray(reinterpret_cast<const char *>(s.utf16()), s.size() * 2);
}

// Offsets of every occurrence of the token's unique tail (its signature, for
// a JWT), as bytes and as UTF-16.
QList<qsizetype> occurrences(QByteArrayView haystack, QByteArrayView token)
{
    QList<qsizetype> at;
    const QByteArrayView tail = token.last(qMin<qsizetype>(24, token.size()));
    QByteArray wide = utf16Of(tail);
    for (const QByteArrayView needle : {tail, QByteArrayView(wide)}) {
        for (qsizetype i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1))
            at.append(i);
    }
    secureWipe(wide);
    return at;
}

QString summary(const QMap<QString, int> &counts)
{
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(QStringLiteral("%1: %2").arg(it.key()).arg(it.value()));
    return parts.isEmpty() ? QStringLiteral("none") : parts.join(QStringLiteral(", "));
}

} // namespace

class tst_HeapScan : public QObject
{
    Q_OBJECT

    QProcess m_server;
    QString m_base;

    QByteArray admin(const QByteArray &verb, const QString &path, const QByteArray &body = {})
    {
        QNetworkAccessManager nam;
        QNetworkRequest request {QUrl(m_base + path)};
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        std::unique_ptr<QNetworkReply> reply(nam.sendCustomRequest(request, verb, body));
        QSignalSpy finished(reply.get(), &QNetworkReply::finished);
        finished.wait(kWait);
        return reply->readAll();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!qEnvironmentVariableIsSet("GLIBC_TUNABLES"),
                 "glibc's defaults: no perturb, per-thread cache on");
    }

    // A server per row, so that each row looks for its own tokens.
    void init()
    {
        // The server in its own process, so its copies are not in ours.
        m_server.start(QStringLiteral(SECURETOKENS_MOCK_SERVER_PATH),
                       {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--admin")});
        QVERIFY(m_server.waitForReadyRead(kWait));
        const QByteArray first = m_server.readLine().trimmed();
        QVERIFY(first.startsWith("listening on "));
        m_base = QString::fromLatin1(first.mid(13));
    }

    void cleanup()
    {
        m_server.terminate();
        m_server.waitForFinished();
    }

    void noSdkOwnedCopyOfAnyToken_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addRow("memory") << QStringLiteral("memory");
        QTest::addRow("encrypted file") << QStringLiteral("file");
        QTest::addRow("keychain") << QStringLiteral("keychain");
    }

    void noSdkOwnedCopyOfAnyToken()
    {
        QFETCH(QString, store);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        SessionConfig config;
        config.tokenEndpoint = QUrl(m_base + QStringLiteral("/oauth/token"));
        config.revocationEndpoint = QUrl(m_base + QStringLiteral("/oauth/revoke"));
        config.clientId = QStringLiteral("demo");
        config.account = QStringLiteral("heapscan-") + store;
        if (store == QLatin1String("memory")) {
            config.secretStore = std::make_shared<MemorySecretStore>();
        } else if (store == QLatin1String("file")) {
            QByteArray pass("correct horse battery staple");
            config.secretStore = std::make_shared<EncryptedFileSecretStore>(
                    dir.filePath(QStringLiteral("tokens.bin")),
                    std::make_shared<const SecretBytes>(SecretBytes::adopt(pass)));
        } else {
            QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                     "run through scripts/with-keyring (ctest does)");
            config.secretStore = std::make_shared<KeychainSecretStore>(
                    QStringLiteral("org.securetokens.test.heapscan"));
        }

        FreeWatch::reset();
        FreeWatch::start();
        Session first(config);
        Session second(config);
        {
            first.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
            QTRY_VERIFY_WITH_TIMEOUT(first.isSignedIn(), kWait);

            // A 401 absorbed (refresh + retry), then plain rotations.
            AuthenticatedNetworkAccessManager manager(&first);
            admin("POST", QStringLiteral("/admin/faults"), "{\"reject_access_tokens\": 1}");
            std::unique_ptr<QNetworkReply> reply(
                    manager.get(QNetworkRequest(QUrl(m_base + QStringLiteral("/api/me")))));
            QSignalSpy finished(reply.get(), &QNetworkReply::finished);
            QVERIFY(finished.wait(kWait));
            QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            for (int i = 0; i < kRotations; ++i) {
                const int before = first.refreshCount();
                first.refresh();
                QTRY_COMPARE_WITH_TIMEOUT(first.refreshCount(), before + 1, kWait);
            }

            // The read path: a second Session restores from the store.
            second.restore();
            QTRY_VERIFY_WITH_TIMEOUT(second.isSignedIn(), kWait);

            QSignalSpy secondOut(&second, &Session::signedOut);
            second.signOut();
            QVERIFY(secondOut.wait(kWait));
            QSignalSpy firstOut(&first, &Session::signedOut);
            first.signOut();
            QVERIFY(firstOut.wait(kWait));
        }
        // Deferred deletions (replies, jobs) run; the Sessions stay alive.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QCoreApplication::processEvents();
        FreeWatch::stop();
        QCOMPARE(FreeWatch::overflowed(), std::size_t(0));

        // Every token issued, kept masked so that no scan finds our own copy.
        std::vector<SecretBytes> masked;
        QByteArray list = admin("GET", QStringLiteral("/admin/tokens"));
        {
            const QJsonObject tokens = QJsonDocument::fromJson(list).object();
            secureWipe(list);
            for (const char *kind : {"access_tokens", "issued_refresh_tokens", "id_tokens"}) {
                for (const QJsonValue &value : tokens.value(QLatin1String(kind)).toArray()) {
                    QByteArray token = value.toString().toLatin1();
                    for (char &c : token)
                        c ^= kMask;
                    masked.push_back(SecretBytes::adopt(token));
                }
            }
        }
        // sign-in + the 401's refresh + the rotations + the restore's refresh.
        const std::size_t issued = 1 + 1 + kRotations + 1;
        QVERIFY2(masked.size() >= 2 * issued, QByteArray::number(qulonglong(masked.size())));

        std::vector<Region> regions;
        const QByteArray snapshot = snapshotWritableMemory(&regions);
        QVERIFY(snapshot.size() > 1024 * 1024);

        // The freed blocks: who let go of each copy.
        struct Freed
        {
            FreeWatch::Release release;
            int tokens = 0;
        };
        std::vector<Freed> freed;
        QMap<QString, int> freedByOwner;
        QStringList sdkFrames;
        auto unmask = [](const SecretBytes &token) {
            QByteArray plain = token.toByteArray();
            for (char &c : plain)
                c ^= kMask;
            return plain;
        };
        FreeWatch::forEach([&](const FreeWatch::Release &release, QByteArrayView bytes) {
            int count = 0;
            for (const SecretBytes &token : masked) {
                QByteArray plain = unmask(token);
                if (!occurrences(bytes, plain).isEmpty())
                    ++count;
                secureWipe(plain);
            }
            if (count == 0)
                return;
            freed.push_back({release, count});
            if (qEnvironmentVariableIsSet("HEAPSCAN_VERBOSE"))
                qInfo().noquote() << release.owner << release.size << release.frame;
            freedByOwner[release.owner] += count;
            if (release.owner == QLatin1String("SDK") || release.owner == QLatin1String("test"))
                sdkFrames.append(release.frame);
        });

        // What all of writable memory still holds, by the owner of the freed
        // block it lies in ("live": in no block freed while watching).
        QMap<QString, int> scanByOwner;
        for (const SecretBytes &token : masked) {
            QByteArray plain = unmask(token);
            for (const qsizetype offset : occurrences(snapshot, plain)) {
                quintptr address = 0;
                for (const Region &r : regions) {
                    if (offset >= r.offset && offset < r.offset + r.size)
                        address = r.address + quintptr(offset - r.offset);
                }
                QString owner = QStringLiteral("live");
                for (auto it = freed.crbegin(); it != freed.crend(); ++it) {
                    if (address >= it->release.address
                        && address < it->release.address + it->release.size) {
                        owner = it->release.owner;
                        break;
                    }
                }
                ++scanByOwner[owner];
            }
            secureWipe(plain);
        }
        FreeWatch::reset();

        qInfo().noquote() << "tokens issued:" << masked.size()
                          << "| freed blocks with a token:" << freed.size();
        qInfo().noquote() << "token copies in freed blocks, by owner:" << summary(freedByOwner);
        qInfo().noquote() << "token copies in memory at the end, by owner:" << summary(scanByOwner);

        // FreeWatch works: Qt's network stack frees copies of every answer.
        QVERIFY2(freedByOwner.value(QStringLiteral("libQt6Network"))
                                 + freedByOwner.value(QStringLiteral("libQt6Core"))
                         > 0,
                 "FreeWatch saw no copy at all: is free() interposed?");
        QVERIFY2(sdkFrames.isEmpty(), qPrintable(sdkFrames.join(QStringLiteral("\n"))));
    }
};

QTEST_GUILESS_MAIN(tst_HeapScan)
#include "tst_heapscan.moc"
