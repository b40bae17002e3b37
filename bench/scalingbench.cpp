// SPDX-License-Identifier: MIT
// How the cost grows with the work: heap per request at 1 to 10 000 requests
// in flight (SDK and plain QNAM side by side), a 401 storm of 10 000, and 1, 10
// and 100 stored accounts restored at once. Instructions per request at the
// same in-flight levels come from callgrind (overheadbench.cpp).
#include "benchmarks.h"
#include "benchutil.h"
#include "mockserverprocess.h"

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/memorysecretstore.h>

#include <QCoreApplication>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QSet>

#include <cstdio>
#include <vector>

namespace Bench {

namespace {

struct Burst
{
    int ok = 0;
    int failed = 0; //!< not a 200, or never finished
    double ms = 0;
    double heapAtStartPerRequest = 0; //!< heap growth with all requests created, per request
    double heapPeakPerRequest = 0; //!< the highest reading while they ran, per request
};

/*!
    Starts \a count requests at once and reads the heap with all of them
    created (before any has been answered), then at each answer; every reply is
    read and deleted. Deferred deletes run first, so earlier replies are not
    counted.
*/
Burst burst(int count, const std::function<QNetworkReply *()> &send)
{
    Burst b;
    std::vector<QNetworkReply *> replies;
    replies.reserve(std::size_t(count)); // before the first reading: not the client's cost
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    const qint64 before = heapInUse();
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < count; ++i)
        replies.push_back(send());
    const qint64 atStart = heapInUse();
    qint64 peak = atStart;
    int finished = 0;
    QSet<QNetworkReply *> open(replies.begin(), replies.end());
    for (QNetworkReply *reply : replies) {
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply] {
            // mallinfo2() walks the allocator's bins: a hundred readings a burst, not one an
            // answer.
            if (finished % std::max(1, count / 100) == 0)
                peak = std::max(peak, heapInUse());
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            reply->readAll();
            if (status == 200 && reply->error() == QNetworkReply::NoError)
                ++b.ok;
            ++finished;
            open.remove(reply);
            reply->deleteLater();
        });
    }
    const bool done = waitUntil([&] { return finished == count; }, 300000);
    b.ms = double(clock.nsecsElapsed()) / 1e6;
    if (!done) {
        // Only the unfinished ones: the others may be deleted already.
        for (QNetworkReply *reply : std::as_const(open)) {
            reply->disconnect();
            reply->abort();
            reply->deleteLater();
        }
        std::fprintf(stderr, "bench: a burst of %d timed out with %d unfinished\n", count,
                     int(open.size()));
    }
    b.failed = count - b.ok;
    b.heapAtStartPerRequest = double(atStart - before) / count;
    b.heapPeakPerRequest = double(peak - before) / count;
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    return b;
}

