// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>
#include <securetokens/sessionconfig.h>

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>

#include <functional>
#include <memory>

namespace SecureTokens {

class AccountDirectoryPrivate;

/*!
    One account kept in secure storage, as AccountDirectory::list() reports
    it: who it is and which server and client its session belongs to. Never a
    token: the list is read without reading any account's record.
*/
struct SECURETOKENS_EXPORT StoredAccount
{
    //! The account name (SessionConfig::account) the session is stored under.
    QString account;
    //! The verified "sub" claim (OpenID Connect Core §2); empty without an ID token.
    QString subject;
    //! The verified "name" claim, if the provider gave one.
    QString name;
    //! The verified "email" claim, if the provider gave one.
    QString email;
    //! The issuer the session is bound to; empty when endpoints were configured by hand.
    QUrl issuer;
    //! The token endpoint (for the cookie transport: its refresh URL) the session is bound to.
    QUrl tokenEndpoint;
    //! The client id the session is bound to.
    QString clientId;
    //! When the entry was last written: the sign-in, or the identity changing since.
    QDateTime updatedAt;
};

/*!
    The accounts stored for one storage namespace (SessionConfig's
    storageService and storagePolicy, or its secretStore), for an app that
    keeps several users signed in: list them without reading their tokens,
    switch between them, remove one.

    Each account is its own Session (SessionConfig::account): its own secure
    record, its own refresh lock and its own refresh schedule. Switching is
    making (or keeping) the Session of another account: configForAccount().

    The list is an index the SDK keeps beside the records (secure storage
    cannot enumerate its entries): a Session adds its account when it stores a
    sign-in, or when it restores an account the list does not name yet (one
    signed in by a release without the list), and takes it off when the record
    is removed (signOut(), a rejected refresh token). The index holds no
    secret: account names, the binding (issuer, token endpoint, client id) and
    the display claims (sub, name, email). An account whose record was
    removed by a release without the list stays listed until remove().

    With StoragePolicy::SessionOnly every Session has a store of its own:
    share one through SessionConfig::secretStore for the directory to see it.

    Every call completes later (never inside the call), exactly once, and not
    at all when \a context is destroyed first (docs/conventions.md §4).
*/
class SECURETOKENS_EXPORT AccountDirectory : public QObject
{
    Q_OBJECT

public:
    //! Completion of list(): the accounts sorted by name, or an error and none.
    using ListCallback
            = std::function<void(const ErrorInfo &error, const QList<StoredAccount> &accounts)>;
    //! Completion of remove().
    using Callback = std::function<void(const ErrorInfo &error)>;

    /*!
        The directory of the store \a config selects; config.account does not
        matter. The config's other fields are the template configForAccount()
        copies.
    */
    explicit AccountDirectory(const SessionConfig &config, QObject *parent = nullptr);
    ~AccountDirectory() override;

    /*!
        Lists the stored accounts. Reads the index alone, never an account's
        record. None stored (nothing listed yet) is an empty list without an
        error; a damaged list, or one a newer release wrote, is StorageFailed;
        a locked or missing keychain its storage error.
    */
    void list(QObject *context, ListCallback done);

    /*!
        Removes \a account: its secure record (under its refresh lock, so a
        refresh in another process cannot write it back), then its index
        entry. Nothing is sent to the server: to revoke the refresh token too
        (RFC 7009), restore a Session for the account and call
        Session::signOut(), which also takes it off the list. Removing an
        account that is not stored is not an error. The index's own name is
        refused with InvalidConfiguration.
    */
    void remove(const QString &account, QObject *context, Callback done);

    /*!
        The configuration of \a account's Session: \a config with
        SessionConfig::account set. A Session per account; switching accounts
        is using another one of them.
    */
    static SessionConfig configForAccount(const SessionConfig &config, const QString &account);

    /*!
        Whether \a account is reserved for the SDK's own entries (the
        account index): a Session configured with it fails every storage call.
    */
    static bool isReservedAccount(const QString &account);

private:
    Q_DISABLE_COPY_MOVE(AccountDirectory)
    Q_DECLARE_PRIVATE(AccountDirectory)
    std::unique_ptr<AccountDirectoryPrivate> const d_ptr;
};

} // namespace SecureTokens
