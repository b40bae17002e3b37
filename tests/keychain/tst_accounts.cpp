// SPDX-License-Identifier: MIT
// Several accounts in one store (issue 16): listed without reading their
// tokens, removed one at a time, each with its own record, lock and refresh
// schedule. The real Secret Service (gnome-keyring, scripts/with-keyring), the
// mock server on loopback, and the CLI as a real process.

#include "cliprocess.h"
#include "mockserverfixture.h"
#include "session/accountindex_p.h"
#include "session/accountrecord_p.h"
#include "storecalls.h"

#include <securetokens/accountdirectory.h>
#include <securetokens/keychainsecretstore.h>
#include <securetokens/session.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace SecureTokens;
using MockTest::startMockServer;

namespace {

constexpr int kWait = 15000;

//! The real keychain store, with every call's account name recorded.
class CountingStore final : public SecretStore
{
public:
    explicit CountingStore(const QString &service)
        : m_inner(std::make_shared<KeychainSecretStore>(service))
    { }
    void read(const QString &account, QObject *context, ReadCallback done) override
    {
        reads.append(account);
        m_inner->read(account, context, std::move(done));
    }
    void write(const QString &account, const SecretBytes &secret, QObject *context,
               Callback done) override
    {
        writes.append(account);
        m_inner->write(account, secret, context, std::move(done));
    }
    void remove(const QString &account, QObject *context, Callback done) override
    {
        m_inner->remove(account, context, std::move(done));
    }
    QString backendName() const override { return m_inner->backendName(); }

    QStringList reads;
    QStringList writes;

private:
    std::shared_ptr<KeychainSecretStore> m_inner;
};

struct Listed
{
    int calls = 0;
    ErrorInfo error;
    QStringList names;
    QList<StoredAccount> accounts;
};

} // namespace

class tst_Accounts : public QObject
{
    Q_OBJECT

    std::unique_ptr<Mock::MockAuthServer> m_server;
    QString m_service;
    std::shared_ptr<CountingStore> m_store;
    int m_round = 0;

    SessionConfig config(const QString &account) const
    {
        SessionConfig c;
        c.issuer = m_server->baseUrl();
        c.tokenEndpoint = QUrl(m_server->baseUrl().toString() + QStringLiteral("/oauth/token"));
        c.revocationEndpoint
                = QUrl(m_server->baseUrl().toString() + QStringLiteral("/oauth/revoke"));
        c.clientId = QStringLiteral("demo");
        c.dpop = DpopMode::Off;
        c.storageService = m_service;
        c.secretStore = m_store;
        c.account = account;
        return c;
    }

    std::unique_ptr<Session> signedIn(const QString &account, const QString &user,
                                      const QString &password)
    {
        auto session = std::make_unique<Session>(config(account));
        session->signInWithPassword(user, password);
        if (!QTest::qWaitFor([&] { return session->state() == Session::State::SignedIn; }, kWait))
            return nullptr;
        return session;
    }

    Listed list()
    {
        AccountDirectory directory(config(QString()));
        Listed out;
        directory.list(this, [&](const ErrorInfo &error, const QList<StoredAccount> &accounts) {
            ++out.calls;
            out.error = error;
            out.accounts = accounts;
            for (const StoredAccount &a : accounts)
                out.names.append(a.account);
        });
        (void)QTest::qWaitFor([&] { return out.calls > 0; }, kWait);
        return out;
    }

    //! The raw value under \a account, read from a separate keychain store.
    QByteArray raw(const QString &account)
    {
        KeychainSecretStore store(m_service);
        auto outcome = StoreCalls::startRead(store, account, this);
        (void)QTest::qWaitFor([&] { return outcome->calls > 0; }, kWait);
        return outcome->result.ok() ? outcome->secret.view().toByteArray() : QByteArray();
    }

    void writeRaw(const QString &account, const QByteArray &value)
    {
        KeychainSecretStore store(m_service);
        auto outcome = StoreCalls::startWrite(store, account, value, this);
        (void)QTest::qWaitFor([&] { return outcome->calls > 0; }, kWait);
        QVERIFY(outcome->result.ok());
    }

private Q_SLOTS:
    void init()
    {
        Mock::ServerConfig server;
        server.users = {{QStringLiteral("alice"), QStringLiteral("wonderland")},
                        {QStringLiteral("bob"), QStringLiteral("builder")}};
        server.accessTtl = 60;
        m_server = startMockServer(server);
        // A namespace of its own per test: nothing carries over.
        m_service = QStringLiteral("tst-accounts-%1-%2")
                            .arg(QCoreApplication::applicationPid())
                            .arg(++m_round);
        m_store = std::make_shared<CountingStore>(m_service);
    }

