// SPDX-License-Identifier: MIT
#include "benchutil.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QSet>
#include <QSysInfo>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace Bench {

bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    // Blocks in the event dispatcher until something happens. The timed
    // processEvents(flags, ms) overload looks similar but drops
    // WaitForMoreEvents, so a loop around it spins: that spin took a core from
    // the server and made up most of the callgrind count, which then measured
    // waiting rather than work. The single-shot timer only wakes the loop at
    // the deadline.
    QDeadlineTimer deadline(timeoutMs);
    QTimer wake;
    wake.setSingleShot(true);
    wake.start(std::max(timeoutMs, 0));
    while (!done()) {
        if (deadline.hasExpired())
            return done();
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    return true;
}

LoadResult runClosedLoop(int total, int inFlight, const std::function<QNetworkReply *()> &send,
                         int timeoutMs)
{
    LoadResult result;
    result.latenciesMs.reserve(total);
    int finished = 0;
    QSet<QNetworkReply *> open;
    QElapsedTimer clock;
    clock.start();

    // Started through a std::function so each finished reply can start the next one.
    std::function<void()> startOne;
    startOne = [&]() {
        const qint64 startedNs = clock.nsecsElapsed();
        QNetworkReply *reply = send();
        ++result.sent;
        open.insert(reply);
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply, startedNs]() {
            result.latenciesMs.append(double(clock.nsecsElapsed() - startedNs) / 1e6);
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            reply->readAll();
            if (status == 200 && reply->error() == QNetworkReply::NoError)
                ++result.ok;
            else {
                ++result.failed;
                ++result.failureKinds[QStringLiteral("HTTP %1 / error %2")
                                              .arg(status)
                                              .arg(int(reply->error()))];
            }
            if (status == 401)
                ++result.unauthorized;
            reply->deleteLater();
            open.remove(reply);
            ++finished;
            if (result.sent < total)
                startOne();
        });
    };
    for (int i = 0; i < std::min(total, inFlight); ++i)
        startOne();
    result.timedOut = !waitUntil([&]() { return finished >= result.sent; }, timeoutMs);
    result.elapsedMs = double(clock.nsecsElapsed()) / 1e6;
    // After a timeout: the handlers above refer to this frame, so cut them off first.
    for (QNetworkReply *reply : std::as_const(open)) {
        reply->disconnect();
        reply->abort();
        reply->deleteLater();
    }
    return result;
}

double percentile(QList<double> values, double p)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const double rank = p / 100.0 * double(values.size() - 1);
    const auto lower = qsizetype(std::floor(rank));
    const auto upper = std::min(lower + 1, values.size() - 1);
    const double weight = rank - double(lower);
    return values.at(lower) * (1 - weight) + values.at(upper) * weight;
}

double median(const QList<double> &values)
{
    return percentile(values, 50);
}

double ratio(double numerator, double denominator)
{
    return denominator == 0 ? 0 : numerator / denominator;
}

QString fixed(double value, int decimals)
{
    return QString::number(value, 'f', decimals);
}

void printTable(const QString &title, const QStringList &header, const QList<QStringList> &rows)
{
    QList<qsizetype> widths(header.size(), 0);
    const auto measure = [&widths](const QStringList &row) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row.at(i).size());
    };
    measure(header);
    for (const QStringList &row : rows)
        measure(row);
    const auto line = [&widths](const QStringList &row) {
        QString out = QStringLiteral("|");
        for (qsizetype i = 0; i < widths.size(); ++i) {
            const QString cell = i < row.size() ? row.at(i) : QString();
            out += QLatin1Char(' ') + cell.leftJustified(widths.at(i)) + QStringLiteral(" |");
        }
        return out;
    };
    QStringList separator;
    for (qsizetype w : widths)
        separator.append(QString(w, QLatin1Char('-')));
    std::printf("\n### %s\n\n%s\n%s\n", qPrintable(title), qPrintable(line(header)),
                qPrintable(line(separator)));
    for (const QStringList &row : rows)
        std::printf("%s\n", qPrintable(line(row)));
    std::fflush(stdout);
}