QJsonArray inFlightScaling(const QUrl &base, QList<QStringList> *rows)
{
    auto session = signedInSession(sessionConfig(base));
    if (!session)
        return {};
    SecureTokens::AuthenticatedNetworkAccessManager sdk(session.get());
    QNetworkAccessManager plain;
    const QNetworkRequest request(base.resolved(QUrl(QStringLiteral("/api/me"))));
    const QByteArray bearer = externalBearer(*session);
    const auto sdkSend = [&] {
        return sdk.get(request);
    };
    const auto plainSend = [&] {
        QNetworkRequest r = request;
        r.setRawHeader(QByteArrayLiteral("Authorization"), bearer);
        return plain.get(r);
    };
    runClosedLoop(500, 64, sdkSend); // warm-up: connections open on both sides
    runClosedLoop(500, 64, plainSend);

    QJsonArray out;
    for (const int level : {1, 64, 1000, 10000}) {
        std::fprintf(stderr, "scaling: %d in flight\n", level);
        // Enough bursts for a median at the small levels; bounded in time at the large ones.
        const int bursts = level < 64 ? 200 : std::max(1, 2000 / level);
        Burst s, p;
        QList<double> sdkHeap, plainHeap, sdkPeak, plainPeak;
        for (int i = 0; i < bursts; ++i) {
            const Burst a = burst(level, sdkSend);
            const Burst c = burst(level, plainSend);
            s.ok += a.ok, s.failed += a.failed, s.ms += a.ms;
            p.ok += c.ok, p.failed += c.failed, p.ms += c.ms;
            sdkHeap.append(a.heapAtStartPerRequest), plainHeap.append(c.heapAtStartPerRequest);
            sdkPeak.append(a.heapPeakPerRequest), plainPeak.append(c.heapPeakPerRequest);
        }
        const int sent = bursts * level;
        const double sdkUs = s.ms * 1000.0 / sent, plainUs = p.ms * 1000.0 / sent;
        const double sh = median(sdkHeap), ph = median(plainHeap);
        out.append(QJsonObject {
                {QStringLiteral("in_flight"), level},
                {QStringLiteral("requests"), sent},
                {QStringLiteral("sdk_ok"), s.ok},
                {QStringLiteral("sdk_failed"), s.failed},
                {QStringLiteral("plain_ok"), p.ok},
                {QStringLiteral("plain_failed"), p.failed},
                {QStringLiteral("sdk_us_per_request"), sdkUs},
                {QStringLiteral("plain_us_per_request"), plainUs},
                {QStringLiteral("time_ratio"), ratio(sdkUs, plainUs)},
                {QStringLiteral("sdk_heap_bytes_per_request"), sh},
                {QStringLiteral("plain_heap_bytes_per_request"), ph},
                {QStringLiteral("sdk_heap_peak_bytes_per_request"), median(sdkPeak)},
                {QStringLiteral("plain_heap_peak_bytes_per_request"), median(plainPeak)}});
        rows->append({QString::number(level), QString::number(sent),
                      QStringLiteral("%1/%2").arg(s.ok).arg(p.ok), fixed(sdkUs, 1),
                      fixed(plainUs, 1), fixed(ratio(sdkUs, plainUs), 3), fixed(sh, 0),
                      fixed(ph, 0), fixed(sh - ph, 0)});
    }
    return out;
}

//! N accounts stored; then N sessions restore at once and each sends one request.
QJsonObject accounts(const QUrl &base, int count)
{
    auto store = std::make_shared<SecureTokens::MemorySecretStore>();
    const auto config = [&](int i) {
        SecureTokens::SessionConfig c = sessionConfig(base);
        c.account = QStringLiteral("account-%1").arg(i);
        c.storagePolicy = SecureTokens::StoragePolicy::Required;
        c.secretStore = store;
        return c;
    };
    for (int i = 0; i < count; ++i) {
        if (!signedInSession(config(i))) // destroyed without sign-out: the record stays stored
            return {};
    }
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    const qint64 heapBefore = heapInUse();
    QElapsedTimer clock;
    clock.start();
    std::vector<std::unique_ptr<SecureTokens::Session>> sessions;
    std::vector<std::unique_ptr<SecureTokens::AuthenticatedNetworkAccessManager>> managers;
    const QNetworkRequest request(base.resolved(QUrl(QStringLiteral("/api/me"))));
    int finished = 0, ok = 0;
    for (int i = 0; i < count; ++i) {
        sessions.push_back(std::make_unique<SecureTokens::Session>(config(i)));
        managers.push_back(std::make_unique<SecureTokens::AuthenticatedNetworkAccessManager>(
                sessions.back().get()));
        sessions.back()->restore();
        QNetworkReply *reply = managers.back()->get(request);
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply] {
            reply->readAll();
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200)
                ++ok;
            ++finished;
            reply->deleteLater();
        });
    }
    const bool done = waitUntil([&] { return finished == count; }, 60000);
    const double ms = double(clock.nsecsElapsed()) / 1e6;
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    const qint64 heapAfter = heapInUse();
    if (!done)
        return {};
    return {{QStringLiteral("accounts"), count},
            {QStringLiteral("ok"), ok},
            {QStringLiteral("restore_all_ms"), ms},
            {QStringLiteral("ms_per_account"), ms / count},
            {QStringLiteral("heap_bytes_per_account"), double(heapAfter - heapBefore) / count}};
}

} // namespace

