// SPDX-License-Identifier: MIT
#pragma once

// Shared by the DPoP sign-in suites (tst_signin_dpop, tst_signin_dpop_pkcs11):
// a password sign-in, the mock server's counters, one API request through an
// AuthenticatedNetworkAccessManager, and the account record the SDK stored.

#include "session/accountrecord_p.h"
#include "tst_signin_helpers.h"

#include <mockauthserver.h>
#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/session.h>

#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

namespace DpopTest {

//! The last error \a spy (on errorOccurred or userInfoFailed) recorded; none when empty.
inline SecureTokens::ErrorInfo lastError(const QSignalSpy &spy)
{
    return spy.isEmpty() ? SecureTokens::ErrorInfo()
                         : spy.last().at(0).value<SecureTokens::ErrorInfo>();
}

inline int stat(const SecureTokens::Mock::MockAuthServer &server, const char *name)
{
    return server.stats().value(QLatin1String(name)).toInt();
}

//! Signs \a session in as alice with the password grant; false (and why, logged) otherwise.
inline bool signIn(SecureTokens::Session &session)
{
    QSignalSpy errors(&session, &SecureTokens::Session::errorOccurred);
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    if (!QTest::qWaitFor([&] { return session.isSignedIn() || !errors.isEmpty(); },
                         SignInTest::kWait))
        qWarning("the sign-in did not finish");
    if (!errors.isEmpty())
        qWarning() << lastError(errors);
    return errors.isEmpty() && session.isSignedIn();
}

//! GET \a url through an AuthenticatedNetworkAccessManager of \a session: the status (-1: none).
inline int authenticatedGet(SecureTokens::Session &session, const QUrl &url)
{
    SecureTokens::AuthenticatedNetworkAccessManager nam(&session);
    QNetworkReply *reply = nam.get(QNetworkRequest(url));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(SignInTest::kWait))
        return -1;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    delete reply;
    return status;
}

//! The stored record of \a account, decoded (the test reads what the SDK wrote).
inline SecureTokens::AccountRecord storedRecord(SecureTokens::SecretStore &store,
                                                const QString &account, bool *found)
{
    using namespace SecureTokens;
    AccountRecord record;
    bool done = false;
    *found = false;
    QObject context;
    store.read(account, &context, [&](const SecretStore::Result &result, SecretBytes stored) {
        done = true;
        if (result.ok())
            *found = !decodeAccountRecord(stored.view(), &record).isError();
    });
    if (!QTest::qWaitFor([&] { return done; }, SignInTest::kWait))
        qWarning("the store did not answer");
    return record;
}

} // namespace DpopTest
