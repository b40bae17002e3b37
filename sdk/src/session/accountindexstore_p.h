// SPDX-License-Identifier: MIT
#pragma once

// Reads and changes the account index of one store (accountindex_p.h):
// read, change, write under a cross-process lock of its own, one operation
// at a time, so that two processes signing in two accounts both stay listed.

#include "accountindex_p.h"

#include <securetokens/error.h>
#include <securetokens/secretstore.h>

#include <QObject>

#include <deque>
#include <functional>
#include <memory>

namespace SecureTokens {

class CrossProcessLock;

/*!
    \internal
    The index's operations. Each completes later (never inside the call),
    exactly once, and not at all once this object is gone. Lock order: a
    caller may hold an account's refresh lock while it waits for the index
    lock, never the other way round (AccountDirectory::remove() takes the two
    one after the other).
*/
class AccountIndexStore final : public QObject
{
public:
    using Done = std::function<void(const ErrorInfo &error)>;
    using ListDone = std::function<void(const ErrorInfo &error, const AccountIndex &index)>;

    /*!
        \a lockNamespace is what the refresh locks of the store's accounts are
        keyed by (refreshLockNamespace()); the index's lock is that and the
        index's entry name.
    */
    explicit AccountIndexStore(const QString &lockNamespace, QObject *parent = nullptr);
    ~AccountIndexStore() override;
    Q_DISABLE_COPY_MOVE(AccountIndexStore)

    //! Lists \a entry (replacing its account's entry); written only when it changes.
    void upsert(std::shared_ptr<SecretStore> store, const AccountIndexEntry &entry, Done done);
    //! Takes \a account off the list; written only when it was listed.
    void remove(std::shared_ptr<SecretStore> store, const QString &account, Done done);
    /*!
        Reads the index. NotFound is an empty index; a damaged one or a newer
        release's is a StorageFailed error.
    */
    void list(std::shared_ptr<SecretStore> store, ListDone done);

    /*!
        For a Session: the entry it last listed, so that a record written
        again with the same identity costs no index call.
    */
    const AccountIndexEntry &noted() const { return m_noted; }
    //! Sets noted() (an empty entry: nothing listed yet).
    void setNoted(const AccountIndexEntry &entry) { m_noted = entry; }

private:
    struct Operation
    {
        enum class Kind : quint8 { Upsert, Remove, List } kind = Kind::List;
        std::shared_ptr<SecretStore> store;
        AccountIndexEntry entry;
        QString account;
        Done done;
        ListDone listDone;
    };
    void enqueue(Operation operation);
    void runNext();
    void onRead(const SecretStore::Result &result, const SecretBytes &stored);
    void finish(const ErrorInfo &error, const AccountIndex &index = {});

    std::unique_ptr<CrossProcessLock> m_lock;
    AccountIndexEntry m_noted;
    std::deque<Operation> m_queue;
    bool m_running = false;
};

} // namespace SecureTokens
