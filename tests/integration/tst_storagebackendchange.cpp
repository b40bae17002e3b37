// SPDX-License-Identifier: MIT
// A start under another secure storage backend than the one holding the
// session (KWallet vs the Secret Service on one Linux desktop, QtKeychain
// issues #99 and #242) reports Error::StorageBackendChanged instead of
// "signed out", and leaves the record where it is. The two backends are two
// in-memory stores that answer to different names; the note of which backend
// holds the record is the SDK's real file, in QStandardPaths' test location.

#include "mockserverfixture.h"

#include <securetokens/accountdirectory.h>
#include <securetokens/memorysecretstore.h>
#include <securetokens/session.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace SecureTokens;
using Mock::MockAuthServer;
using MockTest::startMockServer;

namespace {

constexpr int kWait = 10000;

//! A store that says it is \a name, as KeychainSecretStore says "kwallet" or "secret-service".
class NamedStore final : public MemorySecretStore
{
public:
    explicit NamedStore(QString name) : m_name(std::move(name)) { }
    QString backendName() const override { return m_name; }
    bool holds(const QString &account)
    {
        bool found = false;
        bool answered = false;
        read(account, this, [&](const Result &result, const SecretBytes &secret) {
            found = result.ok() && !secret.isEmpty();
            answered = true;
        });
        return QTest::qWaitFor([&] { return answered; }, kWait) && found;
    }

private:
    const QString m_name;
};

SessionConfig configFor(const QUrl &base, std::shared_ptr<SecretStore> store)
{
    SessionConfig config;
    config.issuer = base;
    config.tokenEndpoint = QUrl(base.toString() + QStringLiteral("/oauth/token"));
    config.revocationEndpoint = QUrl(base.toString() + QStringLiteral("/oauth/revoke"));
    config.clientId = QStringLiteral("demo");
    config.storageService = QStringLiteral("backendchange");
    config.account = QStringLiteral("default");
    config.secretStore = std::move(store);
    return config;
}

bool signIn(Session &session)
{
    session.signInWithPassword(QStringLiteral("alice"), QStringLiteral("wonderland"));
    return QTest::qWaitFor([&] { return session.state() == Session::State::SignedIn; }, kWait);
}

bool restore(Session &session)
{
    session.restore();
    return QTest::qWaitFor([&] { return session.state() != Session::State::Restoring; }, kWait);
}

qint64 stat(const MockAuthServer &server, const char *name)
{
    return server.stats().value(QLatin1String(name)).toInteger();
}

QDir notesDirectory()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
                + QStringLiteral("/securetokens/backends"));
}

QStringList notes()
{
    return notesDirectory().entryList(QDir::Files);
}

QByteArray noteContents()
{
    const QStringList files = notes();
    if (files.size() != 1)
        return {};
    QFile file(notesDirectory().filePath(files.constFirst()));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class tst_StorageBackendChange : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void anotherBackendIsReportedAndKept();
    void signInUnderTheNewBackendMovesTheNote();
    void goneFromTheSameBackendIsSignedOut();
    void signOutRemovesTheNote();
    void removingTheAccountRemovesTheNote();
    void memoryStoresLeaveNoNote();
};

void tst_StorageBackendChange::initTestCase()
{
    // ~/.qttest: the test never touches the user's own notes.
    QStandardPaths::setTestModeEnabled(true);
}

void tst_StorageBackendChange::init()
{
    // The SDK's whole directory goes, so that each case sees it made anew.
    QDir dir(QFileInfo(notesDirectory().path()).path());
    QVERIFY(!dir.exists() || dir.removeRecursively());
}

void tst_StorageBackendChange::anotherBackendIsReportedAndKept()
{
    auto server = startMockServer();
    auto kwallet = std::make_shared<NamedStore>(QStringLiteral("kwallet"));
    auto secretService = std::make_shared<NamedStore>(QStringLiteral("secret-service"));
    {
        Session session(configFor(server->baseUrl(), kwallet));
        QVERIFY(signIn(session));
    }
    // The note: the backend's name only (no token, no account: the file name is a hash).
    QCOMPARE(noteContents(), QByteArray("kwallet\n"));
    const QString notePath = notesDirectory().filePath(notes().constFirst());
    QCOMPARE(QFileInfo(notePath).fileName().size(), 64);
    QCOMPARE(QFileInfo(notePath).permissions() & ~(QFile::ReadUser | QFile::WriteUser),
             QFile::ReadOwner | QFile::WriteOwner);
    // Both directories the SDK made: owner only, whatever the umask.
    const QFileDevice::Permissions othersAndGroup = QFile::ReadGroup | QFile::ReadOther
            | QFile::WriteGroup | QFile::WriteOther | QFile::ExeGroup | QFile::ExeOther;
    QCOMPARE(QFileInfo(notesDirectory().path()).permissions() & othersAndGroup,
             QFileDevice::Permissions());
    QCOMPARE(QFileInfo(QFileInfo(notesDirectory().path()).path()).permissions() & othersAndGroup,
             QFileDevice::Permissions());
    const qint64 grantsBefore = stat(*server, "refresh_grants");

    // The next start finds the Secret Service, which has nothing for the account.
    Session elsewhere(configFor(server->baseUrl(), secretService));
    QSignalSpy errors(&elsewhere, &Session::errorOccurred);
    QVERIFY(restore(elsewhere));
    QCOMPARE(elsewhere.state(), Session::State::SignedOut);
    QCOMPARE(errors.size(), 1);
    const ErrorInfo error = errors.constFirst().at(0).value<ErrorInfo>();
    QCOMPARE(error.code, Error::StorageBackendChanged);
    QVERIFY2(error.message.contains(QLatin1String("kwallet"))
                     && error.message.contains(QLatin1String("secret-service")),
             qPrintable(error.message));
    QVERIFY(!error.isTransient());
    // Nothing lost: the record and the note stay, no grant was made.
    QVERIFY(kwallet->holds(QStringLiteral("default")));
    QCOMPARE(noteContents(), QByteArray("kwallet\n"));
    QCOMPARE(stat(*server, "refresh_grants"), grantsBefore);

    // Started under KWallet again, the session is there as it was.
    Session back(configFor(server->baseUrl(), kwallet));
    QSignalSpy backErrors(&back, &Session::errorOccurred);
    QVERIFY(restore(back));
    QCOMPARE(back.state(), Session::State::SignedIn);
    QCOMPARE(backErrors.size(), 0);
}

