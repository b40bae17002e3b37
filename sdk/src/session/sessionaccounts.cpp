// SPDX-License-Identifier: MIT
// The session's part in the account index (accountindex_p.h): its account is
// listed when its record is stored or adopted, and taken off when the record
// is removed. The index is a convenience for listing: a failure here is
// logged, never a session error.
#include "session_p.h"

#include "accountindexstore_p.h"
#include "backendmarker_p.h"
#include "dpopkeystore_p.h"

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
        Internal::removeBackendMarker(refreshLockNamespace(m_config), m_config.account);
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

void SessionPrivate::replaceRecord(AccountRecord *record, quint64 epoch,
                                   const std::function<void(const SecretStore::Result &)> &done)
{
    Q_Q(Session);
    // A key in the record goes with it when it is overwritten; only a key
    // pair on a token outlives its record, and only then is the read worth it.
    if (record->dpopKeyReference.isEmpty()) {
        writeRecord(record, done);
        return;
    }
    m_store->read(
            m_config.account, q,
            [this, record, epoch, done](const SecretStore::Result &result, SecretBytes stored) {
                if (epoch != m_epoch)
                    return; // signed out or aborted meanwhile: store nothing
                auto previous = std::make_shared<AccountRecord>();
                const bool replaced = result.ok()
                        && !decodeAccountRecord(stored.view(), previous.get()).isError()
                        && !checkAccountBinding(*previous, m_config).isError()
                        && !previous->dpopKeyReference.isEmpty()
                        && previous->dpopKeyReference != record->dpopKeyReference;
                stored.clear();
                writeRecord(record,
                            [this, previous, replaced, done](const SecretStore::Result &written) {
                                if (written.ok() && replaced) {
                                    ErrorInfo why;
                                    const auto old
                                            = Internal::loadDpopKey(*previous, m_config, &why);
                                    if (!old || !old->destroy())
                                        qCWarning(lcSession).noquote()
                                                << "DPoP key" << previous->dpopKeyReference
                                                << "of the replaced session not destroyed";
                                }
                                done(written);
                            });
            });
}

ErrorInfo SessionPrivate::checkBackendUnchanged() const
{
    const QString storageNamespace = refreshLockNamespace(m_config);
    const QString current = m_store->backendName();
    const QString noted = Internal::readBackendMarker(storageNamespace, m_config.account);
    if (noted.isEmpty() || current == QLatin1String("memory"))
        return {};
    if (noted == current) {
        // Gone from the backend that held it (removed by hand, or a wiped
        // keyring): signed out, and the note no longer true.
        Internal::removeBackendMarker(storageNamespace, m_config.account);
        return {};
    }
    // The record is left where it is, and so is the note: going back to that
    // backend finds the session as it was.
    qCWarning(lcStorage) << "the stored session is in the" << noted << "backend, not in" << current;
    return ErrorInfo::make(Error::StorageBackendChanged,
                           QStringLiteral("The stored session was written to the %1 backend; "
                                          "this start uses %2, which has none. Start with %1 "
                                          "again (on Linux: the same desktop session, or "
                                          "QTKEYCHAIN_BACKEND), or sign in to store it in %2.")
                                   .arg(noted, current));
}

} // namespace SecureTokens
