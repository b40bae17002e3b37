// SPDX-License-Identifier: MIT
#include "accountindexstore_p.h"

#include "core/logging.h"
#include "storage/crossprocesslock.h"

#include <QPointer>

#include <algorithm>

namespace SecureTokens {

namespace {

// Long enough for another process's read-change-write on a slow keyring.
constexpr std::chrono::seconds lockTimeout {20};

ErrorInfo storageError(const SecretStore::Result &result, const QString &what)
{
    ErrorInfo error = ErrorInfo::make(SecretStore::toError(result.status), what);
    if (!result.message.isEmpty())
        error.message += QStringLiteral(" (") + result.message + QLatin1Char(')');
    return error;
}

} // namespace

AccountIndexStore::AccountIndexStore(const QString &lockNamespace, QObject *parent)
    : QObject(parent),
      m_lock(std::make_unique<CrossProcessLock>(lockNamespace, accountIndexEntryName()))
{ }

AccountIndexStore::~AccountIndexStore() = default; // m_lock's destructor releases the lock

void AccountIndexStore::upsert(std::shared_ptr<SecretStore> store, const AccountIndexEntry &entry,
                               Done done)
{
    Operation operation;
    operation.kind = Operation::Kind::Upsert;
    operation.store = std::move(store);
    operation.entry = entry;
    operation.done = std::move(done);
    enqueue(std::move(operation));
}

void AccountIndexStore::remove(std::shared_ptr<SecretStore> store, const QString &account,
                               Done done)
{
    Operation operation;
    operation.kind = Operation::Kind::Remove;
    operation.store = std::move(store);
    operation.account = account;
    operation.done = std::move(done);
    enqueue(std::move(operation));
}

void AccountIndexStore::list(std::shared_ptr<SecretStore> store, ListDone done)
{
    Operation operation;
    operation.kind = Operation::Kind::List;
    operation.store = std::move(store);
    operation.listDone = std::move(done);
    enqueue(std::move(operation));
}

void AccountIndexStore::enqueue(Operation operation)
{
    m_queue.push_back(std::move(operation));
    if (!m_running)
        runNext();
}

void AccountIndexStore::runNext()
{
    if (m_queue.empty()) {
        m_running = false;
        return;
    }
    m_running = true;
    // The lock completes later, so no operation completes inside its call.
    m_lock->acquire(lockTimeout, this, [this](bool acquired, const ErrorInfo &why) {
        if (!acquired) {
            finish(why);
            return;
        }
        m_queue.front().store->read(accountIndexEntryName(), this,
                                    [this](const SecretStore::Result &result, SecretBytes stored) {
                                        onRead(result, stored);
                                    });
    });
}

void AccountIndexStore::onRead(const SecretStore::Result &result, const SecretBytes &stored)
{
    Operation &operation = m_queue.front();
    AccountIndex index;
    if (!result.ok() && result.status != SecretStore::Status::NotFound) {
        finish(storageError(result, QStringLiteral("The account list could not be read.")));
        return;
    }
    if (result.ok()) {
        bool newer = false;
        const ErrorInfo decoded = decodeAccountIndex(stored.view(), &index, &newer);
        if (decoded.isError() && (newer || operation.kind == Operation::Kind::List)) {
            // A newer release's list is never overwritten; a damaged one is
            // reported to whoever lists, and rebuilt by the next change.
            finish(decoded);
            return;
        }
        if (decoded.isError())
            qCWarning(lcStorage) << "the account list is damaged; rebuilding it:"
                                 << decoded.message;
    }
    if (operation.kind == Operation::Kind::List) {
        finish({}, index);
        return;
    }
    const bool changed = operation.kind == Operation::Kind::Upsert
            ? index.upsert(operation.entry)
            : index.remove(operation.account);
    if (!changed) {
        if (operation.kind == Operation::Kind::Upsert
            && !std::any_of(index.entries.begin(), index.entries.end(),
                            [&](const AccountIndexEntry &e) {
                                return e.account == operation.entry.account;
                            }))
            qCWarning(lcStorage) << "the account list is full; the account is not listed";
        finish({});
        return;
    }
    auto written = [this](const SecretStore::Result &r) {
        finish(r.ok() ? ErrorInfo()
                      : storageError(r, QStringLiteral("The account list could not be stored.")));
    };
    if (index.entries.isEmpty()) {
        operation.store->remove(accountIndexEntryName(), this, written);
        return;
    }
    operation.store->write(accountIndexEntryName(), SecretBytes(encodeAccountIndex(index)), this,
                           written);
}

void AccountIndexStore::finish(const ErrorInfo &error, const AccountIndex &index)
{
    m_lock->release();
    Operation operation = std::move(m_queue.front());
    m_queue.pop_front();
    QPointer<AccountIndexStore> self(this);
    if (operation.done)
        operation.done(error);
    if (operation.listDone)
        operation.listDone(error, index);
    if (self) // a callback may have destroyed the owner
        runNext();
}

} // namespace SecureTokens