void tst_StorageBackendChange::signInUnderTheNewBackendMovesTheNote()
{
    auto server = startMockServer();
    auto kwallet = std::make_shared<NamedStore>(QStringLiteral("kwallet"));
    auto secretService = std::make_shared<NamedStore>(QStringLiteral("secret-service"));
    {
        Session session(configFor(server->baseUrl(), kwallet));
        QVERIFY(signIn(session));
    }
    {
        // The user chose to sign in again where they are now.
        Session session(configFor(server->baseUrl(), secretService));
        QVERIFY(restore(session));
        QCOMPARE(session.lastError().code, Error::StorageBackendChanged);
        QVERIFY(signIn(session));
    }
    QCOMPARE(noteContents(), QByteArray("secret-service\n"));
    Session restored(configFor(server->baseUrl(), secretService));
    QSignalSpy errors(&restored, &Session::errorOccurred);
    QVERIFY(restore(restored));
    QCOMPARE(restored.state(), Session::State::SignedIn);
    QCOMPARE(errors.size(), 0);
}

// Removed from the backend that held it (by hand, a wiped keyring): that is a
// signed-out user, and the note, no longer true, goes.
void tst_StorageBackendChange::goneFromTheSameBackendIsSignedOut()
{
    auto server = startMockServer();
    auto kwallet = std::make_shared<NamedStore>(QStringLiteral("kwallet"));
    {
        Session session(configFor(server->baseUrl(), kwallet));
        QVERIFY(signIn(session));
    }
    bool removed = false;
    kwallet->remove(QStringLiteral("default"), kwallet.get(),
                    [&](const SecretStore::Result &result) { removed = result.ok(); });
    QTRY_VERIFY_WITH_TIMEOUT(removed, kWait);
    QCOMPARE(notes().size(), 1);

    Session session(configFor(server->baseUrl(), kwallet));
    QSignalSpy errors(&session, &Session::errorOccurred);
    QVERIFY(restore(session));
    QCOMPARE(session.state(), Session::State::SignedOut);
    QCOMPARE(errors.size(), 0);
    QCOMPARE(notes(), QStringList());
}

void tst_StorageBackendChange::signOutRemovesTheNote()
{
    auto server = startMockServer();
    auto kwallet = std::make_shared<NamedStore>(QStringLiteral("kwallet"));
    {
        Session session(configFor(server->baseUrl(), kwallet));
        QVERIFY(signIn(session));
        QCOMPARE(notes().size(), 1);
        QSignalSpy signedOut(&session, &Session::signedOut);
        session.signOut();
        QVERIFY(signedOut.wait(kWait));
    }
    QCOMPARE(notes(), QStringList());
    // A signed-out user who starts under another backend is just signed out.
    Session elsewhere(configFor(server->baseUrl(),
                                std::make_shared<NamedStore>(QStringLiteral("secret-service"))));
    QSignalSpy errors(&elsewhere, &Session::errorOccurred);
    QVERIFY(restore(elsewhere));
    QCOMPARE(elsewhere.state(), Session::State::SignedOut);
    QCOMPARE(errors.size(), 0);
}

void tst_StorageBackendChange::removingTheAccountRemovesTheNote()
{
    auto server = startMockServer();
    auto kwallet = std::make_shared<NamedStore>(QStringLiteral("kwallet"));
    const SessionConfig config = configFor(server->baseUrl(), kwallet);
    {
        Session session(config);
        QVERIFY(signIn(session));
    }
    QCOMPARE(notes().size(), 1);
    AccountDirectory accounts(config);
    bool done = false;
    ErrorInfo outcome;
    accounts.remove(QStringLiteral("default"), this, [&](const ErrorInfo &error) {
        outcome = error;
        done = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(done, kWait);
    QVERIFY2(!outcome.isError(), qPrintable(outcome.message));
    QVERIFY(!kwallet->holds(QStringLiteral("default")));
    QCOMPARE(notes(), QStringList());
}

// A session-only store keeps nothing past the process: nothing to note.
void tst_StorageBackendChange::memoryStoresLeaveNoNote()
{
    auto server = startMockServer();
    Session session(configFor(server->baseUrl(), std::make_shared<MemorySecretStore>()));
    QVERIFY(signIn(session));
    QCOMPARE(notes(), QStringList());
}

QTEST_GUILESS_MAIN(tst_StorageBackendChange)
#include "tst_storagebackendchange.moc"