    void listsAccountsWithoutReadingTokens()
    {
        auto work = signedIn(QStringLiteral("work"), QStringLiteral("alice"),
                             QStringLiteral("wonderland"));
        auto home = signedIn(QStringLiteral("home"), QStringLiteral("bob"),
                             QStringLiteral("builder"));
        QVERIFY(work && home);
        // The contract (conventions §4): later, exactly once, not for a dead context.
        AccountDirectory directory(config(QString()));
        int early = 0;
        auto *gone = new QObject;
        directory.list(gone, [&](const ErrorInfo &, const QList<StoredAccount> &) { ++early; });
        delete gone;
        int later = 0;
        directory.list(this, [&](const ErrorInfo &, const QList<StoredAccount> &) { ++later; });
        QCOMPARE(later, 0);
        // One operation at a time, in order: when the second is done, the first was dropped.
        QTRY_COMPARE_WITH_TIMEOUT(later, 1, kWait);
        QCOMPARE(early, 0);

        m_store->reads.clear();
        const Listed listed = list();
        QCOMPARE(listed.calls, 1);
        QVERIFY2(!listed.error.isError(), qPrintable(listed.error.message));
        QCOMPARE(listed.names, (QStringList {QStringLiteral("home"), QStringLiteral("work")}));
        for (const StoredAccount &a : listed.accounts) {
            QCOMPARE(a.issuer, m_server->baseUrl());
            QCOMPARE(a.clientId, QStringLiteral("demo"));
            QVERIFY(a.updatedAt.isValid());
            QVERIFY(qAbs(a.updatedAt.secsTo(QDateTime::currentDateTimeUtc())) < 120);
        }
        // The list came from the index alone: no account's record was read.
        QCOMPARE(m_store->reads, QStringList {accountIndexEntryName()});

        // And the index holds no token: the records' refresh tokens are not in it.
        const QByteArray index = raw(accountIndexEntryName());
        QVERIFY(!index.isEmpty());
        for (const QString &account : {QStringLiteral("work"), QStringLiteral("home")}) {
            AccountRecord record;
            QVERIFY(!decodeAccountRecord(raw(account), &record).isError());
            QVERIFY(record.refreshToken.size() > 8);
            QVERIFY(!index.contains(record.refreshToken.view().toByteArray()));
        }
    }

    void removeOneTheOtherStillRefreshes()
    {
        auto work = signedIn(QStringLiteral("work"), QStringLiteral("alice"),
                             QStringLiteral("wonderland"));
        auto home = signedIn(QStringLiteral("home"), QStringLiteral("bob"),
                             QStringLiteral("builder"));
        QVERIFY(work && home);
        AccountDirectory directory(config(QString()));
        int calls = 0;
        ErrorInfo removed;
        directory.remove(QStringLiteral("work"), this, [&](const ErrorInfo &e) {
            ++calls;
            removed = e;
        });
        QCOMPARE(calls, 0); // never inside the call
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kWait);
        QVERIFY2(!removed.isError(), qPrintable(removed.message));
        QCOMPARE(list().names, QStringList {QStringLiteral("home")});
        QVERIFY(raw(QStringLiteral("work")).isEmpty());

        // The other account refreshes as before.
        const QString before = home->accessTokenFingerprint();
        home->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(home->refreshCount(), 1, kWait);
        QCOMPARE(home->state(), Session::State::SignedIn);
        QVERIFY(home->accessTokenFingerprint() != before);
        // The removed one has nothing to restore.
        Session again(config(QStringLiteral("work")));
        again.restore();
        QTRY_VERIFY_WITH_TIMEOUT(again.state() != Session::State::Restoring, kWait);
        QCOMPARE(again.state(), Session::State::SignedOut);

