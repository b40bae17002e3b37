// SPDX-License-Identifier: MIT
// The session's part in the account index (accountindex_p.h): its account is
// listed when its record is stored or adopted, and taken off when the record
// is removed. The index is a convenience for listing: a failure here is
// logged, never a session error.
#include "session_p.h"

#include "accountindexstore_p.h"

#include "core/logging.h"

namespace SecureTokens {

void SessionPrivate::listAccount(const AccountIndexEntry &entry, const std::function<void()> &then)
{
    auto proceed = [then] {
        if (then)
            then();
    };
    if (entry.account.isEmpty()) { // not listed: legacy, no refresh credential, too long
        proceed();
        return;
    }
    if (!m_accountIndex)
        m_accountIndex = std::make_unique<AccountIndexStore>(refreshLockNamespace(m_config));
    // Rotation rewrites the record at every refresh; the index only changes
    // with the account's binding or identity.
    if (m_accountIndex->noted().sameAs(entry)) {
        proceed();
        return;
    }
    m_accountIndex->setNoted(entry);
    m_accountIndex->upsert(m_store, entry, [this, proceed](const ErrorInfo &error) {
        if (error.isError()) {
            qCWarning(lcStorage) << "the account could not be listed:" << error.message;
            m_accountIndex->setNoted({});
        }
        proceed();
    });
}

SecretStore::Callback
SessionPrivate::listAfterWrite(const AccountRecord &record,
                               const std::function<void(const SecretStore::Result &result)> &done)
{
    return [this, listed = indexEntryOf(m_config.account, record),
            done](const SecretStore::Result &result) {
        if (!result.ok()) {
            done(result);
            return;
        }
        listAccount(listed, [done, result] { done(result); });
    };
}

void SessionPrivate::removeStoredRecord(const SecretStore::Callback &done)
{
    Q_Q(Session);
    m_store->remove(m_config.account, q, [this, done](const SecretStore::Result &result) {
        if (!result.ok()) {
            done(result); // still stored: still listed
            return;
        }
        if (!m_accountIndex)
            m_accountIndex = std::make_unique<AccountIndexStore>(refreshLockNamespace(m_config));
        m_accountIndex->setNoted({});
        // Awaited: a process that exits once signed out leaves no entry behind.
        m_accountIndex->remove(m_store, m_config.account, [done, result](const ErrorInfo &error) {
            if (error.isError())
                qCWarning(lcStorage) << "the account list could not be "
                                        "updated:"
                                     << error.message;
            done(result);
        });
    });
}

} // namespace SecureTokens
