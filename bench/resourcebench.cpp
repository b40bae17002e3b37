// SPDX-License-Identifier: MIT
// Per-API access tokens (SessionConfig::apiResources, RFC 8707; issue 16): the
// 401 storm per resource and the heap each resource token costs. The mock
// server runs its own child process here, with extra resource servers
// (--api-listen), each accepting only tokens whose aud names its audience.
// A storm at one API is provoked by revoking that API's current access token
// (RFC 7009 at /oauth/revoke): the server then rejects it at that API alone.
// Grants are counted per resource from the server's log of issued access
// tokens (/admin/tokens), by the aud of each new one.
#include "benchmarks.h"
#include "benchutil.h"
#include "mockserverprocess.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QSet>
#include <QUrlQuery>

#include <algorithm>
#include <cstdio>

namespace Bench {

namespace {

constexpr int stormSize = 1000;
constexpr int listeners = 100; //!< resource servers: enough for the memory figure's largest N

QString audienceAt(int i)
{
    return QStringLiteral("https://api-%1.bench.example").arg(i, 3, 10, QLatin1Char('0'));
}

//! The aud of a JWT (unverified), as one string (an array joined with spaces).
QString audOf(const QByteArray &jwt)
{
    const QByteArray payload = QByteArray::fromBase64(jwt.split('.').value(1),
                                                      QByteArray::Base64UrlEncoding
                                                              | QByteArray::OmitTrailingEquals);
    const QJsonValue aud = QJsonDocument::fromJson(payload).object().value(QStringLiteral("aud"));
    if (!aud.isArray())
        return aud.toString();
    QStringList parts;
    for (const QJsonValue &v : aud.toArray())
        parts.append(v.toString());
    return parts.join(QLatin1Char(' '));
}

//! GET /admin/tokens: the access tokens the server issued, oldest first.
QList<QByteArray> issuedAccessTokens(MockServerProcess &server)
{
    QNetworkAccessManager nam;
    QNetworkReply *reply = nam.get(QNetworkRequest(server.url(QStringLiteral("/admin/tokens"))));
    waitUntil([reply]() { return reply->isFinished(); }, 30000);
    QList<QByteArray> out;
    if (reply->isFinished() && reply->error() == QNetworkReply::NoError) {
        const QJsonArray tokens = QJsonDocument::fromJson(reply->readAll())
                                          .object()
                                          .value(QStringLiteral("access_tokens"))
                                          .toArray();
        for (const QJsonValue &t : tokens)
            out.append(t.toString().toLatin1());
    } else {
        reply->abort();
    }
    reply->deleteLater();
    return out;
}

//! Tokens issued since \a before (a count of issuedAccessTokens()), by aud.
QMap<QString, int> grantsByAudience(MockServerProcess &server, qsizetype before)
{
    QMap<QString, int> out;
    const QList<QByteArray> tokens = issuedAccessTokens(server);
    for (qsizetype i = before; i < tokens.size(); ++i)
        ++out[audOf(tokens.at(i))];
    return out;
}

//! The last access token issued for \a audience (the one the session holds for it).
QByteArray lastTokenFor(MockServerProcess &server, const QString &audience)
{
    const QList<QByteArray> tokens = issuedAccessTokens(server);
    for (auto it = tokens.crbegin(); it != tokens.crend(); ++it) {
        if (audOf(*it) == audience)
            return *it;
    }
    return {};
}

//! RFC 7009 revocation of one access token; true on 200.
bool revoke(MockServerProcess &server, const QByteArray &token)
{
    QNetworkAccessManager nam;
    QNetworkRequest request(server.url(QStringLiteral("/oauth/revoke")));
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("token"), QString::fromLatin1(token));
    form.addQueryItem(QStringLiteral("client_id"), QStringLiteral("demo"));
    QNetworkReply *reply = nam.post(request, form.toString(QUrl::FullyEncoded).toLatin1());
    waitUntil([reply]() { return reply->isFinished(); }, 30000);
    const bool ok = reply->isFinished()
            && reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    if (!reply->isFinished())
        reply->abort();
    reply->deleteLater();
    return ok;
}

qint64 audienceCounter(const QJsonObject &stats, const QString &audience, const char *name)
{
    return stats.value(QStringLiteral("audiences"))
            .toObject()
            .value(audience)
            .toObject()
            .value(QLatin1String(name))
            .toInteger();
}

//! One stream of requests in a mixed run: a closed loop of its own.
struct Stream
{
    int total = 0;
    int inFlight = 0;
    std::function<QNetworkReply *()> send;
    int sent = 0;
    int finished = 0;
    int ok = 0;
    int failed = 0;
    double elapsedMs = 0; //!< from the common start to this stream's last answer
    QMap<QString, int> failureKinds;
};

/*!
    Runs every stream at once in the one event loop, each keeping its own
    number in flight; returns the time until the last answer, or -1 on timeout
    (the requests still open are then aborted).
*/
double runStreams(const QList<Stream *> &streams, int timeoutMs)
{
    QSet<QNetworkReply *> open;
    QElapsedTimer clock;
    clock.start();
    std::function<void(Stream *)> startOne;
    startOne = [&](Stream *s) {
        QNetworkReply *reply = s->send();
        ++s->sent;
        open.insert(reply);
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, s, reply]() {
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            reply->readAll();
            if (status == 200 && reply->error() == QNetworkReply::NoError) {
                ++s->ok;
            } else {
                ++s->failed;
                ++s->failureKinds[QStringLiteral("HTTP %1 / error %2")
                                          .arg(status)
                                          .arg(int(reply->error()))];
            }
            reply->deleteLater();
            open.remove(reply);
            if (++s->finished == s->total)
                s->elapsedMs = double(clock.nsecsElapsed()) / 1e6;
            if (s->sent < s->total)
                startOne(s);
        });
    };
    for (Stream *s : streams) {
        for (int i = 0; i < std::min(s->total, s->inFlight); ++i)
            startOne(s);
    }
    const bool done = waitUntil(
            [&]() {
                return std::all_of(streams.cbegin(), streams.cend(),
                                   [](const Stream *s) { return s->finished >= s->total; });
            },
            timeoutMs);
    const double elapsed = double(clock.nsecsElapsed()) / 1e6;
    for (QNetworkReply *reply : std::as_const(open)) {
        reply->disconnect();
        reply->abort();
        reply->deleteLater();
    }
    return done ? elapsed : -1;
}