        // Removing what is not there is fine; the list's own name is refused.
        calls = 0;
        directory.remove(QStringLiteral("never-stored"), this, [&](const ErrorInfo &e) {
            ++calls;
            removed = e;
        });
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kWait);
        QVERIFY(!removed.isError());
        calls = 0;
        directory.remove(accountIndexEntryName(), this, [&](const ErrorInfo &e) {
            ++calls;
            removed = e;
        });
        QCOMPARE(calls, 0);
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kWait);
        QCOMPARE(removed.code, Error::InvalidConfiguration);
        QCOMPARE(list().names, QStringList {QStringLiteral("home")});
    }

    void accountsRefreshIndependently()
    {
        auto work = signedIn(QStringLiteral("work"), QStringLiteral("alice"),
                             QStringLiteral("wonderland"));
        auto home = signedIn(QStringLiteral("home"), QStringLiteral("bob"),
                             QStringLiteral("builder"));
        QVERIFY(work && home);
        // One account's refresh leaves the other's token and count alone.
        const QString homeToken = home->accessTokenFingerprint();
        work->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(work->refreshCount(), 1, kWait);
        work->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(work->refreshCount(), 2, kWait);
        QCOMPARE(home->refreshCount(), 0);
        QCOMPARE(home->accessTokenFingerprint(), homeToken);
        // Both refresh at once: separate locks, neither waits for the other's.
        work->refresh();
        home->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(work->refreshCount(), 3, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(home->refreshCount(), 1, kWait);
        QCOMPARE(work->subject(), home->subject()); // (empty: no ID token from this grant)
        // Rotation rewrote both records but not the index (the identity did not change).
        QCOMPARE(m_store->writes.count(accountIndexEntryName()), 2);
        QCOMPARE(m_store->writes.count(QStringLiteral("work")), 4);
    }

    void signOutTakesItOffTheList()
    {
        auto work = signedIn(QStringLiteral("work"), QStringLiteral("alice"),
                             QStringLiteral("wonderland"));
        auto home = signedIn(QStringLiteral("home"), QStringLiteral("bob"),
                             QStringLiteral("builder"));
        QVERIFY(work && home);
        QSignalSpy signedOut(home.get(), &Session::signedOut);
        home->signOut();
        QVERIFY(signedOut.wait(kWait));
        // Off the list by the time signedOut() is emitted (a CLI exits then).
        AccountIndex index;
        QVERIFY(!decodeAccountIndex(raw(accountIndexEntryName()), &index).isError());
        QCOMPARE(index.entries.size(), 1);
        QCOMPARE(index.entries.at(0).account, QStringLiteral("work"));
        QSignalSpy workOut(work.get(), &Session::signedOut);
        work->signOut();
        QVERIFY(workOut.wait(kWait));
        // The last one gone: no list entry is left in the keyring.
        QVERIFY(raw(accountIndexEntryName()).isEmpty());
        const Listed listed = list();
        QVERIFY(!listed.error.isError());
        QVERIFY(listed.names.isEmpty());
    }

    void olderReleasesAccountIsListedOnRestore()
    {
        {
            auto old = signedIn(QStringLiteral("old"), QStringLiteral("alice"),
                                QStringLiteral("wonderland"));
            QVERIFY(old);
        }
        // What a release without the index leaves: the record alone.
        KeychainSecretStore keychain(m_service);
        auto removed = StoreCalls::startRemove(keychain, accountIndexEntryName(), this);
        AWAIT_STORE_CALL(removed, kWait);
        QVERIFY(list().names.isEmpty());
        Session restored(config(QStringLiteral("old")));
        restored.restore();
        QTRY_COMPARE_WITH_TIMEOUT(restored.state(), Session::State::SignedIn, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(list().names, QStringList {QStringLiteral("old")}, kWait);
    }

    void damagedListIsReportedAndRebuilt()
    {
        writeRaw(accountIndexEntryName(), QByteArrayLiteral("{\"v\":1,\"accounts\":[{}]}"));
        const Listed damaged = list();
        QCOMPARE(damaged.error.code, Error::StorageFailed);
        QVERIFY(damaged.error.message.contains(QLatin1String("damaged")));
        // A sign-in is not held up by it, and writes a sound list.
        auto fresh = signedIn(QStringLiteral("fresh"), QStringLiteral("alice"),
                              QStringLiteral("wonderland"));
        QVERIFY(fresh);
        const Listed rebuilt = list();
        QVERIFY(!rebuilt.error.isError());
        QCOMPARE(rebuilt.names, QStringList {QStringLiteral("fresh")});

        // A newer release's list is reported and never overwritten.
        const QByteArray newer = QByteArrayLiteral("{\"v\":2,\"accounts\":[],\"more\":1}");
        writeRaw(accountIndexEntryName(), newer);
        auto second = signedIn(QStringLiteral("second"), QStringLiteral("bob"),
                               QStringLiteral("builder"));
        QVERIFY(second);
        QCOMPARE(raw(accountIndexEntryName()), newer);
        const Listed refused = list();
        QCOMPARE(refused.error.code, Error::StorageFailed);
        QVERIFY(refused.error.message.contains(QLatin1String("newer")));
    }

    void reservedAccountNameIsRefused()
    {
        auto work = signedIn(QStringLiteral("work"), QStringLiteral("alice"),
                             QStringLiteral("wonderland"));
        QVERIFY(work);
        const QByteArray before = raw(accountIndexEntryName());
        QVERIFY(!before.isEmpty());
        Session reserved(config(accountIndexEntryName()));
        QSignalSpy errors(&reserved, &Session::errorOccurred);
        reserved.signInWithPassword(QStringLiteral("bob"), QStringLiteral("builder"));
        QVERIFY(errors.wait(kWait));
        QCOMPARE(errors.at(0).at(0).value<ErrorInfo>().code, Error::StorageUnavailable);
        QVERIFY(errors.at(0).at(0).value<ErrorInfo>().message.contains(QLatin1String("reserved")));
        QCOMPARE(reserved.state(), Session::State::SignedOut);
        QCOMPARE(raw(accountIndexEntryName()), before);
    }

    void cli()
    {
        QTemporaryDir home;
        QVERIFY(home.isValid());
        const CliProcess cli(QStringLiteral(SECURETOKENS_CLI_PATH), home.path(), m_service);
        const QString base = m_server->baseUrl().toString();
        auto login = [&](const QString &account, const QString &user, const QByteArray &password) {
            return cli.run({QStringLiteral("login"), QStringLiteral("--issuer"), base,
                            QStringLiteral("--client-id"), QStringLiteral("demo"),
                            QStringLiteral("--username"), user, QStringLiteral("--password-stdin"),
                            QStringLiteral("--account"), account},
                           password);
        };
        QCOMPARE(login(QStringLiteral("a"), QStringLiteral("alice"), "wonderland").exitCode, 0);
        QCOMPARE(login(QStringLiteral("b"), QStringLiteral("bob"), "builder").exitCode, 0);

        CliProcess::Run r = cli.run({QStringLiteral("accounts"), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        QJsonArray listed = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(listed.size(), 2);
        QCOMPARE(listed.at(0).toObject().value(QLatin1String("account")).toString(),
                 QStringLiteral("a"));
        QCOMPARE(listed.at(1).toObject().value(QLatin1String("issuer")).toString(), base);
        r = cli.run({QStringLiteral("accounts")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.count('\n'), 2);
        QVERIFY(r.out.startsWith("a\t"));

        r = cli.run({QStringLiteral("status"), QStringLiteral("--all"), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QJsonArray all = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(all.size(), 2);
        for (const QJsonValue &v : all)
            QVERIFY(v.toObject().value(QLatin1String("signed_in")).toBool());

        // remove: signed out as logout does (revoked, wiped, off the list).
        const qint64 revokedBefore
                = m_server->stats().value(QLatin1String("revocations")).toInteger();
        r = cli.run({QStringLiteral("accounts"), QStringLiteral("remove"), QStringLiteral("a")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(m_server->stats().value(QLatin1String("revocations")).toInteger(),
                 revokedBefore + 1);
        r = cli.run({QStringLiteral("accounts"), QStringLiteral("--json")});
        listed = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(listed.size(), 1);
        QCOMPARE(listed.at(0).toObject().value(QLatin1String("account")).toString(),
                 QStringLiteral("b"));
        r = cli.run({QStringLiteral("call"), base + QStringLiteral("/api/me"),
                     QStringLiteral("--account"), QStringLiteral("b")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("bob"));
        r = cli.run({QStringLiteral("status"), QStringLiteral("--all")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.count('\n'), 1);
        QVERIFY(r.out.startsWith("b: signed in"));

        // The list's own name is not an account.
        r = cli.run(
                {QStringLiteral("accounts"), QStringLiteral("remove"), accountIndexEntryName()});
        QCOMPARE(r.exitCode, 2);
        r = login(accountIndexEntryName(), QStringLiteral("alice"), "wonderland");
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("reserved"));
    }
};

QTEST_GUILESS_MAIN(tst_Accounts)
#include "tst_accounts.moc"
