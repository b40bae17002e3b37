// SPDX-License-Identifier: MIT
// Cold start: process start to the first authorized response with a stored
// refresh token, split into phases, in fresh child processes (this program
// re-executed with --cold-start-child), compared with a lone refresh.
#include "benchmarks.h"
#include "benchutil.h"
#include "mockserverprocess.h"

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/keychainsecretstore.h>
#include <securetokens/memorysecretstore.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>

#include <cstdio>

namespace Bench {

namespace {

const QString account = QStringLiteral("cold-start");
const QString service = QStringLiteral("SecureTokensBench");

//! Forwards to a real store and notes when reads and writes begin and end.
class TimingSecretStore : public SecureTokens::SecretStore
{
public:
    explicit TimingSecretStore(std::shared_ptr<SecureTokens::SecretStore> inner)
        : m_inner(std::move(inner))
    {
        setTimeout(m_inner->timeout());
    }

    //! The first read and the first write; busyNs adds up every read and write.
    qint64 readBeginNs = 0, readEndNs = 0, writeBeginNs = 0, writeEndNs = 0, busyNs = 0;

    void read(const QString &name, QObject *context, ReadCallback done) override
    {
        const qint64 begin = monotonicNs();
        if (!readBeginNs)
            readBeginNs = begin;
        m_inner->read(name, context,
                      [this, done, begin](Result result, SecureTokens::SecretBytes s) {
                          const qint64 end = monotonicNs();
                          if (!readEndNs)
                              readEndNs = end;
                          busyNs += end - begin;
                          done(std::move(result), std::move(s));
                      });
    }
    void write(const QString &name, const SecureTokens::SecretBytes &secret, QObject *context,
               Callback done) override
    {
        const qint64 begin = monotonicNs();
        if (!writeBeginNs)
            writeBeginNs = begin;
        m_inner->write(name, secret, context, [this, done, begin](Result result) {
            const qint64 end = monotonicNs();
            if (!writeEndNs)
                writeEndNs = end;
            busyNs += end - begin;
            done(std::move(result));
        });
    }
    void remove(const QString &name, QObject *context, Callback done) override
    {
        m_inner->remove(name, context, std::move(done));
    }
    QString backendName() const override { return m_inner->backendName(); }

private:
    std::shared_ptr<SecureTokens::SecretStore> m_inner;
};

SecureTokens::SessionConfig coldConfig(const QUrl &base,
                                       std::shared_ptr<SecureTokens::SecretStore> store)
{
    SecureTokens::SessionConfig config = sessionConfig(base);
    config.account = account;
    config.storagePolicy = SecureTokens::StoragePolicy::Required;
    config.secretStore = std::move(store);
    return config;
}

bool useKeychain()
{
    return !qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS");
}

//! Signs in once so that the keychain holds a refresh token for the children.
bool seedKeychain(const QUrl &base)
{
    auto store = std::make_shared<SecureTokens::KeychainSecretStore>(service);
    return signedInSession(coldConfig(base, store)) != nullptr; // destroyed without sign-out
}

void removeKeychainEntry()
{
    auto store = std::make_shared<SecureTokens::KeychainSecretStore>(service);
    bool done = false;
    store->remove(account, store.get(),
                  [&done](SecureTokens::SecretStore::Result) { done = true; });
    waitUntil([&done]() { return done; }, 15000);
}

double ms(qint64 fromNs, qint64 toNs)
{
    return double(toNs - fromNs) / 1e6;
}

const QStringList phases {QStringLiteral("process_start_ms"), QStringLiteral("setup_ms"),
                          QStringLiteral("keychain_read_ms"), QStringLiteral("refresh_ms"),
                          QStringLiteral("request_ms"),       QStringLiteral("total_ms")};

} // namespace

int coldStartChild(const QStringList &arguments)
{
    const qint64 appReadyNs = monotonicNs(); // QCoreApplication exists when this runs
    QCommandLineParser parser;
    const QCommandLineOption serverOption(QStringLiteral("server"), QString(),
                                          QStringLiteral("URL"));
    const QCommandLineOption storeOption(QStringLiteral("store"), QString(),
                                         QStringLiteral("KIND"));
    const QCommandLineOption spawnedOption(QStringLiteral("spawned-at-ns"), QString(),
                                           QStringLiteral("NS"));
    parser.addOptions({serverOption, storeOption, spawnedOption,
                       QCommandLineOption(QStringLiteral("cold-start-child"))});
    if (!parser.parse(arguments))
        return 2;
    const QUrl base(parser.value(serverOption));
    const qint64 spawnedNs = parser.value(spawnedOption).toLongLong();
    const bool keychain = parser.value(storeOption) == QLatin1String("keychain");

    std::shared_ptr<SecureTokens::SecretStore> inner;
    if (keychain) {
        inner = std::make_shared<SecureTokens::KeychainSecretStore>(service);
    } else {
        // No keychain: put a refresh token into a memory store first (not timed).
        inner = std::make_shared<SecureTokens::MemorySecretStore>();
        if (!signedInSession(coldConfig(base, inner)))
            return 2;
    }

    const qint64 setupBeginNs = monotonicNs();
    auto store = std::make_shared<TimingSecretStore>(inner);
    SecureTokens::Session session(coldConfig(base, store));
    SecureTokens::AuthenticatedNetworkAccessManager nam(&session);
    qint64 tokenNs = 0;
    QObject::connect(&session, &SecureTokens::Session::accessTokenChanged, &session, [&]() {
        if (!tokenNs)
            tokenNs = monotonicNs();
    });
    bool failed = false;
    QObject::connect(&session, &SecureTokens::Session::errorOccurred, &session,
                     [&failed](const SecureTokens::ErrorInfo &error) {
                         std::fprintf(stderr, "cold-start child: %s\n", qPrintable(error.message));
                         failed = true;
                     });
    const qint64 restoreNs = monotonicNs();
    session.restore();
    // As an app does at start: ask for data right away; the manager waits for the token.
    QNetworkReply *reply = nam.get(QNetworkRequest(base.resolved(QUrl(QStringLiteral("/api/me")))));
    qint64 responseNs = 0;
    int status = 0;
    QObject::connect(reply, &QNetworkReply::finished, reply, [&]() {
        responseNs = monotonicNs();
        status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    });
    if (!waitUntil([&]() { return responseNs != 0 || failed; }, 30000) || status != 200)
        return 3;

    // A lone refresh in the same process, warm (median of 3), and its share spent in storage.
    QList<double> rtts, networkRtts;
    for (int i = 0; i < 3; ++i) {
        const int before = session.refreshCount();
        const qint64 busyBefore = store->busyNs;
        const qint64 start = monotonicNs();
        session.refresh();
        if (!waitUntil([&]() { return session.refreshCount() > before || failed; }, 15000)
            || failed)
            return 4;
        rtts.append(ms(start, monotonicNs()));
        networkRtts.append(rtts.last() - ms(busyBefore, store->busyNs));
    }

    const qint64 readBegin = store->readBeginNs ? store->readBeginNs : restoreNs;
    const qint64 readEnd = store->readEndNs ? store->readEndNs : readBegin;
    const QJsonObject out {
            {QStringLiteral("backend"), session.storageBackend()},
            {QStringLiteral("process_start_ms"), ms(spawnedNs, appReadyNs)},
            {QStringLiteral("setup_ms"), ms(setupBeginNs, restoreNs) + ms(restoreNs, readBegin)},
            {QStringLiteral("keychain_read_ms"), ms(readBegin, readEnd)},
            {QStringLiteral("refresh_ms"), ms(readEnd, tokenNs)},
            {QStringLiteral("keychain_write_ms"),
             store->writeEndNs ? ms(store->writeBeginNs, store->writeEndNs) : 0.0},
            {QStringLiteral("request_ms"), ms(tokenNs, responseNs)},
            {QStringLiteral("total_ms"), ms(spawnedNs, appReadyNs) + ms(setupBeginNs, responseNs)},
            {QStringLiteral("refresh_rtt_ms"), median(rtts)},
            {QStringLiteral("refresh_rtt_without_storage_ms"), median(networkRtts)},
    };
    std::printf("COLD-START %s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
    return 0;
}

QJsonObject runColdStart(const Options &options, MockServerProcess &server)
{
    bool keychain = useKeychain();
    QString storeNote = keychain
            ? QStringLiteral("real Secret Service over D-Bus (QtKeychain)")
            : QStringLiteral("MemorySecretStore: DBUS_SESSION_BUS_ADDRESS is not set (run under "
                             "scripts/with-keyring for the real Secret Service); the token is "
                             "put in memory by an untimed sign-in in the child first, so Qt's "
                             "network stack is already warm");
    if (keychain && !seedKeychain(server.baseUrl())) {
        keychain = false;
        storeNote = QStringLiteral("MemorySecretStore: signing in with the Secret Service failed");
    }
    const int runs = options.quick ? 3 : 7;
    QHash<QString, QList<double>> samples;
    QString backend;
    int failures = 0;
    for (int run = 0; run < runs; ++run) {
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        const qint64 spawnedNs = monotonicNs();
        child.start(options.selfProgram,
                    {QStringLiteral("--cold-start-child"), QStringLiteral("--server"),
                     server.baseUrl().toString(), QStringLiteral("--store"),
                     keychain ? QStringLiteral("keychain") : QStringLiteral("memory"),
                     QStringLiteral("--spawned-at-ns"), QString::number(spawnedNs)});
        if (!child.waitForFinished(60000) || child.exitCode() != 0) {
            child.kill();
            child.waitForFinished();
            ++failures;
            continue;
        }
        const QList<QByteArray> lines = child.readAllStandardOutput().split('\n');
        for (const QByteArray &line : lines) {
            if (!line.startsWith("COLD-START "))
                continue;
            const QJsonObject o = QJsonDocument::fromJson(line.mid(11)).object();
            backend = o.value(QStringLiteral("backend")).toString();
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (it.value().isDouble())
                    samples[it.key()].append(it.value().toDouble());
            }
        }
    }
    if (keychain)
        removeKeychainEntry();
    if (samples.isEmpty()) {
        std::fprintf(stderr, "bench: every cold-start child failed\n");
        return {};
    }

    QJsonObject out {{QStringLiteral("runs"), runs - failures},
                     {QStringLiteral("failed_runs"), failures},
                     {QStringLiteral("store"), backend},
                     {QStringLiteral("store_note"), storeNote}};
    const double total = median(samples.value(QStringLiteral("total_ms")));
    const double rtt = median(samples.value(QStringLiteral("refresh_rtt_ms")));
    QList<QStringList> rows;
    for (const QString &phase : phases
                 + QStringList {QStringLiteral("keychain_write_ms"),
                                QStringLiteral("refresh_rtt_ms"),
                                QStringLiteral("refresh_rtt_without_storage_ms")}) {
        const double value = median(samples.value(phase));
        out.insert(phase, value);
        QString label = phase;
        label.chop(3);
        if (phase == QLatin1String("keychain_write_ms"))
            label = QStringLiteral("  of which: store the rotated token");
        if (phase == QLatin1String("refresh_rtt_ms"))
            label = QStringLiteral("lone refresh, warm process (reference)");
        if (phase == QLatin1String("refresh_rtt_without_storage_ms"))
            label = QStringLiteral("  of which: not in the store (network, server)");
        rows.append({label, fixed(value), fixed(ratio(value, rtt), 1)});
    }
    out.insert(QStringLiteral("ms"), total);
    out.insert(QStringLiteral("total_over_refresh_rtt"), ratio(total, rtt));
    printTable(QStringLiteral("Cold start: process start -> first authorized response (median of "
                              "%1 child processes, store: %2)")
                       .arg(runs - failures)
                       .arg(backend),
               {QStringLiteral("phase"), QStringLiteral("ms"), QStringLiteral("x refresh RTT")},
               rows);
    printNote(QStringLiteral("Store: ") + storeNote);
    return out;
}

} // namespace Bench