struct StormRow
{
    QString name;
    int requestsA = 0, requestsB = 0;
    int grantsA = 0, grantsB = 0, grantsOther = 0;
    int failed = 0; //!< requests that did not end in 200 (timeouts included)
    qint64 unauthorizedA = 0, unauthorizedB = 0; //!< 401s the resource servers sent
    double baselineMs = 0, stormMs = 0; //!< medians over the repetitions
    double baselineAMs = 0, stormAMs = 0;
    bool alive = true;
    QMap<QString, int> failureKinds;

    double stormOverBaseline() const { return ratio(stormMs, baselineMs); }
    QJsonObject json() const
    {
        QJsonObject kinds;
        for (auto it = failureKinds.cbegin(); it != failureKinds.cend(); ++it)
            kinds.insert(it.key(), it.value());
        return {{QStringLiteral("requests_a"), requestsA},
                {QStringLiteral("requests_b"), requestsB},
                {QStringLiteral("grants_a"), grantsA},
                {QStringLiteral("grants_b"), grantsB},
                {QStringLiteral("grants_other"), grantsOther},
                {QStringLiteral("failed"), failed},
                {QStringLiteral("server_401s_a"), unauthorizedA},
                {QStringLiteral("server_401s_b"), unauthorizedB},
                {QStringLiteral("baseline_ms"), baselineMs},
                {QStringLiteral("storm_ms"), stormMs},
                {QStringLiteral("storm_over_baseline"), stormOverBaseline()},
                {QStringLiteral("baseline_a_ms"), baselineAMs},
                {QStringLiteral("storm_a_ms"), stormAMs},
                {QStringLiteral("session_alive_after"), alive},
                {QStringLiteral("failure_kinds"), kinds}};
    }
};

struct Apis
{
    QUrl base;
    QList<QUrl> urls; //!< the resource servers, in the order of audienceAt()
};

