// SPDX-License-Identifier: MIT
#pragma once

// The account index: one extra entry per store that lists the accounts whose
// secure records are kept there, with what a UI shows of them (the binding,
// display claims, when the entry was written) and no token. Secure storage
// backends cannot list their entries (QtKeychain has no enumeration), so the
// SDK keeps this list itself. Encoding and decoding are pure functions over
// untrusted input (a fuzz target: other processes of the user can write the
// entry).

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace SecureTokens {

struct AccountRecord;

//! Largest index accepted (the storage backends' own limit is 64 KiB).
inline constexpr qsizetype maxAccountIndexBytes = qsizetype(64) * 1024;
//! Most accounts one index lists; a sign-in past it is not listed (and works).
inline constexpr qsizetype maxAccountIndexEntries = 100;
//! Longest account name, issuer, endpoint or claim kept in the index (UTF-16 units).
inline constexpr qsizetype maxAccountIndexField = 512;

/*!
    \internal
    The store entry the index lives under. '#' keeps it apart from chunk
    names ("account#1", platform/src/storage/keychainchunkformat_p.h) and
    from the CLI's and the default account names; a Session configured with
    this account is refused (isReservedAccountName()).
*/
SECURETOKENS_EXPORT QString accountIndexEntryName();
//! Whether \a account is the index's own entry name (never a real account).
SECURETOKENS_EXPORT bool isReservedAccountName(const QString &account);

/*!
    \internal
    One listed account: no secret, only what identifies it and what a UI
    shows. updatedAt is when this entry was last written (a sign-in, or the
    identity changing), seconds since 1970 UTC.
*/
struct SECURETOKENS_EXPORT AccountIndexEntry
{
    QString account;
    QString issuer;
    QString tokenEndpoint;
    QString clientId;
    QString subject;
    QString name;
    QString email;
    qint64 updatedAt = 0;

    //! The same account, binding and identity (updatedAt is not compared).
    bool sameAs(const AccountIndexEntry &other) const;
};

//! The index a store holds: entries sorted by account name, names unique.
struct SECURETOKENS_EXPORT AccountIndex
{
    //! The format this SDK writes. Older versions are read; newer ones are left alone.
    static constexpr int currentVersion = 1;
    QList<AccountIndexEntry> entries;

    //! Adds or replaces the entry of \a entry.account; false when nothing changed or it is full.
    bool upsert(const AccountIndexEntry &entry);
    //! Removes \a account's entry; false when there was none.
    bool remove(const QString &account);
};

/*!
    The entry for \a record stored under \a account: its binding and the
    display claims (sub, name, email) of its verified claims. An empty entry
    (account empty) for a record that is not listed: a legacy value (no
    binding), one without a refresh credential, or a name over the limits.
*/
SECURETOKENS_EXPORT AccountIndexEntry indexEntryOf(const QString &account,
                                                   const AccountRecord &record);

/*!
    Encodes \a index as compact JSON: {"v":1,"accounts":[{"account":…,
    "iss":…,"token_endpoint":…,"client_id":…,"sub":…,"name":…,"email":…,
    "updated_at":…}]} (empty fields left out). Never longer than
    maxAccountIndexBytes for an index upsert() built.
*/
SECURETOKENS_EXPORT QByteArray encodeAccountIndex(const AccountIndex &index);

/*!
    Decodes a stored index. Fails with StorageFailed (message says why) for
    anything but the format above within the limits: not JSON, over
    maxAccountIndexBytes, too many entries, a field of the wrong type or over
    maxAccountIndexField, an entry without an account name, a reserved or
    repeated name. \a newerVersion (optional) is set when it was written by a
    newer SecureTokens (also StorageFailed). \a out is left untouched on failure.
*/
SECURETOKENS_EXPORT ErrorInfo decodeAccountIndex(QByteArrayView stored, AccountIndex *out,
                                                 bool *newerVersion = nullptr);

} // namespace SecureTokens
