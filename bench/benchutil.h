// SPDX-License-Identifier: MIT
#pragma once

// Shared plumbing for securetokens-bench: options, event-loop waits, a
// closed-loop request driver, statistics and table printing.

#include <securetokens/session.h>

#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QNetworkReply>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <memory>

namespace Bench {

struct Options
{
    bool quick = false;
    QString only; //!< empty: every benchmark
    QString jsonPath;
    QString serverProgram; //!< securetokens-mock-server
    QString selfProgram; //!< this executable, for child processes
};

//! Runs the event loop until \a done returns true or \a timeoutMs passes; returns done().
bool waitUntil(const std::function<bool()> &done, int timeoutMs);

/*!
    The mock server's arguments in a benchmark: the admin API (counters,
    faults) and HS256 signatures (cheap, so the server's signing cost does not
    slow the client), then \a extra.
*/
QStringList benchServerArguments(const QStringList &extra = {});

//! Ir of a callgrind output file (its "totals:" or "summary:" line); -1 when unreadable.
qint64 callgrindTotal(const QString &path);

//! What one run of many requests produced.
struct LoadResult
{
    int sent = 0;
    int ok = 0; //!< HTTP 200
    int unauthorized = 0; //!< HTTP 401 delivered to the application
    int failed = 0; //!< anything but 200 (401 included)
    bool timedOut = false;
    double elapsedMs = 0;
    QList<double> latenciesMs; //!< get() call to finished(), per request
    QMap<QString, int> failureKinds; //!< "HTTP status / QNetworkReply::NetworkError" -> count
};

/*!
    Sends \a total requests with \a send, keeping at most \a inFlight in the
    air (a closed loop: a new request starts when one finishes). Each reply is
    read to the end and deleted.
*/
LoadResult runClosedLoop(int total, int inFlight, const std::function<QNetworkReply *()> &send,
                         int timeoutMs = 300000);

double percentile(QList<double> values, double p); //!< p in [0, 100], linear interpolation
double median(const QList<double> &values);
double ratio(double numerator, double denominator); //!< 0 when the denominator is 0
QString fixed(double value, int decimals = 2);

//! A table with a title, a header row and rows, aligned in columns, on stdout.
void printTable(const QString &title, const QStringList &header, const QList<QStringList> &rows);
void printNote(const QString &text);

//! A session configuration for the mock server at \a base (password grant, memory storage).
SecureTokens::SessionConfig sessionConfig(const QUrl &base);

/*!
    A Session signed in to \a base with the password grant; null (and a message
    on stderr) when sign-in did not complete.
*/
std::unique_ptr<SecureTokens::Session> signedInSession(const SecureTokens::SessionConfig &config);

//! "Bearer <token>" from Session::accessTokenForExternalUse(), as an app using its own stack does.
QByteArray externalBearer(const SecureTokens::Session &session);

//! CLOCK_MONOTONIC in nanoseconds (shared by all processes on the machine).
qint64 monotonicNs();

//! Heap bytes in use (glibc mallinfo2().uordblks, all arenas); -1 where unavailable.
qint64 heapInUse();

//! Machine facts for the JSON and the docs.
QJsonObject machineInfo();

} // namespace Bench