SecureTokens::SessionConfig resourceConfig(const Apis &apis, int n)
{
    SecureTokens::SessionConfig config = sessionConfig(apis.base);
    for (int i = 0; i < n; ++i)
        config.apiResources.append({apis.urls.at(i), audienceAt(i), {}, {}});
    return config;
}

/*!
    One storm figure. A: stormSize requests, all in flight. B: stormSize too,
    all in flight when \a both (both tokens rejected), else a closed loop of
    64 that keeps going while A's storm is absorbed. The same mix runs without
    the fault first (the baseline), \a reps times each; the counts add up over
    the repetitions, the times are medians.
*/
bool stormRow(MockServerProcess &server, const Apis &apis, bool both, int reps, StormRow *row)
{
    const QString audA = audienceAt(0), audB = audienceAt(1);
    auto session = signedInSession(resourceConfig(apis, 2));
    if (!session)
        return false;
    SecureTokens::AuthenticatedNetworkAccessManager nam(session.get());
    const QNetworkRequest requestA(apis.urls.at(0).resolved(QUrl(QStringLiteral("/api/me"))));
    const QNetworkRequest requestB(apis.urls.at(1).resolved(QUrl(QStringLiteral("/api/me"))));
    const auto sendA = [&]() {
        return nam.get(requestA);
    };
    const auto sendB = [&]() {
        return nam.get(requestB);
    };
    // Warm-up: each API's token, the connections.
    if (runClosedLoop(200, 32, sendA).ok != 200 || runClosedLoop(200, 32, sendB).ok != 200) {
        std::fprintf(stderr, "bench: resources: warm-up requests failed\n");
        return false;
    }
    const int inFlightB = both ? stormSize : 64;
    row->requestsA = stormSize * reps;
    row->requestsB = stormSize * reps;
    const auto makeStreams = [&](Stream *a, Stream *b) {
        *a = Stream {};
        a->total = stormSize;
        a->inFlight = stormSize;
        a->send = sendA;
        *b = Stream {};
        b->total = stormSize;
        b->inFlight = inFlightB;
        b->send = sendB;
    };
    QList<double> baselines, storms, baselinesA, stormsA;
    for (int rep = 0; rep < reps; ++rep) {
        Stream a, b;
        makeStreams(&a, &b);
        const double baseline = runStreams({&a, &b}, 120000);
        if (baseline < 0 || a.ok + b.ok != 2 * stormSize) {
            std::fprintf(stderr, "bench: resources: the baseline run failed (%d + %d ok)\n", a.ok,
                         b.ok);
            return false;
        }
        baselines.append(baseline);
        baselinesA.append(a.elapsedMs);

        // The server now rejects the session's token for A (and B).
        const QByteArray tokenA = lastTokenFor(server, audA);
        const QByteArray tokenB = both ? lastTokenFor(server, audB) : QByteArray();
        if (tokenA.isEmpty() || !revoke(server, tokenA)
            || (both && (tokenB.isEmpty() || !revoke(server, tokenB)))) {
            std::fprintf(stderr, "bench: resources: revocation failed\n");
            return false;
        }
        const qsizetype issuedBefore = issuedAccessTokens(server).size();
        const QJsonObject before = server.stats();
        makeStreams(&a, &b);
        const double storm = runStreams({&a, &b}, 120000);
        const QJsonObject after = server.stats();
        const QMap<QString, int> grants = grantsByAudience(server, issuedBefore);
        row->grantsA += grants.value(audA);
        row->grantsB += grants.value(audB);
        for (auto it = grants.cbegin(); it != grants.cend(); ++it) {
            if (it.key() != audA && it.key() != audB)
                row->grantsOther += it.value();
        }
        row->failed += (a.total - a.ok) + (b.total - b.ok);
        for (const Stream *s : {&a, &b}) {
            for (auto it = s->failureKinds.cbegin(); it != s->failureKinds.cend(); ++it)
                row->failureKinds[it.key()] += it.value();
        }
        row->unauthorizedA += audienceCounter(after, audA, "unauthorized")
                - audienceCounter(before, audA, "unauthorized");
        row->unauthorizedB += audienceCounter(after, audB, "unauthorized")
                - audienceCounter(before, audB, "unauthorized");
        if (storm < 0) {
            row->stormMs = -1;
            row->alive = false;
            return true;
        }
        storms.append(storm);
        stormsA.append(a.elapsedMs);
    }
    row->baselineMs = median(baselines);
    row->stormMs = median(storms);
    row->baselineAMs = median(baselinesA);
    row->stormAMs = median(stormsA);
    row->alive = session->isSignedIn() && runClosedLoop(1, 1, sendA).ok == 1
            && runClosedLoop(1, 1, sendB).ok == 1;
    return true;
}

