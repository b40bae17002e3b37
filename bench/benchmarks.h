// SPDX-License-Identifier: MIT
#pragma once

// The benchmarks of securetokens-bench. Each prints its table and returns its
// JSON section; an empty object means it could not run (the reason is on stderr).

#include <QJsonObject>
#include <QStringList>

class MockServerProcess;

namespace Bench {

struct Options;

//! SDK manager vs plain QNAM with a hand-set header: throughput and latency ratios.
QJsonObject runOverhead(const Options &options, MockServerProcess &server);
//! Re-runs this program under callgrind for both clients: instructions per request.
QJsonObject runCallgrind(const Options &options);
//! The client side of one callgrind measurement (--callgrind-sdk / --callgrind-plain).
int callgrindChild(const Options &options, bool sdk, int requests, int inFlight, bool dpop = false);

//! DPoP (RFC 9449): proof cost, instructions per request with and without, the nonce storm.
QJsonObject runDpop(const Options &options);
//! The child side of the signature measurement under callgrind (--callgrind-sign).
int callgrindSignChild(int signatures);

//! 1000 rejected requests in flight: SDK vs QtNetworkAuth wired as an app would.
QJsonObject runStorm(const Options &options, MockServerProcess &server);

//! The SDK side of the 401 storm with \a size requests in flight (the JSON of runStorm()).
QJsonObject sdkStormAt(MockServerProcess &server, int size);

//! How cost grows: heap per request in flight, a storm of 10 000, 1/10/100 stored accounts.
QJsonObject runScaling(const Options &options, MockServerProcess &server);

//! A fixed request rate against 5 s access tokens.
QJsonObject runSteady(const Options &options);

//! Process start to first authorized response, measured in child processes.
QJsonObject runColdStart(const Options &options, MockServerProcess &server);
//! The child side (--cold-start-child).
int coldStartChild(const QStringList &arguments);

//! Heap growth per request over a long run.
QJsonObject runMemory(const Options &options, MockServerProcess &server);

//! Per-API tokens (issue 16): the 401 storm per resource, heap per resource token.
QJsonObject runResources(const Options &options);

} // namespace Bench
