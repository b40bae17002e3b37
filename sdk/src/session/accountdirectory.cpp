// SPDX-License-Identifier: MIT
#include <securetokens/accountdirectory.h>

#include "accountindexstore_p.h"
#include "backendmarker_p.h"
#include "session_p.h"

#include "core/invokelater.h"
#include "storage/crossprocesslock.h"

#include <QPointer>

namespace SecureTokens {

class AccountDirectoryPrivate
{
public:
    explicit AccountDirectoryPrivate(const SessionConfig &config)
        : m_config(config),
          m_store(makeSecretStore(AccountDirectory::configForAccount(config, QString()))),
          m_index(refreshLockNamespace(config))
    { }

    SessionConfig m_config;
    std::shared_ptr<SecretStore> m_store;
    AccountIndexStore m_index;
};

AccountDirectory::AccountDirectory(const SessionConfig &config, QObject *parent)
    : QObject(parent), d_ptr(std::make_unique<AccountDirectoryPrivate>(config))
{ }

AccountDirectory::~AccountDirectory() = default;

SessionConfig AccountDirectory::configForAccount(const SessionConfig &config,
                                                 const QString &account)
{
    SessionConfig copy = config;
    copy.account = account.isEmpty() ? SessionConfig().account : account;
    return copy;
}

bool AccountDirectory::isReservedAccount(const QString &account)
{
    return isReservedAccountName(account);
}

void AccountDirectory::list(QObject *context, ListCallback done)
{
    Q_D(AccountDirectory);
    QPointer<QObject> guard(context);
    d->m_index.list(
            d->m_store,
            [guard, done = std::move(done)](const ErrorInfo &error, const AccountIndex &index) {
                if (!guard)
                    return;
                QList<StoredAccount> accounts;
                for (const AccountIndexEntry &entry : index.entries) {
                    StoredAccount account;
                    account.account = entry.account;
                    account.subject = entry.subject;
                    account.name = entry.name;
                    account.email = entry.email;
                    account.issuer = QUrl(entry.issuer);
                    account.tokenEndpoint = QUrl(entry.tokenEndpoint);
                    account.clientId = entry.clientId;
                    if (entry.updatedAt > 0)
                        account.updatedAt = QDateTime::fromSecsSinceEpoch(entry.updatedAt, Qt::UTC);
                    accounts.append(account);
                }
                done(error, accounts);
            });
}

void AccountDirectory::remove(const QString &account, QObject *context, Callback done)
{
    Q_D(AccountDirectory);
    QPointer<QObject> guard(context);
    if (isReservedAccountName(account) || account.isEmpty()) {
        invokeLater(context, [account, done = std::move(done)] {
            done(ErrorInfo::make(Error::InvalidConfiguration,
                                 QStringLiteral("\"%1\" is not an account name.").arg(account)));
        });
        return;
    }
    // The record under the account's refresh lock (another process may be
    // rotating it: its write would bring the record back), then, with that
    // lock released, the index entry under the index's lock (the lock order
    // of AccountIndexStore).
    const SessionConfig config = configForAccount(d->m_config, account);
    auto lock = std::make_shared<CrossProcessLock>(refreshLockNamespace(config), account);
    // The index entry goes only with the record: a record that could not be
    // removed stays listed.
    auto finish = [this, guard, done, account](const ErrorInfo &recordError) {
        Q_D(AccountDirectory);
        if (recordError.isError()) {
            if (guard)
                done(recordError);
            return;
        }
        d->m_index.remove(d->m_store, account, [guard, done](const ErrorInfo &error) {
            if (guard)
                done(error);
        });
    };
    lock->acquire(
            config.requestTimeout + std::chrono::seconds(10), this,
            [this, lock, account, finish,
             storageNamespace = refreshLockNamespace(config)](bool acquired, const ErrorInfo &why) {
                Q_D(AccountDirectory);
                if (!acquired) {
                    finish(why);
                    return;
                }
                d->m_store->remove(
                        account, this,
                        [lock, finish, storageNamespace,
                         account](const SecretStore::Result &result) {
                            lock->release();
                            if (result.ok()) {
                                // Removed: no backend holds it now.
                                Internal::removeBackendMarker(storageNamespace, account);
                                finish({});
                                return;
                            }
                            finish(SessionPrivate::storageError(result,
                                                                QStringLiteral("The stored session "
                                                                               "could not be "
                                                                               "removed.")));
                        });
            });
}

} // namespace SecureTokens
