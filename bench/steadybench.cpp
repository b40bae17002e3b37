// SPDX-License-Identifier: MIT
// Steady state: a fixed request rate against short-lived (5 s) access tokens.
// A healthy session renews ahead of expiry, so the application never sees a
// 401 and the server never has to send one.
#include "benchmarks.h"
#include "benchutil.h"
#include "mockserverprocess.h"

#include <securetokens/authenticatednetworkaccessmanager.h>

#include <QTimer>

#include <cmath>
#include <cstdio>

namespace Bench {

namespace {

constexpr int accessTtlSeconds = 5;
constexpr int requestsPerSecond = 20;

struct SteadyResult
{
    QString label;
    int sent = 0;
    int ok = 0;
    int clientUnauthorized = 0; //!< 401s delivered to the application
    int failed = 0;
    qint64 serverUnauthorized = 0; //!< 401s the server sent (retried ones included)
    qint64 serverGrants = 0;
    int sessionRefreshes = 0;
    double seconds = 0;
    int maxGrantsInWindow = 0;

    double grantsPerTtl() const { return ratio(double(serverGrants), seconds / accessTtlSeconds); }
};

bool runVariant(MockServerProcess &server, int seconds, std::chrono::milliseconds lead,
                SteadyResult *out)
{
    SecureTokens::SessionConfig config = sessionConfig(server.baseUrl());
    config.refreshLeadTime = lead;
    auto session = signedInSession(config);
    if (!session)
        return false;
    SecureTokens::AuthenticatedNetworkAccessManager nam(session.get());
    const QNetworkRequest request(server.url(QStringLiteral("/api/me")));

    QElapsedTimer clock;
    QList<double> refreshAtS;
    QObject::connect(session.get(), &SecureTokens::Session::accessTokenChanged, session.get(),
                     [&]() { refreshAtS.append(double(clock.elapsed()) / 1000.0); });

    int finished = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(1000 / requestsPerSecond);
    QObject::connect(&tick, &QTimer::timeout, &tick, [&]() {
        QNetworkReply *reply = nam.get(request);
        ++out->sent;
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply]() {
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            reply->readAll();
            reply->deleteLater();
            ++finished;
            if (status == 200)
                ++out->ok;
            else
                ++out->failed;
            if (status == 401)
                ++out->clientUnauthorized;
        });
    });

    const QJsonObject before = server.stats();
    const int refreshesBefore = session->refreshCount();
    clock.start();
    tick.start();
    waitUntil([&]() { return clock.elapsed() >= qint64(seconds) * 1000; }, seconds * 1000);
    tick.stop();
    waitUntil([&]() { return finished >= out->sent; }, 30000);
    out->seconds = double(clock.elapsed()) / 1000.0;
    const QJsonObject after = server.stats();
    out->serverUnauthorized
            = MockServerProcess::delta(before, after, QStringLiteral("unauthorized"));
    out->serverGrants = MockServerProcess::delta(before, after, QStringLiteral("refresh_grants"));
    out->sessionRefreshes = session->refreshCount() - refreshesBefore;
    out->failed += out->sent - finished;

    // Grants in each TTL-long window from the start (the last, partial one included).
    QList<int> perWindow(int(std::ceil(out->seconds / accessTtlSeconds)) + 1, 0);
    for (double t : std::as_const(refreshAtS))
        ++perWindow[std::min(qsizetype(t / accessTtlSeconds), perWindow.size() - 1)];
    for (int n : std::as_const(perWindow))
        out->maxGrantsInWindow = std::max(out->maxGrantsInWindow, n);
    return true;
}

QJsonObject toJson(const SteadyResult &r)
{
    return {{QStringLiteral("requests"), r.sent},
            {QStringLiteral("ok"), r.ok},
            {QStringLiteral("failed"), r.failed},
            {QStringLiteral("unauthorized"), r.serverUnauthorized},
            {QStringLiteral("client_unauthorized"), r.clientUnauthorized},
            {QStringLiteral("refresh_grants"), r.serverGrants},
            {QStringLiteral("session_refreshes"), r.sessionRefreshes},
            {QStringLiteral("refresh_grants_per_ttl"), r.grantsPerTtl()},
            {QStringLiteral("max_refresh_grants_in_a_ttl_window"), r.maxGrantsInWindow},
            {QStringLiteral("seconds"), r.seconds}};
}

} // namespace

QJsonObject runSteady(const Options &options)
{
    MockServerProcess server;
    server.setExecutable(options.serverProgram);
    server.process().setStandardErrorFile(QProcess::nullDevice());
    if (!server.start(benchServerArguments(
                {QStringLiteral("--access-ttl"), QString::number(accessTtlSeconds)}))) {
        std::fprintf(stderr, "bench: %s\n", qPrintable(server.errorString()));
        return {};
    }
    const int seconds = options.quick ? 20 : 60;
    // The default lead buys time to retry a failed renewal (2.5 s of a 5 s
    // token); the shorter leads show what it costs in grants. 250 ms is still
    // far above a loopback round trip, so it must not let a 401 through.
    SteadyResult byDefault, lead1, lead250;
    byDefault.label = QStringLiteral("default refreshLeadTime");
    lead1.label = QStringLiteral("refreshLeadTime = 1 s");
    lead250.label = QStringLiteral("refreshLeadTime = 250 ms");
    if (!runVariant(server, seconds, std::chrono::seconds(0), &byDefault)
        || !runVariant(server, seconds, std::chrono::seconds(1), &lead1)
        || !runVariant(server, seconds, std::chrono::milliseconds(250), &lead250)) {
        std::fprintf(stderr, "bench: steady state could not sign in\n");
        return {};
    }
    QList<QStringList> rows;
    for (const SteadyResult *r : {&byDefault, &lead1, &lead250}) {
        rows.append({r->label, QString::number(r->sent), QString::number(r->ok),
                     QString::number(r->failed), QString::number(r->serverUnauthorized),
                     QString::number(r->clientUnauthorized), QString::number(r->serverGrants),
                     fixed(r->grantsPerTtl()), QString::number(r->maxGrantsInWindow)});
    }
    printTable(QStringLiteral("Steady state: %1 s at %2 req/s, access TTL %3 s (each variant)")
                       .arg(seconds)
                       .arg(requestsPerSecond)
                       .arg(accessTtlSeconds),
               {QStringLiteral("config"), QStringLiteral("requests"), QStringLiteral("ok"),
                QStringLiteral("failed"), QStringLiteral("401s (server)"),
                QStringLiteral("401s (app)"), QStringLiteral("grants"),
                QStringLiteral("grants / TTL"), QStringLiteral("max grants in a TTL window")},
               rows);
    QJsonObject out = toJson(byDefault);
    out.insert(QStringLiteral("access_ttl_s"), accessTtlSeconds);
    out.insert(QStringLiteral("rate_per_s"), requestsPerSecond);
    out.insert(QStringLiteral("lead_1s"), toJson(lead1));
    out.insert(QStringLiteral("lead_250ms"), toJson(lead250));
    return out;
}

} // namespace Bench
