// SPDX-License-Identifier: MIT
// The account index's format. JSON, unlike the record's hand-written format:
// it holds no secret, so a library copy left in freed memory costs nothing,
// and a readable value helps whoever inspects a keyring by hand.
#include "accountindex_p.h"

#include "accountrecord_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>
#include <array>

namespace SecureTokens {

namespace {

const QLatin1String keyVersion("v");
const QLatin1String keyAccounts("accounts");
const QLatin1String keyAccount("account");
const QLatin1String keyIssuer("iss");
const QLatin1String keyTokenEndpoint("token_endpoint");
const QLatin1String keyClientId("client_id");
const QLatin1String keySubject("sub");
const QLatin1String keyName("name");
const QLatin1String keyEmail("email");
const QLatin1String keyUpdatedAt("updated_at");

ErrorInfo damaged(const QString &why)
{
    return ErrorInfo::make(Error::StorageFailed,
                           QStringLiteral("The stored account list is damaged: ") + why);
}

//! The text fields of an entry, in the order they are written.
struct TextField
{
    QLatin1String key;
    QString AccountIndexEntry::*member = nullptr;
};
const std::array<TextField, 7> textFields = {{
        {keyAccount, &AccountIndexEntry::account},
        {keyIssuer, &AccountIndexEntry::issuer},
        {keyTokenEndpoint, &AccountIndexEntry::tokenEndpoint},
        {keyClientId, &AccountIndexEntry::clientId},
        {keySubject, &AccountIndexEntry::subject},
        {keyName, &AccountIndexEntry::name},
        {keyEmail, &AccountIndexEntry::email},
}};

bool byAccount(const AccountIndexEntry &a, const AccountIndexEntry &b)
{
    return a.account < b.account;
}

} // namespace

QString accountIndexEntryName()
{
    return QStringLiteral("#accounts");
}

bool isReservedAccountName(const QString &account)
{
    return account == accountIndexEntryName();
}

bool AccountIndexEntry::sameAs(const AccountIndexEntry &other) const
{
    return std::all_of(textFields.begin(), textFields.end(), [&](const TextField &field) {
        return this->*field.member == other.*field.member;
    });
}

bool AccountIndex::upsert(const AccountIndexEntry &entry)
{
    if (entry.account.isEmpty())
        return false;
    auto it = std::lower_bound(entries.begin(), entries.end(), entry, byAccount);
    if (it != entries.end() && it->account == entry.account) {
        if (it->sameAs(entry))
            return false;
        const AccountIndexEntry before = *it;
        *it = entry;
        if (encodeAccountIndex(*this).size() > maxAccountIndexBytes) {
            *it = before;
            return false;
        }
        return true;
    }
    if (entries.size() >= maxAccountIndexEntries)
        return false;
    entries.insert(it, entry);
    // What decodeAccountIndex() would refuse is never written.
    if (encodeAccountIndex(*this).size() > maxAccountIndexBytes) {
        remove(entry.account);
        return false;
    }
    return true;
}

bool AccountIndex::remove(const QString &account)
{
    const auto it = std::find_if(entries.begin(), entries.end(),
                                 [&](const AccountIndexEntry &e) { return e.account == account; });
    if (it == entries.end())
        return false;
    entries.erase(it);
    return true;
}

AccountIndexEntry indexEntryOf(const QString &account, const AccountRecord &record)
{
    AccountIndexEntry entry;
    if (record.legacy || record.refreshToken.isEmpty() || isReservedAccountName(account))
        return entry;
    entry.issuer = record.issuer;
    entry.tokenEndpoint = record.tokenEndpoint;
    entry.clientId = record.clientId;
    if (!record.claimsJson.isEmpty()) {
        // Display claims only, from the record's verified claims (ID token,
        // and what userinfo added for the same sub).
        const QJsonObject claims = QJsonDocument::fromJson(record.claimsJson).object();
        entry.subject = claims.value(keySubject).toString();
        entry.name = claims.value(keyName).toString();
        entry.email = claims.value(keyEmail).toString();
    }
    entry.name.truncate(maxAccountIndexField);
    entry.email.truncate(maxAccountIndexField);
    // A binding or a subject that does not fit is not listed rather than
    // listed wrong; truncating it would name another account.
    const bool fits = std::all_of(textFields.begin(), textFields.end(), [&](const TextField &f) {
        return (f.member == &AccountIndexEntry::account ? account : entry.*f.member).size()
                <= maxAccountIndexField;
    });
    if (fits)
        entry.account = account;
    entry.updatedAt = record.updatedAt;
    return entry;
}

QByteArray encodeAccountIndex(const AccountIndex &index)
{
    QJsonArray accounts;
    for (const AccountIndexEntry &entry : index.entries) {
        QJsonObject object;
        for (const TextField &field : textFields) {
            if (!(entry.*field.member).isEmpty())
                object.insert(field.key, entry.*field.member);
        }
        if (entry.updatedAt > 0)
            object.insert(keyUpdatedAt, entry.updatedAt);
        accounts.append(object);
    }
    return QJsonDocument(QJsonObject {{keyVersion, AccountIndex::currentVersion},
                                      {keyAccounts, accounts}})
            .toJson(QJsonDocument::Compact);
}

ErrorInfo decodeAccountIndex(QByteArrayView stored, AccountIndex *out, bool *newerVersion)
{
    if (newerVersion)
        *newerVersion = false;
    if (stored.size() > maxAccountIndexBytes)
        return damaged(QStringLiteral("it is larger than %1 bytes.").arg(maxAccountIndexBytes));
    QJsonParseError parseError {};
    const QJsonDocument document = QJsonDocument::fromJson(stored.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return damaged(QStringLiteral("it is not a JSON object."));
    const QJsonObject top = document.object();
    const QJsonValue version = top.value(keyVersion);
    // Integral and in range: 1.5, 1e300 or a string are not versions.
    if (!version.isDouble() || version.toDouble() != double(version.toInteger())
        || version.toInteger() < 1)
        return damaged(QStringLiteral("it has no format version."));
    if (version.toInteger() > AccountIndex::currentVersion) {
        if (newerVersion)
            *newerVersion = true;
        return ErrorInfo::make(Error::StorageFailed,
                               QStringLiteral("The stored account list was written by a newer "
                                              "SecureTokens (format version %1); it is left as "
                                              "it is.")
                                       .arg(version.toInteger()));
    }
    const QJsonValue list = top.value(keyAccounts);
    if (!list.isArray())
        return damaged(QStringLiteral("it has no account array."));
    const QJsonArray array = list.toArray();
    if (array.size() > maxAccountIndexEntries)
        return damaged(
                QStringLiteral("it lists more than %1 accounts.").arg(maxAccountIndexEntries));
    AccountIndex index;
    for (const auto &value : array) {
        if (!value.isObject())
            return damaged(QStringLiteral("an entry is not an object."));
        const QJsonObject object = value.toObject();
        AccountIndexEntry entry;
        for (const TextField &field : textFields) {
            const QJsonValue text = object.value(field.key);
            if (text.isUndefined())
                continue;
            if (!text.isString() || text.toString().size() > maxAccountIndexField)
                return damaged(QStringLiteral("its field \"%1\" is malformed.").arg(field.key));
            entry.*field.member = text.toString();
        }
        const QJsonValue updatedAt = object.value(keyUpdatedAt);
        if (!updatedAt.isUndefined()) {
            if (!updatedAt.isDouble() || updatedAt.toDouble() != double(updatedAt.toInteger())
                || updatedAt.toInteger() < 0)
                return damaged(QStringLiteral("a time stamp is malformed."));
            entry.updatedAt = updatedAt.toInteger();
        }
        if (entry.account.isEmpty())
            return damaged(QStringLiteral("an entry names no account."));
        if (isReservedAccountName(entry.account))
            return damaged(QStringLiteral("an entry has the list's own name."));
        const auto at
                = std::lower_bound(index.entries.begin(), index.entries.end(), entry, byAccount);
        if (at != index.entries.end() && at->account == entry.account)
            return damaged(QStringLiteral("an account is listed twice."));
        index.entries.insert(at, entry);
    }
    *out = std::move(index);
    return {};
}

} // namespace SecureTokens
