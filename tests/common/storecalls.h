// SPDX-License-Identifier: MIT
#pragma once

// Starts SecretStore calls and records their completions, so a test can check
// the contract (never completed inside the call, completed exactly once) and
// then look at the result. Shared by the keychain and encrypted-file suites.

#include <securetokens/secretstore.h>

#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <chrono>
#include <memory>

namespace StoreCalls {

struct Outcome
{
    int calls = 0;
    SecureTokens::SecretStore::Result result;
    SecureTokens::SecretBytes secret;
};

inline std::shared_ptr<Outcome> startRead(SecureTokens::SecretStore &store, const QString &account,
                                          QObject *context)
{
    auto outcome = std::make_shared<Outcome>();
    store.read(account, context,
               [outcome](SecureTokens::SecretStore::Result r, SecureTokens::SecretBytes s) {
                   ++outcome->calls;
                   outcome->result = r;
                   outcome->secret = std::move(s);
               });
    return outcome;
}

inline std::shared_ptr<Outcome> startWrite(SecureTokens::SecretStore &store, const QString &account,
                                           QByteArrayView value, QObject *context)
{
    auto outcome = std::make_shared<Outcome>();
    store.write(account, SecureTokens::SecretBytes(value), context,
                [outcome](SecureTokens::SecretStore::Result r) {
                    ++outcome->calls;
                    outcome->result = r;
                });
    return outcome;
}

inline std::shared_ptr<Outcome> startRemove(SecureTokens::SecretStore &store,
                                            const QString &account, QObject *context)
{
    auto outcome = std::make_shared<Outcome>();
    store.remove(account, context, [outcome](SecureTokens::SecretStore::Result r) {
        ++outcome->calls;
        outcome->result = r;
    });
    return outcome;
}

//! Keeps the event loop running for \a duration (for "nothing happens" checks).
inline void runEventLoopFor(std::chrono::milliseconds duration)
{
    QTimer timer;
    timer.setSingleShot(true);
    QSignalSpy spy(&timer, &QTimer::timeout);
    timer.start(duration);
    QVERIFY(spy.wait(int(duration.count()) * 10));
}

} // namespace StoreCalls

// Waits until the call has completed exactly once (within timeoutMs).
#define AWAIT_STORE_CALL(outcome, timeoutMs) \
    do { \
        QTRY_COMPARE_WITH_TIMEOUT((outcome)->calls, 1, (timeoutMs)); \
    } while (false)
