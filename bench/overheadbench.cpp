// SPDX-License-Identifier: MIT
// Overhead of AuthenticatedNetworkAccessManager over a plain QNetworkAccessManager
// that sets the same Authorization header by hand, measured side by side.
#include "benchmarks.h"
#include "benchutil.h"
#include "mockserverprocess.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <array>
#include <cstdio>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define SECURETOKENS_BENCH_HAVE_CALLGRIND 1
#endif

namespace Bench {

namespace {

constexpr int inFlight = 64;
// Under callgrind one request at a time, so that each request costs the same
// event-loop work however fast the server (at full speed, while the client
// runs some 50x slower) answers; with many in flight, how many answers each
// wake-up finds would vary from run to run.
constexpr int callgrindInFlight = 1;

struct Clients
{
    std::unique_ptr<SecureTokens::Session> session;
    std::unique_ptr<SecureTokens::AuthenticatedNetworkAccessManager> sdk;
    std::unique_ptr<QNetworkAccessManager> plain;
    QNetworkRequest request;
    QByteArray bearer; //!< the plain client's header, taken once per block
};

bool makeClients(const QUrl &base, Clients *clients, bool dpop = false)
{
    SecureTokens::SessionConfig config = sessionConfig(base);
    // DPoP (RFC 9449): every API request carries a fresh ES256 proof.
    config.dpop = dpop ? SecureTokens::DpopMode::Required : SecureTokens::DpopMode::Off;
    clients->session = signedInSession(config);
    if (!clients->session)
        return false;
    clients->sdk = std::make_unique<SecureTokens::AuthenticatedNetworkAccessManager>(
            clients->session.get());
    clients->plain = std::make_unique<QNetworkAccessManager>();
    clients->request = QNetworkRequest(base.resolved(QUrl(QStringLiteral("/api/me"))));
    return true;
}

std::function<QNetworkReply *()> sender(Clients &clients, bool sdk)
{
    if (sdk)
        return [&clients]() {
            return clients.sdk->get(clients.request);
        };
    // The baseline is as cheap as an app can make it: the header is built once
    // per block from accessTokenForExternalUse(), not once per request.
    clients.bearer = externalBearer(*clients.session);
    return [&clients]() {
        QNetworkRequest request = clients.request;
        request.setRawHeader(QByteArrayLiteral("Authorization"), clients.bearer);
        return clients.plain->get(request);
    };
}

struct Side
{
    double elapsedMs = 0;
    int ok = 0;
    int failed = 0;
    QList<double> latencies;
    void add(const LoadResult &r)
    {
        elapsedMs += r.elapsedMs;
        ok += r.ok;
        failed += r.failed + (r.sent - r.ok - r.failed);
        latencies += r.latenciesMs;
    }
    double throughput() const { return ratio(ok * 1000.0, elapsedMs); }
};

} // namespace

QJsonObject runOverhead(const Options &options, MockServerProcess &server)
{
    Clients clients;
    if (!makeClients(server.baseUrl(), &clients))
        return {};
    const int perSide = 10000;
    // Many short blocks per side, in ABBA order: each pair runs back to back, so a
    // burst of load from elsewhere on the machine hits both clients alike.
    const int blocks = 40;
    const int blockSize = perSide / blocks;

    // Warm-up: connections open, allocator and caches settled on both sides.
    runClosedLoop(1000, inFlight, sender(clients, true));
    runClosedLoop(1000, inFlight, sender(clients, false));

    Side sdk, plain;
    QJsonArray blockRatios;
    for (int b = 0; b < blocks; ++b) {
        const bool sdkFirst = (b % 2) == 0;
        LoadResult first = runClosedLoop(blockSize, inFlight, sender(clients, sdkFirst));
        LoadResult second = runClosedLoop(blockSize, inFlight, sender(clients, !sdkFirst));
        const LoadResult &s = sdkFirst ? first : second;
        const LoadResult &p = sdkFirst ? second : first;
        sdk.add(s);
        plain.add(p);
        blockRatios.append(ratio(p.elapsedMs, s.elapsedMs));
    }

    const double sdkP50 = percentile(sdk.latencies, 50), plainP50 = percentile(plain.latencies, 50);
    const double sdkP99 = percentile(sdk.latencies, 99), plainP99 = percentile(plain.latencies, 99);
    // The headline ratio is the median of the per-pair ratios (robust against
    // bursts of load); the ratio of the totals is reported beside it.
    QList<double> pairRatios;
    for (const QJsonValue &v : std::as_const(blockRatios))
        pairRatios.append(v.toDouble());
    const double throughputRatio = median(pairRatios);
    const double aggregateRatio = ratio(sdk.throughput(), plain.throughput());
    printTable(QStringLiteral("Overhead: %1 GETs /api/me per client, %2 in flight, %3 ABBA blocks")
                       .arg(perSide)
                       .arg(inFlight)
                       .arg(blocks * 2),
               {QStringLiteral("client"), QStringLiteral("ok"), QStringLiteral("failed"),
                QStringLiteral("req/s"), QStringLiteral("p50 ms"), QStringLiteral("p99 ms")},
               {{QStringLiteral("AuthenticatedNetworkAccessManager"), QString::number(sdk.ok),
                 QString::number(sdk.failed), fixed(sdk.throughput(), 0), fixed(sdkP50),
                 fixed(sdkP99)},
                {QStringLiteral("plain QNAM + hand-set header"), QString::number(plain.ok),
                 QString::number(plain.failed), fixed(plain.throughput(), 0), fixed(plainP50),
                 fixed(plainP99)},
                {QStringLiteral("ratio SDK / plain (totals)"), QString(), QString(),
                 fixed(aggregateRatio, 3), fixed(ratio(sdkP50, plainP50), 3),
                 fixed(ratio(sdkP99, plainP99), 3)},
                {QStringLiteral("ratio SDK / plain (median of block pairs)"), QString(), QString(),
                 fixed(throughputRatio, 3), QString(), QString()}});

    return QJsonObject {
            {QStringLiteral("requests_per_client"), perSide},
            {QStringLiteral("in_flight"), inFlight},
            {QStringLiteral("sdk_ok"), sdk.ok},
            {QStringLiteral("sdk_failed"), sdk.failed},
            {QStringLiteral("plain_ok"), plain.ok},
            {QStringLiteral("plain_failed"), plain.failed},
            {QStringLiteral("sdk_req_per_s"), sdk.throughput()},
            {QStringLiteral("plain_req_per_s"), plain.throughput()},
            {QStringLiteral("sdk_p50_ms"), sdkP50},
            {QStringLiteral("plain_p50_ms"), plainP50},
            {QStringLiteral("sdk_p99_ms"), sdkP99},
            {QStringLiteral("plain_p99_ms"), plainP99},
            {QStringLiteral("throughput_ratio"), throughputRatio},
            {QStringLiteral("throughput_ratio_of_totals"), aggregateRatio},
            {QStringLiteral("block_size"), blockSize},
            {QStringLiteral("p50_ratio"), ratio(sdkP50, plainP50)},
            {QStringLiteral("p99_ratio"), ratio(sdkP99, plainP99)},
            {QStringLiteral("block_throughput_ratios"), blockRatios},
    };
}

int callgrindChild(const Options &options, bool sdkSide, int requests, int inFlight, bool dpop)
{
    MockServerProcess server;
    QString error;
    server.setExecutable(options.serverProgram);
    server.process().setStandardErrorFile(QProcess::nullDevice());
    if (!server.start(benchServerArguments())) {
        error = server.errorString();
        std::fprintf(stderr, "bench: %s\n", qPrintable(error));
        return 2;
    }
    Clients clients;
    if (!makeClients(server.baseUrl(), &clients, dpop))
        return 2;
    if (dpop && clients.session->dpopThumbprint().isEmpty()) {
        std::fprintf(stderr, "bench: the DPoP session has no key\n");
        return 2;
    }
    auto send = sender(clients, sdkSide);
    // Warm-up, not instrumented: connections open, caches settled.
    runClosedLoop(200, std::min(inFlight, 64), send);
#ifdef SECURETOKENS_BENCH_HAVE_CALLGRIND
    CALLGRIND_ZERO_STATS;
    CALLGRIND_START_INSTRUMENTATION;
#endif
    const LoadResult result = runClosedLoop(requests, inFlight, send, 1800000);
#ifdef SECURETOKENS_BENCH_HAVE_CALLGRIND
    CALLGRIND_STOP_INSTRUMENTATION;
#endif
    std::printf("ok %d failed %d\n", result.ok, result.sent - result.ok);
    std::fflush(stdout);
    return result.ok == requests ? 0 : 1;
}

namespace {

//! One in-flight level under callgrind: the median Ir per request of each side.
struct Level
{
    int inFlight = 1;
    int requests = 0;
    int runs = 1;
};

QJsonObject callgrindLevel(const Options &options, const QString &valgrind, const Level &level,
                           QTemporaryDir &dir, std::array<qint64, 2> *perRequest)
{
    QJsonObject out {{QStringLiteral("in_flight"), level.inFlight},
                     {QStringLiteral("requests"), level.requests},
                     {QStringLiteral("runs"), level.runs}};
    std::array<QList<qint64>, 2> samples;
    for (int run = 0; run < level.runs; ++run) {
        for (int side = 0; side < 2; ++side) {
            const QString name = side == 0 ? QStringLiteral("sdk") : QStringLiteral("plain");
            const QString file = dir.filePath(QStringLiteral("callgrind.out.%1.%2.%3")
                                                      .arg(name)
                                                      .arg(level.inFlight)
                                                      .arg(run));
            QProcess child;
            child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            child.start(valgrind,
                        {QStringLiteral("-q"), QStringLiteral("--tool=callgrind"),
                         QStringLiteral("--instr-atstart=no"),
                         QStringLiteral("--callgrind-out-file=") + file, options.selfProgram,
                         QStringLiteral("--callgrind-") + name, QStringLiteral("--requests"),
                         QString::number(level.requests), QStringLiteral("--in-flight"),
                         QString::number(level.inFlight), QStringLiteral("--server-program"),
                         options.serverProgram});
            // Bounded: callgrind slows the client some 50x; 15 minutes is far beyond that.
            if (!child.waitForFinished(15 * 60 * 1000) || child.exitCode() != 0) {
                std::fprintf(stderr, "bench: callgrind run (%s, %d in flight) failed: %s\n",
                             qPrintable(name), level.inFlight,
                             child.readAllStandardOutput().constData());
                child.kill();
                child.waitForFinished();
                return {};
            }
            const qint64 total = callgrindTotal(file);
            if (total <= 0) {
                std::fprintf(stderr, "bench: no totals in the callgrind output\n");
                return {};
            }
            samples.at(side).append(total / level.requests);
        }
    }
    for (int side = 0; side < 2; ++side) {
        QList<qint64> &values = samples.at(side);
        std::sort(values.begin(), values.end());
        perRequest->at(side) = values.at(values.size() / 2);
        const QString name = side == 0 ? QStringLiteral("sdk") : QStringLiteral("plain");
        out.insert(name + QStringLiteral("_instructions_per_request"), perRequest->at(side));
        out.insert(name + QStringLiteral("_instructions_min"), values.first());
        out.insert(name + QStringLiteral("_instructions_max"), values.last());
    }
    out.insert(QStringLiteral("instructions_ratio"),
               ratio(double(perRequest->at(0)), double(perRequest->at(1))));
    return out;
}

} // namespace

QJsonObject runCallgrind(const Options &options)
{
#ifndef SECURETOKENS_BENCH_HAVE_CALLGRIND
    std::fprintf(stderr, "bench: built without <valgrind/callgrind.h>; callgrind skipped\n");
    return {};
#else
    const QString valgrind = QStandardPaths::findExecutable(QStringLiteral("valgrind"));
    if (valgrind.isEmpty()) {
        std::fprintf(stderr, "bench: valgrind not found; callgrind skipped\n");
        return {};
    }
    // The headline is one request at a time (see callgrindInFlight), several
    // runs per side, alternating, the median of each side; identical runs
    // agree within ~0.3%. Then the same at more requests in flight, to see
    // how the cost per request grows with the work (one run each: the
    // in-flight levels cost minutes under callgrind; 10 000 in the full run only).
    QList<Level> levels {{callgrindInFlight, options.quick ? 200 : 500, options.quick ? 1 : 3},
                         {64, options.quick ? 256 : 640, 1},
                         {1000, 1000, 1}};
    if (!options.quick)
        levels.append({10000, 10000, 1});
    QTemporaryDir dir;
    QJsonObject out;
    QJsonObject byLevel;
    QList<QStringList> rows;
    std::array<qint64, 2> headline {};
    for (const Level &level : std::as_const(levels)) {
        std::array<qint64, 2> perRequest {};
        const QJsonObject section = callgrindLevel(options, valgrind, level, dir, &perRequest);
        if (section.isEmpty())
            return {};
        byLevel.insert(QString::number(level.inFlight), section);
        const double r = section.value(QStringLiteral("instructions_ratio")).toDouble();
        out.insert(QStringLiteral("instructions_ratio_in_flight_%1").arg(level.inFlight), r);
        rows.append({QString::number(level.inFlight), QString::number(level.requests),
                     QString::number(level.runs), QString::number(perRequest.at(0)),
                     QString::number(perRequest.at(1)), fixed(r, 3)});
        if (level.inFlight == callgrindInFlight) {
            headline = perRequest;
            for (auto it = section.begin(); it != section.end(); ++it)
                out.insert(it.key(), it.value());
        }
    }
    out.insert(QStringLiteral("by_in_flight"), byLevel);
    const double r = ratio(double(headline.at(0)), double(headline.at(1)));
    out.insert(QStringLiteral("instructions_ratio"), r);
    printTable(QStringLiteral("Instructions per request (callgrind, client process only; median "
                              "of the runs)"),
               {QStringLiteral("in flight"), QStringLiteral("requests"), QStringLiteral("runs"),
                QStringLiteral("SDK Ir / request"), QStringLiteral("plain Ir / request"),
                QStringLiteral("ratio SDK / plain")},
               rows);
    return out;
#endif
}

} // namespace Bench
