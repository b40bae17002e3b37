// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace SecureTokens::Mock {

//! A chain of refresh tokens issued from one grant; rotation extends it.
struct TokenFamily
{
    QString id;
    QString user;
    QString clientId;
    QString scope;
    QString origin; //!< "password", "authorization_code" or "cookie"
    QByteArray csrfHash; //!< SHA-256 of the CSRF token (cookie families only)
    qint64 createdAtMs = 0;
    bool revoked = false;
    QString revokedReason;
    QByteArray currentHash; //!< hash of the newest (live) token
    QStringList resources; //!< RFC 8707 resources the grant named (empty: not restricted)
    QString acr; //!< authentication context class performed at sign-in (RFC 9470)
    qint64 authTimeMs = 0; //!< when the user signed in (0: at createdAtMs)
    bool authClaims = false; //!< acr and auth_time go in the access tokens
    QByteArray dpopJkt; //!< RFC 9449 §5: the refresh tokens are bound to this key thumbprint
};

/*!
    Opaque refresh tokens (256 bits from RAND_bytes, base64url) grouped in
    families and stored only as SHA-256 hashes. Every use rotates the token
    (OAuth 2.0 Security BCP, RFC 9700 §4.14.2); presenting a consumed token
    again is treated as theft and revokes the whole family, unless it happens
    within the configured grace window, which returns the same successor.
*/
class RefreshTokenStore
{
public:
    enum class Outcome {
        Rotated, //!< a fresh successor was issued
        GraceReplay, //!< a consumed token within the grace window: same successor again
        Unknown, //!< never issued here
        Revoked, //!< its family was revoked
        Expired,
        ReuseDetected, //!< consumed token presented again: family now revoked
    };

    struct Redemption
    {
        Outcome outcome = Outcome::Unknown;
        QByteArray token; //!< the successor (Rotated, GraceReplay)
        TokenFamily family;
    };

    RefreshTokenStore(qint64 refreshTtlSeconds, qint64 reuseGraceSeconds, bool keepPlaintext);

    //! Starts a family and returns its first token.
    QByteArray createFamily(TokenFamily family, qint64 nowMs);
    //! The family of any token ever issued (consumed or not), or nullptr.
    const TokenFamily *familyOf(const QByteArray &token) const;
    const TokenFamily *family(const QString &id) const;
    Redemption redeem(const QByteArray &token, qint64 nowMs);
    //! Same, by hash: lets the server replay a consumed token it only knows hashed.
    //! allowGrace=false treats any reuse as theft, whatever the grace window.
    Redemption redeemHash(const QByteArray &hash, qint64 nowMs, bool allowGrace = true);
    bool revokeFamily(const QString &id, const QString &reason);
    void setCsrfHash(const QString &familyId, const QByteArray &hash);
    //! Binds the family's refresh tokens to a DPoP key from now on (RFC 9449 §5).
    void setDpopJkt(const QString &familyId, const QByteArray &jkt);

    QStringList liveFamilyIds(qint64 nowMs) const;
    //! Hash of the family's live token.
    QByteArray currentHashOf(const QString &familyId) const;
    //! Hash of some consumed token of the family, or empty when none was rotated yet.
    QByteArray consumedHashOf(const QString &familyId) const;
    //! Plaintext of each family's live token (only kept with keepPlaintext, in memory).
    QList<QByteArray> livePlaintexts() const;
    int familyCount() const { return int(m_families.size()); }

    QJsonObject toJson() const;
    void loadJson(const QJsonObject &state);

private:
    struct Record
    {
        QString familyId;
        qint64 expiresAtMs = 0;
        bool consumed = false;
        qint64 consumedAtMs = 0;
        QByteArray successorHash;
    };

    QByteArray issue(const QString &familyId, qint64 nowMs);
    void forgetPlaintexts(const QString &familyId);

    qint64 m_refreshTtlMs;
    qint64 m_reuseGraceMs;
    bool m_keepPlaintext;
    QHash<QByteArray, Record> m_records; // key: SHA-256 of the token
    QHash<QString, TokenFamily> m_families;
    // Memory only, never persisted: successor plaintext for the grace window,
    // keyed by the consumed token's hash; live plaintext per family for /admin/tokens.
    QHash<QByteArray, QByteArray> m_graceSuccessors;
    QHash<QString, QByteArray> m_livePlaintext;
};

} // namespace SecureTokens::Mock
