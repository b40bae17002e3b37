// SPDX-License-Identifier: MIT
// Every Error value has a transience decision and a description.
#include <securetokens/error.h>

#include <QDebug>
#include <QHash>
#include <QMetaEnum>
#include <QSet>
#include <QTest>

using namespace SecureTokens;

namespace {

// The decision for each value, as defined in platform/src/core/error.cpp. A value added
// to the enum without an entry here fails allValuesDecided().
const QHash<Error, bool> &expectedTransience()
{
    static const QHash<Error, bool> table {
            {Error::NoError, false},
            {Error::InvalidGrant, false},
            {Error::InvalidClient, false},
            {Error::InvalidRequest, false},
            {Error::UnauthorizedClient, false},
            {Error::UnsupportedGrantType, false},
            {Error::InvalidScope, false},
            {Error::AccessDenied, false},
            {Error::ServerError, true},
            {Error::TemporarilyUnavailable, true},
            {Error::RateLimited, true},
            {Error::NetworkError, true},
            {Error::Timeout, true},
            {Error::MalformedResponse, true},
            {Error::ResponseTooLarge, true},
            {Error::UnexpectedContentType, true},
            {Error::UnsupportedTokenType, true},
            {Error::StorageUnavailable, true},
            {Error::StorageLocked, true},
            {Error::StorageAccessDenied, false},
            {Error::StorageTooLarge, false},
            {Error::StorageTimeout, true},
            {Error::StorageFailed, false},
            {Error::NotSignedIn, false},
            {Error::ReauthenticationRequired, false},
            {Error::InvalidConfiguration, false},
            {Error::InsecureTransport, false},
            {Error::OperationInProgress, false},
            {Error::Cancelled, false},
            // The application decides whether to resend; nothing to wait for.
            {Error::RequestNotReplayable, false},
            // A forged or mixed-up answer does not get better by waiting.
            {Error::IdTokenRejected, false},
            {Error::IssuerMismatch, false},
            // Someone else's record does not become ours by waiting.
            {Error::AccountMismatch, false},
            // Another user's lock directory stays theirs however long we wait.
            {Error::LockDirectoryUnsafe, false},
            // A redirect we did not ask for stays foreign.
            {Error::StateMismatch, false},
            // A lost key does not come back by waiting.
            {Error::DPoPKeyMissing, false},
            // A resource the grant does not cover stays uncovered (RFC 8707 §2).
            {Error::InvalidTarget, false},
            // The user must act (sign in again, grant more): waiting does not help.
            {Error::StepUpRequired, false},
            {Error::InsufficientScope, false},
            // The other backend stays the other one until the app starts under it.
            {Error::StorageBackendChanged, false},
    };
    return table;
}

QList<Error> allErrors()
{
    const QMetaEnum meta = QMetaEnum::fromType<Error>();
    QList<Error> values;
    for (int i = 0; i < meta.keyCount(); ++i)
        values << Error(meta.value(i));
    return values;
}

} // namespace

class tst_Error : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void allValuesDecided();
    void transience_data();
    void transience();
    void endingSession_data();
    void endingSession();
    void describeEveryValue();
    void errorInfo();
    void sessionKeptOnlyWhenThereIsOne();
};

void tst_Error::allValuesDecided()
{
    const QList<Error> values = allErrors();
    QVERIFY(values.size() > 20);
    for (Error e : values) {
        QVERIFY2(expectedTransience().contains(e), QMetaEnum::fromType<Error>().valueToKey(int(e)));
    }
    QCOMPARE(expectedTransience().size(), values.size());
}

void tst_Error::transience_data()
{
    QTest::addColumn<Error>("error");
    QTest::addColumn<bool>("transient");
    const QMetaEnum meta = QMetaEnum::fromType<Error>();
    for (Error e : allErrors())
        QTest::addRow("%s", meta.valueToKey(int(e)))
                << e << expectedTransience().value(e, !isTransient(e));
}

