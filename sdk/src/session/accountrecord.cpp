// SPDX-License-Identifier: MIT
// The stored record's format, written by hand on purpose: it is a handful of
// tagged fields, and a hand-written encoder can size its buffer exactly and a
// decoder can read every field as a view of the input, so no library copy of
// a refresh token, client secret or key is left in freed memory.
#include "accountrecord_p.h"

#include <securetokens/sessionconfig.h>

#include <QtEndian>

#include <array>
#include <bitset>
#include <cstring>

namespace SecureTokens {

namespace {

// A NUL first: no value an earlier release stored starts with one (refresh
// tokens are VSCHAR, RFC 6749 Appendix A.17; the cookie envelope is "stc1").
constexpr std::array<char, 4> magic = {'\0', 'S', 'T', 'R'};
constexpr qsizetype headerSize = qsizetype(magic.size()) + 1; // magic + version
constexpr qsizetype fieldOverhead = 1 + 4; // tag + 32-bit length

// Field tags of version 1. Numbers are never reused.
enum Tag : quint8 {
    TagKind = 1,
    TagIssuer = 2,
    TagTokenEndpoint = 3,
    TagClientId = 4,
    TagRefreshToken = 5,
    TagClientSecret = 6,
    TagIdToken = 7,
    TagClaims = 8,
    TagScope = 9,
    TagDpopPrivateKey = 10,
    TagDpopKeyReference = 11,
    TagBackend = 12,
    TagUpdatedAt = 13,
    TagCount
};

ErrorInfo damaged(const QString &why)
{
    return ErrorInfo::make(Error::StorageFailed,
                           QStringLiteral("The stored session is damaged: ") + why);
}

QString bindingOf(const SessionConfig &config, AccountRecord::Kind *kind)
{
    if (config.transport == RefreshTransportKind::Cookie) {
        *kind = AccountRecord::Kind::Cookie;
        const QUrl url = config.cookieRefreshUrl.isEmpty() ? config.cookieAuthBase
                                                           : config.cookieRefreshUrl;
        return url.toString(QUrl::FullyEncoded);
    }
    *kind = AccountRecord::Kind::OAuth;
    return config.tokenEndpoint.toString(QUrl::FullyEncoded);
}

} // namespace

AccountRecord AccountRecord::clone() const
{
    AccountRecord copy;
    copy.kind = kind;
    copy.issuer = issuer;
    copy.tokenEndpoint = tokenEndpoint;
    copy.clientId = clientId;
    copy.refreshToken = refreshToken.clone();
    copy.clientSecret = clientSecret.clone();
    copy.idToken = idToken.clone();
    copy.claimsJson = claimsJson;
    copy.scope = scope;
    copy.dpopPrivateKey = dpopPrivateKey.clone();
    copy.dpopKeyReference = dpopKeyReference;
    copy.backend = backend;
    copy.updatedAt = updatedAt;
    copy.legacy = legacy;
    return copy;
}

SecretBytes encodeAccountRecord(const AccountRecord &record)
{
    const QByteArray issuer = record.issuer.toUtf8();
    const QByteArray tokenEndpoint = record.tokenEndpoint.toUtf8();
    const QByteArray clientId = record.clientId.toUtf8();
    const QByteArray scope = record.scope.toUtf8();
    const QByteArray keyReference = record.dpopKeyReference.toUtf8();
    const QByteArray backend = record.backend.toUtf8();
    std::array<char, 8> updatedAt {};
    qToBigEndian(record.updatedAt, updatedAt.data());
    const char kind = char(record.kind);

    struct Field
    {
        Tag tag = TagCount;
        QByteArrayView bytes;
    };
    const std::array<Field, 13> fields = {{
            {TagKind, QByteArrayView(&kind, 1)},
            {TagIssuer, issuer},
            {TagTokenEndpoint, tokenEndpoint},
            {TagClientId, clientId},
            {TagRefreshToken, record.refreshToken.view()},
            {TagClientSecret, record.clientSecret.view()},
            {TagIdToken, record.idToken.view()},
            {TagClaims, record.claimsJson},
            {TagScope, scope},
            {TagDpopPrivateKey, record.dpopPrivateKey.view()},
            {TagDpopKeyReference, keyReference},
            {TagBackend, backend},
            {TagUpdatedAt,
             record.updatedAt == 0 ? QByteArrayView()
                                   : QByteArrayView(updatedAt.data(), qsizetype(updatedAt.size()))},
    }};
    qsizetype size = headerSize;
    for (const Field &field : fields) {
        if (!field.bytes.isEmpty())
            size += fieldOverhead + field.bytes.size();
    }
    // Written into a buffer of its final size, adopted (and so wiped) by SecretBytes.
    QByteArray out(size, Qt::Uninitialized);
    char *p = out.data();
    std::memcpy(p, magic.data(), magic.size());
    p += magic.size();
    *p++ = char(AccountRecord::currentVersion);
    for (const Field &field : fields) {
        if (field.bytes.isEmpty())
            continue; // absent and empty are the same
        *p++ = char(field.tag);
        qToBigEndian(quint32(field.bytes.size()), p);
        p += 4;
        std::memcpy(p, field.bytes.data(), size_t(field.bytes.size()));
        p += field.bytes.size();
    }
    Q_ASSERT(p == out.constData() + out.size());
    return SecretBytes::adopt(out);
}

ErrorInfo decodeAccountRecord(QByteArrayView stored, AccountRecord *out)
{
    if (stored.size() > maxAccountRecordBytes)
        return damaged(QStringLiteral("it is larger than %1 bytes.").arg(maxAccountRecordBytes));
    if (stored.size() < qsizetype(magic.size())
        || std::memcmp(stored.data(), magic.data(), magic.size()) != 0) {
        if (stored.isEmpty())
            return damaged(QStringLiteral("it is empty."));
        AccountRecord legacy;
        legacy.legacy = true;
        legacy.refreshToken = SecretBytes(stored);
        *out = std::move(legacy);
        return {};
    }
    if (stored.size() < headerSize)
        return damaged(QStringLiteral("it has no format version."));
    const auto version = quint8(stored[magic.size()]);
    if (version == 0 || version > AccountRecord::currentVersion) {
        return ErrorInfo::make(Error::StorageFailed,
                               QStringLiteral("The stored session was written by a newer "
                                              "SecureTokens (format version %1); it is left as "
                                              "it is.")
                                       .arg(version));
    }
    AccountRecord record;
    std::bitset<TagCount> seen;
    qsizetype i = headerSize;
    while (i < stored.size()) {
        if (stored.size() - i < fieldOverhead)
            return damaged(QStringLiteral("a field is cut short."));
        const auto tag = quint8(stored[i]);
        const auto length = qFromBigEndian<quint32>(stored.data() + i + 1);
        i += fieldOverhead;
        if (tag == 0 || tag >= TagCount)
            return damaged(QStringLiteral("it has an unknown field (%1).").arg(tag));
        if (seen.test(tag))
            return damaged(QStringLiteral("a field appears twice (%1).").arg(tag));
        seen.set(tag);
        if (length == 0 || length > quint32(stored.size() - i))
            return damaged(QStringLiteral("a field's length is wrong (%1).").arg(tag));
        const QByteArrayView bytes = stored.sliced(i, qsizetype(length));
        i += qsizetype(length);
        switch (Tag(tag)) {
        case TagKind:
            if (bytes.size() != 1
                || (bytes[0] != char(AccountRecord::Kind::OAuth)
                    && bytes[0] != char(AccountRecord::Kind::Cookie)))
                return damaged(QStringLiteral("its kind is unknown."));
            record.kind = AccountRecord::Kind(bytes[0]);
            break;
        case TagIssuer:
            record.issuer = QString::fromUtf8(bytes);
            break;
        case TagTokenEndpoint:
            record.tokenEndpoint = QString::fromUtf8(bytes);
            break;
        case TagClientId:
            record.clientId = QString::fromUtf8(bytes);
            break;
        case TagRefreshToken:
            record.refreshToken = SecretBytes(bytes);
            break;
        case TagClientSecret:
            record.clientSecret = SecretBytes(bytes);
            break;
        case TagIdToken:
            record.idToken = SecretBytes(bytes);
            break;
        case TagClaims:
            record.claimsJson = bytes.toByteArray();
            break;
        case TagScope:
            record.scope = QString::fromUtf8(bytes);
            break;
        case TagDpopPrivateKey:
            record.dpopPrivateKey = SecretBytes(bytes);
            break;
        case TagDpopKeyReference:
            record.dpopKeyReference = QString::fromUtf8(bytes);
            break;
        case TagBackend:
            record.backend = QString::fromUtf8(bytes);
            break;
        case TagUpdatedAt:
            if (bytes.size() != 8)
                return damaged(QStringLiteral("its time stamp is malformed."));
            record.updatedAt = qFromBigEndian<qint64>(bytes.data());
            break;
        case TagCount:
            break;
        }
    }
    if (record.refreshToken.isEmpty())
        return damaged(QStringLiteral("it holds no refresh credential."));
    if (record.clientId.isEmpty() && record.kind == AccountRecord::Kind::OAuth)
        return damaged(QStringLiteral("it names no client."));
    *out = std::move(record);
    return {};
}

void bindAccountRecord(AccountRecord *record, const SessionConfig &config)
{
    record->tokenEndpoint = bindingOf(config, &record->kind);
    record->issuer
            = config.issuer.isEmpty() ? QString() : config.issuer.toString(QUrl::FullyEncoded);
    record->clientId = config.clientId;
    record->legacy = false;
}

ErrorInfo checkAccountBinding(const AccountRecord &record, const SessionConfig &config)
{
    if (record.legacy)
        return {};
    AccountRecord::Kind kind = AccountRecord::Kind::OAuth;
    const QString binding = bindingOf(config, &kind);
    const QString issuer
            = config.issuer.isEmpty() ? QString() : config.issuer.toString(QUrl::FullyEncoded);
    auto mismatch = [](const QString &what, const QString &stored, const QString &configured) {
        return ErrorInfo::make(Error::AccountMismatch,
                               QStringLiteral("The stored session belongs to %1 \"%2\", not to "
                                              "the configured \"%3\"; it was not used.")
                                       .arg(what, stored, configured));
    };
    if (record.kind != kind)
        return mismatch(QStringLiteral("another transport"),
                        record.kind == AccountRecord::Kind::Cookie ? QStringLiteral("cookie")
                                                                   : QStringLiteral("oauth"),
                        kind == AccountRecord::Kind::Cookie ? QStringLiteral("cookie")
                                                            : QStringLiteral("oauth"));
    if (record.clientId != config.clientId)
        return mismatch(QStringLiteral("client"), record.clientId, config.clientId);
    // The issuer identifies the server when there is one (the token endpoint
    // may come from its discovery document); otherwise the token endpoint does.
    if (!issuer.isEmpty() || !record.issuer.isEmpty()) {
        if (record.issuer != issuer)
            return mismatch(QStringLiteral("issuer"), record.issuer, issuer);
        return {};
    }
    if (record.tokenEndpoint != binding)
        return mismatch(kind == AccountRecord::Kind::Cookie ? QStringLiteral("cookie backend")
                                                            : QStringLiteral("token endpoint"),
                        record.tokenEndpoint, binding);
    return {};
}

} // namespace SecureTokens
