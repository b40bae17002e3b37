// SPDX-License-Identifier: MIT
// Heap growth over a long run: bytes still allocated per request once the
// first 1000 requests have warmed everything up. The server is another
// process, so the heap measured here is the client's alone.
#include "benchmarks.h"
#include "benchutil.h"
#include "mockserverprocess.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QCoreApplication>
#include <QJsonArray>

#include <cstdio>

namespace Bench {

namespace {

//! Lets deleteLater() and queued work run out, so the heap holds only what stays.
qint64 settledHeap()
{
    for (int i = 0; i < 5; ++i) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    return heapInUse();
}

struct Growth
{
    qint64 heapAtFirst = 0;
    qint64 heapAtLast = 0;
    int failed = 0;
    double slope = 0; //!< bytes per request, fitted over the checkpoints
    QList<QPair<int, qint64>> checkpoints; //!< (requests so far, heap)
};

Growth measure(const std::function<QNetworkReply *()> &send, int first, int last)
{
    Growth g;
    runClosedLoop(1000, 64, send); // warm-up, not counted
    int done = 0;
    QList<int> targets {first};
    for (int i = 1; i <= 10; ++i)
        targets.append(last / 10 * i);
    for (int target : std::as_const(targets)) {
        if (target <= done)
            continue;
        const LoadResult r = runClosedLoop(target - done, 64, send, 600000);
        g.failed += r.sent - r.ok;
        done = target;
        g.checkpoints.append({done, settledHeap()});
    }
    g.heapAtFirst = g.checkpoints.first().second;
    g.heapAtLast = g.checkpoints.last().second;
    // Least-squares slope over all checkpoints: less sensitive to one noisy sample.
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const auto &p : std::as_const(g.checkpoints)) {
        const double x = p.first, y = double(p.second);
        n += 1;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    g.slope = ratio(n * sxy - sx * sy, n * sxx - sx * sx);
    return g;
}

} // namespace

QJsonObject runMemory(const Options &options, MockServerProcess &server)
{
    if (heapInUse() < 0) {
        std::fprintf(stderr, "bench: mallinfo2() is not available; memory skipped\n");
        return {};
    }
    const int first = 1000;
    const int last = options.quick ? 20000 : 100000;
    auto session = signedInSession(sessionConfig(server.baseUrl()));
    if (!session)
        return {};
    const QNetworkRequest request(server.url(QStringLiteral("/api/me")));

    Growth sdk, plain;
    {
        SecureTokens::AuthenticatedNetworkAccessManager nam(session.get());
        sdk = measure([&]() { return nam.get(request); }, first, last);
    }
    {
        QNetworkAccessManager nam;
        const QByteArray bearer = externalBearer(*session);
        plain = measure(
                [&]() {
                    QNetworkRequest r = request;
                    r.setRawHeader(QByteArrayLiteral("Authorization"), bearer);
                    return nam.get(r);
                },
                first, last);
    }
    const double span = double(last - first);
    const double sdkPerRequest = double(sdk.heapAtLast - sdk.heapAtFirst) / span;
    const double plainPerRequest = double(plain.heapAtLast - plain.heapAtFirst) / span;

    QList<QStringList> rows;
    for (qsizetype i = 0; i < sdk.checkpoints.size() && i < plain.checkpoints.size(); ++i) {
        rows.append({QString::number(sdk.checkpoints.at(i).first),
                     QString::number(sdk.checkpoints.at(i).second),
                     QString::number(plain.checkpoints.at(i).second)});
    }
    rows.append({QStringLiteral("growth, bytes/request after %1").arg(first),
                 fixed(sdkPerRequest, 3), fixed(plainPerRequest, 3)});
    rows.append({QStringLiteral("fitted slope, bytes/request"), fixed(sdk.slope, 3),
                 fixed(plain.slope, 3)});
    rows.append({QStringLiteral("SDK - plain, bytes/request (last - first)"),
                 fixed(sdkPerRequest - plainPerRequest, 3), QString()});
    printTable(QStringLiteral("Memory: heap in use (mallinfo2 uordblks, client process) after N "
                              "requests, 64 in flight"),
               {QStringLiteral("requests"), QStringLiteral("SDK heap bytes"),
                QStringLiteral("plain QNAM heap bytes")},
               rows);

    QJsonArray sdkPoints, plainPoints;
    for (const auto &p : std::as_const(sdk.checkpoints))
        sdkPoints.append(QJsonArray {p.first, p.second});
    for (const auto &p : std::as_const(plain.checkpoints))
        plainPoints.append(QJsonArray {p.first, p.second});
    return {{QStringLiteral("method"),
             QStringLiteral("mallinfo2().uordblks, after a 1000-request "
                            "warm-up and with deferred deletes run")},
            {QStringLiteral("first"), first},
            {QStringLiteral("last"), last},
            {QStringLiteral("sdk_heap_first"), sdk.heapAtFirst},
            {QStringLiteral("sdk_heap_last"), sdk.heapAtLast},
            {QStringLiteral("sdk_bytes_per_request"), sdkPerRequest},
            {QStringLiteral("plain_bytes_per_request"), plainPerRequest},
            {QStringLiteral("sdk_minus_plain_bytes_per_request"), sdkPerRequest - plainPerRequest},
            {QStringLiteral("sdk_fitted_bytes_per_request"), sdk.slope},
            {QStringLiteral("plain_fitted_bytes_per_request"), plain.slope},
            {QStringLiteral("sdk_failed"), sdk.failed},
            {QStringLiteral("plain_failed"), plain.failed},
            {QStringLiteral("sdk_checkpoints"), sdkPoints},
            {QStringLiteral("plain_checkpoints"), plainPoints}};
}

} // namespace Bench