/*!
    Lets deleteLater() and queued work run out, so the heap holds only what
    stays. Qt's HTTP thread drops its connections on its own time and no
    signal says when: the event loop runs in 10 ms steps until two readings
    agree (at most 40 steps).
*/
qint64 settledHeap()
{
    qint64 last = -1;
    for (int i = 0; i < 40; ++i) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        waitUntil([]() { return false; }, 10);
        const qint64 now = heapInUse();
        if (now == last)
            return now;
        last = now;
    }
    return last;
}

struct MemoryPoint
{
    int n = 0;
    qint64 withConnections = 0; //!< heap growth, the N connections still open
    qint64 tokensOnly = 0; //!< after clearConnectionCache()
    bool ok = false; //!< every request was answered (growth may be negative: freed caches)
    qint64 plain = 0; //!< a plain QNAM, the same N origins once each, after clearConnectionCache()
};

//! One GET /api/me for each of the first \a n resource servers.
QList<QNetworkRequest> meRequests(const Apis &apis, int n)
{
    QList<QNetworkRequest> requests;
    for (int i = 0; i < n; ++i)
        requests.append(QNetworkRequest(apis.urls.at(i).resolved(QUrl(QStringLiteral("/api/me")))));
    return requests;
}

/*!
    The control: a plain QNetworkAccessManager sends one request to each of
    \a n origins (no token: each answers 401), then drops its connections. What
    stays is Qt's per-origin residue, which the SDK's figure includes too.
*/
bool plainAt(const Apis &apis, int n, qint64 *grown)
{
    const qint64 before = settledHeap();
    bool ok = false;
    {
        QNetworkAccessManager nam;
        const QList<QNetworkRequest> requests = meRequests(apis, n);
        int next = 0;
        const LoadResult r = runClosedLoop(
                n, n, [&]() { return nam.get(requests.at(next++ % n)); }, 120000);
        if (r.timedOut || r.ok + r.failed != n) {
            std::fprintf(stderr, "bench: resources: plain QNAM: %d of %d answered\n",
                         r.ok + r.failed, n);
        } else {
            nam.clearConnectionCache();
            *grown = settledHeap() - before;
            ok = true;
        }
    }
    return ok;
}

/*!
    The heap a signed-in Session (and its manager) holds with \a n resource
    tokens, each obtained with one request: the growth from before the Session
    existed; ok is false when a request failed.
*/
MemoryPoint memoryAt(const Apis &apis, int n)
{
    MemoryPoint point;
    point.n = n;
    const qint64 before = settledHeap();
    auto session = signedInSession(resourceConfig(apis, n));
    if (!session)
        return point;
    {
        SecureTokens::AuthenticatedNetworkAccessManager nam(session.get());
        const QList<QNetworkRequest> requests = meRequests(apis, n);
        int next = 0;
        const LoadResult r = runClosedLoop(
                n, n, [&]() { return nam.get(requests.at(next++ % n)); }, 120000);
        if (r.ok != n) {
            std::fprintf(stderr, "bench: resources: %d of %d first requests failed\n", n - r.ok, n);
            return point;
        }
        point.withConnections = settledHeap() - before;
        nam.clearConnectionCache();
        point.tokensOnly = settledHeap() - before;
    }
    session.reset();
    point.ok = plainAt(apis, n, &point.plain);
    return point;
}

double slope(const QList<QPair<double, double>> &points)
{
    double k = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const auto &p : points) {
        k += 1;
        sx += p.first;
        sy += p.second;
        sxx += p.first * p.first;
        sxy += p.first * p.second;
    }
    return ratio(k * sxy - sx * sy, k * sxx - sx * sx);
}

