// SPDX-License-Identifier: MIT
// Every SecureTokens::Error through the CLI's exit-code mapping, against the
// README's table: 75 only for network, timeout, 5xx and 429.

#include "exitcodes.h"

#include <securetokens/error.h>

#include <QFile>
#include <QMetaEnum>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace SecureTokens;

class tst_CliExitCodes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyError_data();
    void everyError();
    void everyErrorHasARow();
    void keptSession();
    void readmeTableLists();
};

namespace {

// The README's table, written out per value (not derived from isTransient():
// the SDK keeps a session through a garbled answer, a script must not retry it).
const QHash<Error, int> &expected()
{
    static const QHash<Error, int> table = {
            {Error::NoError, 0},
            {Error::ServerError, 75},
            {Error::TemporarilyUnavailable, 75},
            {Error::RateLimited, 75},
            {Error::NetworkError, 75},
            {Error::Timeout, 75},
            {Error::StorageUnavailable, 69},
            {Error::StorageLocked, 69},
            {Error::StorageAccessDenied, 69},
            {Error::StorageTooLarge, 69},
            {Error::StorageTimeout, 69},
            {Error::StorageFailed, 69},
            {Error::NotSignedIn, 77},
            {Error::ReauthenticationRequired, 77},
            {Error::InvalidGrant, 77},
            {Error::AccessDenied, 77},
            {Error::AccountMismatch, 77},
            {Error::InvalidConfiguration, 2},
            {Error::InsecureTransport, 2},
            {Error::InvalidClient, 1},
            {Error::InvalidRequest, 1},
            {Error::UnauthorizedClient, 1},
            {Error::UnsupportedGrantType, 1},
            {Error::InvalidScope, 1},
            {Error::MalformedResponse, 1},
            {Error::ResponseTooLarge, 1},
            {Error::UnexpectedContentType, 1},
            {Error::UnsupportedTokenType, 1},
            {Error::OperationInProgress, 1},
            {Error::Cancelled, 1},
            {Error::RequestNotReplayable, 1},
            {Error::IdTokenRejected, 1},
            {Error::IssuerMismatch, 1},
            {Error::LockDirectoryUnsafe, 73},
            {Error::StateMismatch, 1},
            {Error::InvalidTarget, 1},
            {Error::DPoPKeyMissing, 77},
            {Error::StepUpRequired, 76},
            {Error::InsufficientScope, 76},
            {Error::StorageBackendChanged, 69},
    };
    return table;
}

} // namespace

void tst_CliExitCodes::everyError_data()
{
    QTest::addColumn<int>("value");
    const QMetaEnum errors = QMetaEnum::fromType<Error>();
    for (int i = 0; i < errors.keyCount(); ++i)
        QTest::addRow("%s", errors.key(i)) << errors.value(i);
}

void tst_CliExitCodes::everyError()
{
    QFETCH(int, value);
    const auto error = Error(value);
    QVERIFY2(expected().contains(error), "a new Error value: add its README exit code here");
    QCOMPARE(Cli::exitCodeFor(error), expected().value(error));
}

void tst_CliExitCodes::everyErrorHasARow()
{
    // No stale rows either: the table and the enum list the same values.
    QCOMPARE(qsizetype(QMetaEnum::fromType<Error>().keyCount()), expected().size());
}

void tst_CliExitCodes::keptSession()
{
    // With the session kept, what the SDK retries is 75 as well; nothing else changes.
    const QSet<Error> retried {Error::MalformedResponse, Error::ResponseTooLarge,
                               Error::UnexpectedContentType, Error::UnsupportedTokenType};
    const QMetaEnum errors = QMetaEnum::fromType<Error>();
    for (int i = 0; i < errors.keyCount(); ++i) {
        const auto error = Error(errors.value(i));
        const int expectedCode = retried.contains(error) ? 75 : expected().value(error);
        QVERIFY2(Cli::exitCodeForKeptSession(error) == expectedCode, errors.key(i));
    }
}

void tst_CliExitCodes::readmeTableLists()
{
    // The codes the mapping produces are the README's, and 75 says what it covers.
    QFile readme(QStringLiteral(SECURETOKENS_SOURCE_DIR "/README.md"));
    QVERIFY(readme.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(readme.readAll());
    QSet<int> documented;
    static const QRegularExpression row(QStringLiteral("^\\| (\\d+) \\| (.*) \\|$"),
                                        QRegularExpression::MultilineOption);
    for (auto it = row.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        documented.insert(m.captured(1).toInt());
        if (m.captured(1) == QLatin1String("75"))
            QVERIFY(m.captured(2).contains(QLatin1String("network, timeout, 5xx, 429")));
    }
    for (const int code : expected())
        QVERIFY2(documented.contains(code), qPrintable(QString::number(code)));
}

QTEST_GUILESS_MAIN(tst_CliExitCodes)
#include "tst_cli_exitcodes.moc"