void printNote(const QString &text)
{
    std::printf("\n%s\n", qPrintable(text));
    std::fflush(stdout);
}

SecureTokens::SessionConfig sessionConfig(const QUrl &base)
{
    SecureTokens::SessionConfig config;
    // No issuer: the endpoints are given, so no discovery round trip skews the numbers.
    config.tokenEndpoint = base.resolved(QUrl(QStringLiteral("/oauth/token")));
    config.revocationEndpoint = base.resolved(QUrl(QStringLiteral("/oauth/revoke")));
    config.clientId = QStringLiteral("demo");
    config.storagePolicy = SecureTokens::StoragePolicy::SessionOnly;
    config.storageService = QStringLiteral("SecureTokensBench");
    return config;
}

std::unique_ptr<SecureTokens::Session> signedInSession(const SecureTokens::SessionConfig &config)
{
    auto session = std::make_unique<SecureTokens::Session>(config);
    bool failed = false;
    QObject::connect(session.get(), &SecureTokens::Session::errorOccurred, session.get(),
                     [&failed](const SecureTokens::ErrorInfo &error) {
                         std::fprintf(stderr, "bench: sign-in failed: %s\n",
                                      qPrintable(error.message));
                         failed = true;
                     });
    session->signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    const bool ok = waitUntil([&]() { return failed || session->isSignedIn(); }, 30000);
    QObject::disconnect(session.get(), &SecureTokens::Session::errorOccurred, nullptr, nullptr);
    if (!ok || failed || !session->isSignedIn())
        return nullptr;
    return session;
}

QByteArray externalBearer(const SecureTokens::Session &session)
{
    const SecureTokens::SecretBytes token = session.accessTokenForExternalUse();
    QByteArray value;
    value.reserve(qsizetype(7 + token.size()));
    value.append("Bearer ").append(token.view());
    return value;
}

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
}

qint64 heapInUse()
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    return qint64(mallinfo2().uordblks);
#else
    return -1;
#endif
}

namespace {

QString firstMatch(const QString &path, const QByteArray &key)
{
    // /proc files report a size of 0: read them whole rather than trusting atEnd().
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> lines = file.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith(key)) {
            const int colon = line.indexOf(':');
            return QString::fromUtf8(line.mid(colon + 1).trimmed());
        }
    }
    return {};
}

} // namespace

QJsonObject machineInfo()
{
    QFile loadavg(QStringLiteral("/proc/loadavg"));
    QString load;
    if (loadavg.open(QIODevice::ReadOnly))
        load = QString::fromLatin1(loadavg.readAll().trimmed());
    return QJsonObject {
            {QStringLiteral("nproc"), QThread::idealThreadCount()},
            {QStringLiteral("cpu_model"),
             firstMatch(QStringLiteral("/proc/cpuinfo"), "model name")},
            {QStringLiteral("mem_total"), firstMatch(QStringLiteral("/proc/meminfo"), "MemTotal")},
            {QStringLiteral("qt_version"), QString::fromLatin1(qVersion())},
            {QStringLiteral("qt_version_built_against"), QStringLiteral(QT_VERSION_STR)},
            {QStringLiteral("build_type"), QStringLiteral(SECURETOKENS_BENCH_BUILD_TYPE)},
            {QStringLiteral("compiler"), QStringLiteral(SECURETOKENS_BENCH_COMPILER)},
            {QStringLiteral("kernel"), QSysInfo::kernelVersion()},
            {QStringLiteral("os"), QSysInfo::prettyProductName()},
            {QStringLiteral("loadavg_at_start"), load},
    };
}

QStringList benchServerArguments(const QStringList &extra)
{
    return QStringList {QStringLiteral("--admin"), QStringLiteral("--signing"),
                        QStringLiteral("HS256")}
    + extra;
}

qint64 callgrindTotal(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return -1;
    qint64 total = -1;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (line.startsWith("totals:") || line.startsWith("summary:"))
            total = line.mid(line.indexOf(':') + 1).trimmed().split(' ').value(0).toLongLong();
    }
    return total;
}

} // namespace Bench