QString grantsCell(int grants, int reps)
{
    return reps == 1 ? QString::number(grants)
                     : QStringLiteral("%1 (%2 runs)").arg(grants).arg(reps);
}

} // namespace

QJsonObject runResources(const Options &options)
{
    MockServerProcess server;
    server.setExecutable(options.serverProgram);
    server.process().setStandardErrorFile(QProcess::nullDevice());
    QStringList extra;
    for (int i = 0; i < listeners; ++i)
        extra << QStringLiteral("--api-listen") << QStringLiteral("127.0.0.1:0=") + audienceAt(i);
    if (!server.start(benchServerArguments(extra))) {
        std::fprintf(stderr, "bench: resources: %s\n", qPrintable(server.errorString()));
        return {};
    }
    // "api listening on http://HOST:PORT for AUDIENCE", one line each, after the first.
    Apis apis;
    apis.base = server.baseUrl();
    const QDeadlineTimer deadline(15000);
    while (apis.urls.size() < listeners && !deadline.hasExpired()) {
        if (!server.process().canReadLine()) {
            server.process().waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
            continue;
        }
        const QString line = QString::fromUtf8(server.process().readLine()).trimmed();
        const QString prefix = QStringLiteral("api listening on ");
        if (line.startsWith(prefix))
            apis.urls.append(QUrl(line.mid(prefix.size()).section(QLatin1Char(' '), 0, 0)));
    }
    if (apis.urls.size() < listeners) {
        std::fprintf(stderr, "bench: resources: %lld of %d resource servers reported\n",
                     qlonglong(apis.urls.size()), listeners);
        return {};
    }

    const int reps = options.quick ? 1 : 3;
    StormRow one, both;
    one.name = QStringLiteral("storm at A, B continues (64 in flight)");
    both.name = QStringLiteral("storm at A and B at once");
    if (!stormRow(server, apis, false, reps, &one) || !stormRow(server, apis, true, reps, &both)) {
        std::fprintf(stderr, "bench: resources: the storm could not run\n");
        return {};
    }
    QList<QStringList> rows;
    for (const StormRow *r : {&one, &both}) {
        rows.append({r->name, grantsCell(r->grantsA, reps), grantsCell(r->grantsB, reps),
                     QString::number(r->grantsOther), QString::number(r->failed),
                     QString::number(r->unauthorizedA), QString::number(r->unauthorizedB),
                     fixed(r->baselineMs, 0), fixed(r->stormMs, 0),
                     fixed(r->stormOverBaseline(), 2), fixed(r->baselineAMs, 0),
                     fixed(r->stormAMs, 0),
                     r->alive ? QStringLiteral("yes") : QStringLiteral("no")});
    }
    printTable(QStringLiteral("401 storm per resource: 2 API resources (two resource servers on "
                              "loopback), %1 requests to A all in flight + %1 to B; A's token "
                              "(and B's) revoked at the server")
                       .arg(stormSize),
               {QStringLiteral("case"), QStringLiteral("grants A (goal 1/run)"),
                QStringLiteral("grants B (goal 0 / 1)"), QStringLiteral("other grants"),
                QStringLiteral("failed (goal 0)"), QStringLiteral("401s at A"),
                QStringLiteral("401s at B"), QStringLiteral("no-fault ms"),
                QStringLiteral("storm ms"), QStringLiteral("storm/no-fault"),
                QStringLiteral("A no-fault ms"), QStringLiteral("A storm ms"),
                QStringLiteral("session alive")},
               rows);
    printNote(QStringLiteral("no-fault: the same mix just before, nothing rejected. ms: until the "
                             "last of the %1 answers; A ms: until A's last. %2. Grants: access "
                             "tokens the server issued during the storm, by aud.")
                      .arg(2 * stormSize)
                      .arg(reps == 1 ? QStringLiteral("One run each")
                                     : QStringLiteral("Medians of %1 runs; counts are totals")
                                               .arg(reps)));

    // Memory per resource token.
    QJsonObject memory;
    if (heapInUse() < 0) {
        std::fprintf(stderr, "bench: mallinfo2() is not available; resource memory skipped\n");
    } else {
        memoryAt(apis, 1); // warm-up: first-use allocations of Qt and the SDK, not counted
        QList<MemoryPoint> points;
        QList<QPair<double, double>> fitWith, fitTokens, fitPlain;
        for (int rep = 0; rep < reps; ++rep) {
            for (int n : {1, 10, 100}) {
                const MemoryPoint p = memoryAt(apis, n);
                if (!p.ok) {
                    std::fprintf(stderr, "bench: resources: memory at N = %d failed\n", n);
                    return {};
                }
                points.append(p);
                fitWith.append({double(n), double(p.withConnections)});
                fitTokens.append({double(n), double(p.tokensOnly)});
                fitPlain.append({double(n), double(p.plain)});
            }
        }
        const QByteArray sample = lastTokenFor(server, audienceAt(0));
        const double perToken = slope(fitTokens);
        const double perTokenWith = slope(fitWith);
        const double perOriginPlain = slope(fitPlain);
        QList<QStringList> memRows;
        QJsonArray jsonPoints;
        for (const MemoryPoint &p : std::as_const(points)) {
            memRows.append({QString::number(p.n), QString::number(p.withConnections),
                            QString::number(p.tokensOnly), QString::number(p.plain),
                            QString::number(p.tokensOnly - p.plain)});
            jsonPoints.append(QJsonArray {p.n, p.withConnections, p.tokensOnly, p.plain});
        }
        memRows.append({QStringLiteral("fitted slope, bytes per resource token"),
                        fixed(perTokenWith, 0), fixed(perToken, 0), fixed(perOriginPlain, 0),
                        fixed(perToken - perOriginPlain, 0)});
        memRows.append({QStringLiteral("access token size, bytes (HS256 JWT)"),
                        QString::number(sample.size())});
        printTable(QStringLiteral("Memory per resource token: heap growth (mallinfo2 uordblks, "
                                  "client process) of a signed-in Session + manager holding N "
                                  "resource tokens, each obtained with one request"),
                   {QStringLiteral("N resources"), QStringLiteral("heap bytes, connections open"),
                    QStringLiteral("heap bytes, after clearConnectionCache()"),
                    QStringLiteral("plain QNAM, N origins, after clearConnectionCache()"),
                    QStringLiteral("SDK - plain")},
                   memRows);
        printNote(
                QStringLiteral("Growth from before the Session was made (a warm-up Session "
                               "first). The control: a plain QNAM sends one request to each of the "
                               "N origins "
                               "(no token: an error answer) and drops its connections; SDK - plain "
                               "is what "
                               "the Session keeps per resource beyond Qt's per-origin residue. "
                               "The slope is fitted over N = 1, 10, 100%1.")
                        .arg(reps == 1 ? QString() : QStringLiteral(" (%1 runs each)").arg(reps)));
        memory = {{QStringLiteral("method"),
                   QStringLiteral("mallinfo2().uordblks growth from before the Session, "
                                  "deferred deletes run; slope fitted over N = 1, 10, 100")},
                  {QStringLiteral("points"), jsonPoints},
                  {QStringLiteral("points_columns"),
                   QJsonArray {QStringLiteral("n"), QStringLiteral("heap_with_connections"),
                               QStringLiteral("heap_after_clear_connection_cache"),
                               QStringLiteral("plain_qnam_after_clear_connection_cache")}},
                  {QStringLiteral("bytes_per_resource_token"), perToken},
                  {QStringLiteral("bytes_per_resource_token_with_connection"), perTokenWith},
                  {QStringLiteral("plain_qnam_bytes_per_origin"), perOriginPlain},
                  {QStringLiteral("sdk_minus_plain_bytes_per_resource_token"),
                   perToken - perOriginPlain},
                  {QStringLiteral("access_token_bytes"), sample.size()}};
    }
    server.stop();
    return {{QStringLiteral("storm_size"), stormSize},
            {QStringLiteral("runs"), reps},
            {QStringLiteral("storm_one_resource"), one.json()},
            {QStringLiteral("storm_both_resources"), both.json()},
            {QStringLiteral("memory"), memory}};
}

} // namespace Bench
