// SPDX-License-Identifier: MIT
#pragma once

// The key a DPoP proof is signed with (RFC 9449 §4.2): one P-256 key pair per
// stored account, ES256 (RFC 7518 §3.4). DpopKey is what a proof needs from
// it, so that a key that never leaves its hardware (a PKCS#11 token, the
// Secure Enclave, Android Keystore) can stand behind the same interface;
// SoftwareDpopKey keeps it in this process, made and used with OpenSSL EVP,
// and exports it only as SecretBytes for the account's secure record.

#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <memory>
#include <mutex>

using EVP_PKEY = struct evp_pkey_st;

namespace SecureTokens::Internal {

class SECURETOKENS_EXPORT DpopKey
{
public:
    DpopKey() = default;
    virtual ~DpopKey() = default;
    DpopKey(const DpopKey &) = delete;
    DpopKey &operator=(const DpopKey &) = delete;
    DpopKey(DpopKey &&) = delete;
    DpopKey &operator=(DpopKey &&) = delete;

    //! The public key as a JWK (RFC 7517): kty EC, crv P-256, x, y; never d.
    virtual QJsonObject publicJwk() const = 0;
    /*!
        An ES256 JWS signature (RFC 7515 §5.1, RFC 7518 §3.4) of \a signingInput:
        the 64-byte R || S, each 32 bytes big-endian. Empty when the key cannot
        sign (a hardware token that went away): the caller reports DPoPKeyMissing.
    */
    virtual QByteArray sign(QByteArrayView signingInput) const = 0;

    /*!
        The base64url of a proof's protected header (RFC 9449 §4.2: typ
        "dpop+jwt", alg ES256, jwk publicJwk()), the same for every proof with
        this key: made once, on first use (thread-safe).
    */
    QByteArray proofHeader() const;

    //! RFC 7638 §3: the SHA-256 JWK thumbprint of publicJwk(), base64url (the `jkt`).
    QByteArray thumbprint() const;

    //! The private key for the secure record; empty for a key that cannot leave its store.
    virtual SecretBytes exportPrivateKey() const { return {}; }
    //! Where a key held elsewhere lives (for the record's dpopKeyReference); empty for none.
    virtual QString reference() const { return {}; }
    /*!
        Removes the key from the store that holds it outside the record, at
        sign-out (a hardware token keeps a key pair until it is destroyed).
        True when nothing is left there; a key kept in the record itself goes
        with the record and has nothing to remove.
    */
    virtual bool destroy() { return true; }

private:
    mutable std::once_flag m_proofHeaderOnce;
    mutable QByteArray m_proofHeader;
};

class SECURETOKENS_EXPORT SoftwareDpopKey final : public DpopKey
{
public:
    //! A fresh P-256 key pair from OpenSSL's CSPRNG; null if OpenSSL fails.
    static std::unique_ptr<SoftwareDpopKey> generate();
    /*!
        The key exported by exportPrivateKey(). Null, with \a why, when the bytes
        are not a P-256 private key (a corrupted or foreign record).
    */
    static std::unique_ptr<SoftwareDpopKey> fromPrivateKey(const SecretBytes &der, QString *why);

    ~SoftwareDpopKey() override;
    SoftwareDpopKey(const SoftwareDpopKey &) = delete;
    SoftwareDpopKey &operator=(const SoftwareDpopKey &) = delete;
    SoftwareDpopKey(SoftwareDpopKey &&) = delete;
    SoftwareDpopKey &operator=(SoftwareDpopKey &&) = delete;

    //! The private key, DER (PKCS#8 PrivateKeyInfo), for the secure record only.
    SecretBytes exportPrivateKey() const override;

    QJsonObject publicJwk() const override;
    QByteArray sign(QByteArrayView signingInput) const override;

private:
    explicit SoftwareDpopKey(EVP_PKEY *key);
    EVP_PKEY *m_key; // owned; OpenSSL clears the private scalar when it frees it
    QJsonObject m_jwk;
};

//! base64url without padding (RFC 7515 §2), as JWS and JWK members use it.
SECURETOKENS_EXPORT QByteArray base64Url(QByteArrayView bytes);
//! base64Url(\a bytes) appended to \a out, with no buffer in between.
SECURETOKENS_EXPORT void appendBase64Url(QByteArray *out, QByteArrayView bytes);

} // namespace SecureTokens::Internal
