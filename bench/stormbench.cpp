// SPDX-License-Identifier: MIT
// The 401 storm: every one of 1000 requests in flight is rejected once. The SDK
// should put one refresh grant on the wire and fail nothing; the same storm
// goes through QtNetworkAuth wired as an application would, for comparison.
#include "benchmarks.h"
#include "benchutil.h"
#include "mockserverprocess.h"
#include "qtnetworkauthclient.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QLoggingCategory>

#include <cstdio>

namespace Bench {

namespace {

constexpr int stormSize = 1000;

struct Row
{
    QString client;
    int requests = stormSize;
    int ok = 0;
    int failed = 0;
    int hung = 0;
    qint64 grants = 0; //!< successful refresh grants (server)
    qint64 tokenRequests = 0; //!< refresh requests on the wire
    qint64 reuse = 0; //!< reuse detections (server)
    qint64 unauthorized = 0; //!< 401s the server sent
    double totalMs = 0;
    double baselineMs = 0;
    double refreshMs = 0;
    bool alive = true;
    QMap<QString, int> failureKinds; //!< what the failed requests ended with

    double recoverMs() const { return totalMs - baselineMs; }
    //! The floor: every request sent twice (two baselines) plus one refresh round trip.
    double idealMs() const { return 2 * baselineMs + refreshMs; }
    QJsonObject json() const
    {
        return {{QStringLiteral("requests"), requests},
                {QStringLiteral("ok"), ok},
                {QStringLiteral("failed"), failed + hung},
                {QStringLiteral("hung"), hung},
                {QStringLiteral("refresh_grants"), grants},
                {QStringLiteral("refresh_requests"), tokenRequests},
                {QStringLiteral("reuse_detected"), reuse},
                {QStringLiteral("server_401s"), unauthorized},
                {QStringLiteral("total_ms"), totalMs},
                {QStringLiteral("baseline_ms"), baselineMs},
                {QStringLiteral("recover_ms"), recoverMs()},
                {QStringLiteral("refresh_rtt_ms"), refreshMs},
                {QStringLiteral("recover_over_refresh_rtt"), ratio(recoverMs(), refreshMs)},
                {QStringLiteral("total_over_ideal"), ratio(totalMs, idealMs())},
                {QStringLiteral("session_alive_after"), alive},
                {QStringLiteral("failure_kinds"), failureKindsJson()}};
    }
    QJsonObject failureKindsJson() const
    {
        QJsonObject kinds;
        for (auto it = failureKinds.cbegin(); it != failureKinds.cend(); ++it)
            kinds.insert(it.key(), it.value());
        return kinds;
    }
};

void countFromServer(const QJsonObject &before, const QJsonObject &after, Row *row)
{
    row->grants = MockServerProcess::delta(before, after, QStringLiteral("refresh_grants"));
    row->reuse = MockServerProcess::delta(before, after, QStringLiteral("reuse_detected"));
    row->unauthorized = MockServerProcess::delta(before, after, QStringLiteral("unauthorized"));
}

//! Refresh grant attempts of any outcome, as the server saw them.
qint64 refreshAttempts(const QJsonObject &before, const QJsonObject &after)
{
    return MockServerProcess::delta(before, after, QStringLiteral("refresh_grants"))
            + MockServerProcess::delta(before, after, QStringLiteral("reuse_detected"))
            + MockServerProcess::delta(before, after, QStringLiteral("token_errors"));
}

bool sdkStorm(MockServerProcess &server, Row *row, int size = stormSize)
{
    row->requests = size;
    row->client = QStringLiteral("SecureTokens AuthenticatedNetworkAccessManager");
    auto session = signedInSession(sessionConfig(server.baseUrl()));
    if (!session)
        return false;
    SecureTokens::AuthenticatedNetworkAccessManager nam(session.get());
    const QNetworkRequest request(server.url(QStringLiteral("/api/me")));
    const auto send = [&]() {
        return nam.get(request);
    };
    runClosedLoop(200, 64, send); // warm-up

    // A lone refresh round trip, same client, same run (median of 5).
    QList<double> rtts;
    for (int i = 0; i < 5; ++i) {
        const int before = session->refreshCount();
        QElapsedTimer clock;
        clock.start();
        session->refresh();
        if (!waitUntil([&]() { return session->refreshCount() > before; }, 10000))
            return false;
        rtts.append(double(clock.nsecsElapsed()) / 1e6);
    }
    row->refreshMs = median(rtts);
    row->baselineMs = runClosedLoop(size, size, send).elapsedMs;

    const QJsonObject before = server.stats();
    // Every token issued so far is rejected: the originals all carry it, the
    // retries carry the new one. (reject_access_tokens counted the first N
    // requests the server read, and under load a retry could overtake an
    // original and take its rejection: 1-2 "failures" that were the fault's.)
    server.setFaults({{QStringLiteral("expire_access_tokens"), true}});
    const LoadResult r = runClosedLoop(size, size, send, 120000);
    const QJsonObject after = server.stats();
    server.clearFaults();
    row->ok = r.ok;
    row->failed = r.failed;
    row->failureKinds = r.failureKinds;
    row->hung = r.sent - r.ok - r.failed;
    row->totalMs = r.elapsedMs;
    countFromServer(before, after, row);
    row->tokenRequests = refreshAttempts(before, after);
    row->alive = session->isSignedIn()
            && runClosedLoop(1, 1, send).ok == 1; // the session still serves requests
    return true;
}

bool qtNetworkAuthStorm(MockServerProcess &server, Row *row, QString *note)
{
    row->client = QStringLiteral("QtNetworkAuth %1 QOAuth2AuthorizationCodeFlow + QNAM")
                          .arg(QString::fromLatin1(qVersion()));
    QtNetworkAuthClient client(server.baseUrl());
    if (!client.signIn()) {
        *note = QStringLiteral("password grant for QtNetworkAuth failed");
        return false;
    }
    QList<double> rtts;
    for (int i = 0; i < 5; ++i) {
        const double ms = client.refreshRoundTripMs();
        if (ms < 0) {
            *note = QStringLiteral("QOAuth2AuthorizationCodeFlow::refreshAccessToken() produced "
                                   "no token against the mock server");
            return false;
        }
        rtts.append(ms);
    }
    row->refreshMs = median(rtts);
    row->baselineMs = client.baselineMs(stormSize);

    const QJsonObject before = server.stats();
    server.setFaults({{QStringLiteral("expire_access_tokens"), true}});
    // QtNetworkAuth warns once for each refreshAccessToken() made while one is running.
    QLoggingCategory::setFilterRules(QStringLiteral("qt.networkauth*=false"));
    const auto r = client.storm(stormSize, 60000);
    const QJsonObject after = server.stats();
    server.clearFaults();
    row->ok = r.ok;
    row->failed = r.failed;
    row->hung = r.hung;
    row->totalMs = r.elapsedMs;
    countFromServer(before, after, row);
    row->tokenRequests = r.tokenRequests;
    row->alive = client.sessionAlive();
    QLoggingCategory::setFilterRules(QString());
    *note = QStringLiteral("QtNetworkAuth: the app called refreshAccessToken() %1 times; "
                           "the flow reported %2 errors")
                    .arg(r.refreshCalls)
                    .arg(r.flowErrors);
    return true;
}

} // namespace

QJsonObject sdkStormAt(MockServerProcess &server, int size)
{
    Row row;
    if (!sdkStorm(server, &row, size))
        return {};
    return row.json();
}

QJsonObject runStorm(const Options &, MockServerProcess &server)
{
    Row sdk, qtna;
    if (!sdkStorm(server, &sdk)) {
        std::fprintf(stderr, "bench: storm (SDK) could not run\n");
        return {};
    }
    QString note;
    const bool haveQtna = qtNetworkAuthStorm(server, &qtna, &note);

    QList<QStringList> rows;
    for (const Row *row : {&sdk, &qtna}) {
        if (row == &qtna && !haveQtna)
            continue;
        rows.append({row->client, QString::number(row->ok),
                     QString::number(row->failed + row->hung), QString::number(row->tokenRequests),
                     QString::number(row->grants), QString::number(row->reuse),
                     QString::number(row->unauthorized), fixed(row->baselineMs, 0),
                     fixed(row->totalMs, 0), fixed(row->refreshMs, 2),
                     fixed(ratio(row->recoverMs(), row->refreshMs), 0),
                     fixed(ratio(row->totalMs, row->idealMs()), 2),
                     row->alive ? QStringLiteral("yes") : QStringLiteral("no")});
    }
    printTable(QStringLiteral("401 storm: %1 requests in flight, each rejected once "
                              "(expire_access_tokens: their token is expired)")
                       .arg(stormSize),
               {QStringLiteral("client"), QStringLiteral("ok"), QStringLiteral("failed"),
                QStringLiteral("refresh reqs"), QStringLiteral("grants"), QStringLiteral("reuse"),
                QStringLiteral("401s"), QStringLiteral("no-fault ms"), QStringLiteral("storm ms"),
                QStringLiteral("refresh RTT ms"), QStringLiteral("recover/RTT"),
                QStringLiteral("storm/ideal"), QStringLiteral("session alive")},
               rows);
    printNote(QStringLiteral("no-fault ms: the same %1 requests without the fault, just before. "
                             "recover = storm - no-fault. ideal = 2 x no-fault + one refresh RTT "
                             "(every request is necessarily sent twice).")
                      .arg(stormSize));
    if (!note.isEmpty())
        printNote(note);

    QJsonObject out = sdk.json();
    if (haveQtna)
        out.insert(QStringLiteral("qtnetworkauth"), qtna.json());
    out.insert(QStringLiteral("qtnetworkauth_note"), note);
    return out;
}

} // namespace Bench
