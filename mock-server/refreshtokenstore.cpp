// SPDX-License-Identifier: MIT
#include "refreshtokenstore_p.h"

#include "crypto_p.h"
#include "logging_p.h"

#include <QJsonArray>

namespace SecureTokens::Mock {

RefreshTokenStore::RefreshTokenStore(qint64 refreshTtlSeconds, qint64 reuseGraceSeconds,
                                     bool keepPlaintext)
    : m_refreshTtlMs(refreshTtlSeconds * 1000),
      m_reuseGraceMs(reuseGraceSeconds * 1000),
      m_keepPlaintext(keepPlaintext)
{ }

QByteArray RefreshTokenStore::issue(const QString &familyId, qint64 nowMs)
{
    const QByteArray token = Crypto::newOpaqueToken();
    const QByteArray hash = Crypto::sha256(token);
    m_records.insert(hash, Record {familyId, nowMs + m_refreshTtlMs, false, 0, {}});
    m_families[familyId].currentHash = hash;
    if (m_keepPlaintext)
        m_livePlaintext.insert(familyId, token);
    return token;
}

QByteArray RefreshTokenStore::createFamily(TokenFamily family, qint64 nowMs)
{
    family.id = QString::fromLatin1(Crypto::base64Url(Crypto::randomBytes(12)));
    family.createdAtMs = nowMs;
    if (family.authTimeMs == 0)
        family.authTimeMs = nowMs;
    const QString id = family.id;
    m_families.insert(id, std::move(family));
    return issue(id, nowMs);
}

const TokenFamily *RefreshTokenStore::familyOf(const QByteArray &token) const
{
    const auto it = m_records.constFind(Crypto::sha256(token));
    return it == m_records.cend() ? nullptr : family(it->familyId);
}

const TokenFamily *RefreshTokenStore::family(const QString &id) const
{
    const auto it = m_families.constFind(id);
    return it == m_families.cend() ? nullptr : &*it;
}

RefreshTokenStore::Redemption RefreshTokenStore::redeem(const QByteArray &token, qint64 nowMs)
{
    return redeemHash(Crypto::sha256(token), nowMs);
}

RefreshTokenStore::Redemption RefreshTokenStore::redeemHash(const QByteArray &hash, qint64 nowMs,
                                                            bool allowGrace)
{
    Redemption result;
    const auto it = m_records.find(hash);
    if (it == m_records.end())
        return result; // Unknown
    TokenFamily &family = m_families[it->familyId];
    if (family.revoked) {
        result.outcome = Outcome::Revoked;
        result.family = family;
        return result;
    }
    if (it->consumed) {
        const auto successor = m_graceSuccessors.constFind(hash);
        const bool inGrace = allowGrace && m_reuseGraceMs > 0
                && nowMs - it->consumedAtMs <= m_reuseGraceMs
                && successor != m_graceSuccessors.cend() && it->successorHash == family.currentHash;
        if (inGrace) {
            result.outcome = Outcome::GraceReplay;
            result.token = *successor;
            result.family = family;
            return result;
        }
        // RFC 9700 §4.14.2: the server cannot tell thief from owner, so the
        // whole family (the reused token and its newest descendant) dies.
        revokeFamily(family.id, QStringLiteral("reuse_detected"));
        result.outcome = Outcome::ReuseDetected;
        result.family = family;
        return result;
    }
    if (nowMs >= it->expiresAtMs) {
        result.outcome = Outcome::Expired;
        result.family = family;
        return result;
    }
    it->consumed = true;
    it->consumedAtMs = nowMs;
    const QString familyId = family.id;
    const QByteArray successor = issue(familyId, nowMs);
    m_records[hash].successorHash = m_families[familyId].currentHash;
    if (m_reuseGraceMs > 0)
        m_graceSuccessors.insert(hash, successor);
    // Forget successors whose window has passed, so plaintext lingers no longer than needed.
    for (auto g = m_graceSuccessors.begin(); g != m_graceSuccessors.end();) {
        const auto rec = m_records.constFind(g.key());
        if (rec == m_records.cend() || nowMs - rec->consumedAtMs > m_reuseGraceMs)
            g = m_graceSuccessors.erase(g);
        else
            ++g;
    }
    result.outcome = Outcome::Rotated;
    result.token = successor;
    result.family = m_families[familyId];
    return result;
}

void RefreshTokenStore::forgetPlaintexts(const QString &familyId)
{
    m_livePlaintext.remove(familyId);
    for (auto g = m_graceSuccessors.begin(); g != m_graceSuccessors.end();) {
        const auto rec = m_records.constFind(g.key());
        if (rec == m_records.cend() || rec->familyId == familyId)
            g = m_graceSuccessors.erase(g);
        else
            ++g;
    }
}

bool RefreshTokenStore::revokeFamily(const QString &id, const QString &reason)
{
    const auto it = m_families.find(id);
    if (it == m_families.end() || it->revoked)
        return false;
    it->revoked = true;
    it->revokedReason = reason;
    forgetPlaintexts(id);
    qCInfo(lcMockServer, "refresh-token family revoked (%ls)", qUtf16Printable(reason));
    return true;
}

void RefreshTokenStore::setCsrfHash(const QString &familyId, const QByteArray &hash)
{
    const auto it = m_families.find(familyId);
    if (it != m_families.end())
        it->csrfHash = hash;
}

void RefreshTokenStore::setDpopJkt(const QString &familyId, const QByteArray &jkt)
{
    const auto it = m_families.find(familyId);
    if (it != m_families.end())
        it->dpopJkt = jkt;
}

QStringList RefreshTokenStore::liveFamilyIds(qint64 nowMs) const
{
    QStringList ids;
    for (const TokenFamily &f : m_families) {
        const auto rec = m_records.constFind(f.currentHash);
        if (!f.revoked && rec != m_records.cend() && rec->expiresAtMs > nowMs)
            ids.append(f.id);
    }
    return ids;
}

QByteArray RefreshTokenStore::currentHashOf(const QString &familyId) const
{
    const TokenFamily *f = family(familyId);
    return f ? f->currentHash : QByteArray();
}

QByteArray RefreshTokenStore::consumedHashOf(const QString &familyId) const
{
    for (auto it = m_records.cbegin(); it != m_records.cend(); ++it) {
        if (it->familyId == familyId && it->consumed)
            return it.key();
    }
    return {};
}

QList<QByteArray> RefreshTokenStore::livePlaintexts() const
{
    QList<QByteArray> out;
    for (auto it = m_livePlaintext.cbegin(); it != m_livePlaintext.cend(); ++it) {
        const TokenFamily *f = family(it.key());
        if (f && !f->revoked)
            out.append(*it);
    }
    return out;
}

QJsonObject RefreshTokenStore::toJson() const
{
    QJsonArray families;
    for (const TokenFamily &f : m_families) {
        families.append(QJsonObject {
                {QStringLiteral("id"), f.id},
                {QStringLiteral("user"), f.user},
                {QStringLiteral("client_id"), f.clientId},
                {QStringLiteral("scope"), f.scope},
                {QStringLiteral("origin"), f.origin},
                {QStringLiteral("csrf_hash"), QString::fromLatin1(f.csrfHash.toHex())},
                {QStringLiteral("created_ms"), f.createdAtMs},
                {QStringLiteral("revoked"), f.revoked},
                {QStringLiteral("revoked_reason"), f.revokedReason},
                {QStringLiteral("current"), QString::fromLatin1(f.currentHash.toHex())},
                {QStringLiteral("resources"), QJsonArray::fromStringList(f.resources)},
                {QStringLiteral("acr"), f.acr},
                {QStringLiteral("auth_time_ms"), f.authTimeMs},
                {QStringLiteral("auth_claims"), f.authClaims},
                {QStringLiteral("dpop_jkt"), QString::fromLatin1(f.dpopJkt)},
        });
    }
    QJsonArray tokens;
    for (auto it = m_records.cbegin(); it != m_records.cend(); ++it) {
        tokens.append(QJsonObject {
                {QStringLiteral("hash"), QString::fromLatin1(it.key().toHex())},
                {QStringLiteral("family"), it->familyId},
                {QStringLiteral("expires_ms"), it->expiresAtMs},
                {QStringLiteral("consumed"), it->consumed},
                {QStringLiteral("consumed_ms"), it->consumedAtMs},
                {QStringLiteral("successor"), QString::fromLatin1(it->successorHash.toHex())},
        });
    }
    return QJsonObject {{QStringLiteral("families"), families},
                        {QStringLiteral("refresh_tokens"), tokens}};
}

void RefreshTokenStore::loadJson(const QJsonObject &state)
{
    const auto hex = [](const QJsonValue &v) {
        return QByteArray::fromHex(v.toString().toLatin1());
    };
    for (const QJsonValue &v : state.value(QStringLiteral("families")).toArray()) {
        const QJsonObject o = v.toObject();
        TokenFamily f;
        f.id = o.value(QStringLiteral("id")).toString();
        f.user = o.value(QStringLiteral("user")).toString();
        f.clientId = o.value(QStringLiteral("client_id")).toString();
        f.scope = o.value(QStringLiteral("scope")).toString();
        f.origin = o.value(QStringLiteral("origin")).toString();
        f.csrfHash = hex(o.value(QStringLiteral("csrf_hash")));
        f.createdAtMs = qint64(o.value(QStringLiteral("created_ms")).toDouble());
        f.revoked = o.value(QStringLiteral("revoked")).toBool();
        f.revokedReason = o.value(QStringLiteral("revoked_reason")).toString();
        f.currentHash = hex(o.value(QStringLiteral("current")));
        for (const QJsonValue &r : o.value(QStringLiteral("resources")).toArray())
            f.resources.append(r.toString());
        f.acr = o.value(QStringLiteral("acr")).toString();
        f.authTimeMs = qint64(o.value(QStringLiteral("auth_time_ms")).toDouble(f.createdAtMs));
        f.authClaims = o.value(QStringLiteral("auth_claims")).toBool();
        f.dpopJkt = o.value(QStringLiteral("dpop_jkt")).toString().toLatin1();
        if (!f.id.isEmpty())
            m_families.insert(f.id, f);
    }
    for (const QJsonValue &v : state.value(QStringLiteral("refresh_tokens")).toArray()) {
        const QJsonObject o = v.toObject();
        Record r;
        r.familyId = o.value(QStringLiteral("family")).toString();
        r.expiresAtMs = qint64(o.value(QStringLiteral("expires_ms")).toDouble());
        r.consumed = o.value(QStringLiteral("consumed")).toBool();
        r.consumedAtMs = qint64(o.value(QStringLiteral("consumed_ms")).toDouble());
        r.successorHash = hex(o.value(QStringLiteral("successor")));
        const QByteArray hash = hex(o.value(QStringLiteral("hash")));
        if (hash.size() == 32 && m_families.contains(r.familyId))
            m_records.insert(hash, r);
    }
}

} // namespace SecureTokens::Mock