QJsonObject runScaling(const Options &options, MockServerProcess &server)
{
    QList<QStringList> rows;
    const QJsonArray levels = inFlightScaling(server.baseUrl(), &rows);
    if (levels.isEmpty())
        return {};
    printTable(QStringLiteral("Scaling: requests in flight at once (bursts; SDK and plain QNAM)"),
               {QStringLiteral("in flight"), QStringLiteral("requests"),
                QStringLiteral("ok SDK/plain"), QStringLiteral("SDK us/req"),
                QStringLiteral("plain us/req"), QStringLiteral("time ratio"),
                QStringLiteral("SDK heap B/req"), QStringLiteral("plain heap B/req"),
                QStringLiteral("SDK - plain B/req")},
               rows);
    printNote(QStringLiteral("heap: growth with the whole burst created, before any answer, "
                             "per request (median of the bursts)."));
    std::fflush(stdout);

    QJsonObject out {{QStringLiteral("in_flight"), levels}};
    const int stormSize = 10000;
    std::fprintf(stderr, "scaling: storm of %d\n", stormSize);
    const QJsonObject storm = sdkStormAt(server, stormSize);
    if (!storm.isEmpty()) {
        out.insert(QStringLiteral("storm_10000"), storm);
        printTable(QStringLiteral("Scaling: 401 storm of %1 (SDK)").arg(stormSize),
                   {QStringLiteral("requests"), QStringLiteral("ok"), QStringLiteral("failed"),
                    QStringLiteral("grants"), QStringLiteral("401s"), QStringLiteral("no-fault ms"),
                    QStringLiteral("storm ms"), QStringLiteral("storm/ideal")},
                   {{QString::number(stormSize),
                     QString::number(storm.value(QStringLiteral("ok")).toInt()),
                     QString::number(storm.value(QStringLiteral("failed")).toInt()),
                     QString::number(storm.value(QStringLiteral("refresh_grants")).toInt()),
                     QString::number(storm.value(QStringLiteral("server_401s")).toInt()),
                     fixed(storm.value(QStringLiteral("baseline_ms")).toDouble(), 0),
                     fixed(storm.value(QStringLiteral("total_ms")).toDouble(), 0),
                     fixed(storm.value(QStringLiteral("total_over_ideal")).toDouble(), 2)}});
    }

    QJsonArray accountRows;
    QList<QStringList> table;
    for (const int count : {1, 10, 100}) {
        std::fprintf(stderr, "scaling: %d accounts\n", count);
        const QJsonObject a = accounts(server.baseUrl(), count);
        if (a.isEmpty()) {
            std::fprintf(stderr, "bench: scaling with %d accounts could not run\n", count);
            continue;
        }
        accountRows.append(a);
        table.append({QString::number(count),
                      QString::number(a.value(QStringLiteral("ok")).toInt()),
                      fixed(a.value(QStringLiteral("restore_all_ms")).toDouble(), 1),
                      fixed(a.value(QStringLiteral("ms_per_account")).toDouble(), 2),
                      fixed(a.value(QStringLiteral("heap_bytes_per_account")).toDouble(), 0)});
    }
    out.insert(QStringLiteral("accounts"), accountRows);
    printTable(QStringLiteral("Scaling: stored accounts, all restored at once, one request each "
                              "(MemorySecretStore)"),
               {QStringLiteral("accounts"), QStringLiteral("ok"),
                QStringLiteral("restore to last response ms"), QStringLiteral("ms/account"),
                QStringLiteral("heap B/account")},
               table);
    Q_UNUSED(options);
    return out;
}

} // namespace Bench