void tst_Error::transience()
{
    QFETCH(Error, error);
    QFETCH(bool, transient);
    QCOMPARE(isTransient(error), transient);
    QCOMPARE(ErrorInfo::make(error, QString()).isTransient(), transient);
}

void tst_Error::endingSession_data()
{
    QTest::addColumn<Error>("error");
    QTest::addColumn<bool>("ends");
    const QMetaEnum meta = QMetaEnum::fromType<Error>();
    // Exactly the two RFC 6749 §5.2 verdicts on the grant end a session, and a
    // DPoP-bound token whose key is gone (RFC 9449).
    for (const Error error : allErrors())
        QTest::addRow("%s", meta.valueToKey(int(error)))
                << error
                << (error == Error::InvalidGrant || error == Error::InvalidClient
                    || error == Error::DPoPKeyMissing);
}

void tst_Error::endingSession()
{
    QFETCH(Error, error);
    QFETCH(bool, ends);
    QCOMPARE(endsSession(error), ends);
    QCOMPARE(ErrorInfo::make(error, QString()).endsSession(), ends);
    // Nothing that ends the session is worth retrying.
    QVERIFY(!(ends && isTransient(error)));
}

void tst_Error::describeEveryValue()
{
    const QString fallback = QStringLiteral("Unknown error.");
    QCOMPARE(describe(Error(0xff)), fallback); // a value outside the enum
    QSet<QString> seen;
    for (Error e : allErrors()) {
        const QString text = describe(e);
        const char *key = QMetaEnum::fromType<Error>().valueToKey(int(e));
        QVERIFY2(!text.isEmpty(), key);
        QVERIFY2(text != fallback, key);
        QVERIFY2(!seen.contains(text), key); // no copy-pasted descriptions
        seen.insert(text);
    }
}

void tst_Error::errorInfo()
{
    const ErrorInfo none;
    QCOMPARE(none.code, Error::NoError);
    QVERIFY(!none.isError());
    QCOMPARE(none.httpStatus, 0);
    QCOMPARE(none.retryAfterSeconds, -1);

    ErrorInfo e = ErrorInfo::make(Error::InvalidGrant, QStringLiteral("refresh rejected"));
    e.httpStatus = 400;
    e.oauthError = QStringLiteral("invalid_grant");
    QVERIFY(e.isError());
    QVERIFY(!e.isTransient());
    QString text;
    QDebug(&text) << e;
    QVERIFY2(text.contains(QLatin1String("InvalidGrant")), qPrintable(text));
    QVERIFY(text.contains(QLatin1String("400")));
    QVERIFY(text.contains(QLatin1String("invalid_grant")));
    QVERIFY(text.contains(QLatin1String("refresh rejected")));

    // Usable in QVariant (queued connections, QML).
    const QVariant v = QVariant::fromValue(e);
    QCOMPARE(v.value<ErrorInfo>().code, Error::InvalidGrant);
    QCOMPARE(v.value<ErrorInfo>().oauthError, e.oauthError);
}

void tst_Error::sessionKeptOnlyWhenThereIsOne()
{
    // A first sign-in that cannot reach the server has no session to keep.
    ErrorInfo e = ErrorInfo::make(Error::NetworkError, QString());
    QVERIFY(!describe(e).contains(QLatin1String("session is kept")));
    QVERIFY(!describe(Error::NetworkError).contains(QLatin1String("session is kept")));
    e.sessionKept = true;
    QVERIFY2(describe(e).endsWith(QLatin1String("Your session is kept.")), qPrintable(describe(e)));
    // Not transient: nothing is retried, so nothing is promised.
    ErrorInfo denied = ErrorInfo::make(Error::InvalidRequest, QString());
    denied.sessionKept = true;
    QCOMPARE(describe(denied), describe(Error::InvalidRequest));
    QCOMPARE(ErrorInfo().operation, SessionOperation::None);
    QCOMPARE(QVariant::fromValue(e).value<ErrorInfo>().sessionKept, true);
}

QTEST_GUILESS_MAIN(tst_Error)
#include "tst_error.moc"
