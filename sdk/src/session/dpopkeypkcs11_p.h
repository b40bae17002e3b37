// SPDX-License-Identifier: MIT
#pragma once

// A DPoP key (RFC 9449 §4.2, ES256) that never leaves a PKCS#11 token: a TPM,
// smart card or HSM behind a PKCS#11 module (SoftHSM2 in the tests). The key
// pair is generated on the token (C_GenerateKeyPair, CKA_SENSITIVE true,
// CKA_EXTRACTABLE false), the token signs (CKM_ECDSA over the SHA-256 digest)
// and only the public point comes out. What the account's secure record keeps
// is a reference, an RFC 7512 PKCS#11 URI naming the module, the token (label
// and serial) and the key (CKA_ID), never the key and never the PIN.
//
// Compiled only with SECURETOKENS_PKCS11 (p11-kit loads the module and gives
// the PKCS#11 headers, RFC 7512 URIs parsed and written by p11-kit too).

#include "dpopkey_p.h"

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QString>

#include <memory>

namespace SecureTokens::Internal {

struct Pkcs11Module;

class SECURETOKENS_EXPORT Pkcs11DpopKey final : public DpopKey
{
public:
    /*!
        Generates a P-256 key pair on the token labelled \a tokenName of the
        PKCS#11 module at \a modulePath, logged in as the user with \a pin.
        Null with \a error set when the module cannot be loaded, the token is
        not there (DPoPKeyMissing), the PIN is refused or the token cannot make
        the key (StorageFailed, the PKCS#11 return value in the message).
    */
    static std::unique_ptr<Pkcs11DpopKey> generate(const QString &modulePath,
                                                   const QString &tokenName, const SecretBytes &pin,
                                                   ErrorInfo *error);
    /*!
        The key named by \a reference (what reference() returned). Null with
        \a error set: DPoPKeyMissing when the module, the token or the key is
        gone; StorageFailed when the PIN is refused or the reference is not a
        PKCS#11 URI this backend wrote.
    */
    static std::unique_ptr<Pkcs11DpopKey> open(const QString &reference, const SecretBytes &pin,
                                               ErrorInfo *error);

    ~Pkcs11DpopKey() override;
    Pkcs11DpopKey(const Pkcs11DpopKey &) = delete;
    Pkcs11DpopKey &operator=(const Pkcs11DpopKey &) = delete;
    Pkcs11DpopKey(Pkcs11DpopKey &&) = delete;
    Pkcs11DpopKey &operator=(Pkcs11DpopKey &&) = delete;

    /*!
        The RFC 7512 URI of the key: pkcs11:token=…;serial=…;id=…;type=private
        with module-path as a query attribute (RFC 7512 §2.3). No PIN.
    */
    QString reference() const override;
    //! Destroys the key pair on the token (sign-out). False if the token refused or is gone.
    bool destroy() override;

    QJsonObject publicJwk() const override;
    /*!
        Signs on the token: C_Sign with CKM_ECDSA over SHA-256(\a signingInput).
        PKCS#11 returns r || s, each the order's length (PKCS#11 v2.40 §2.3.1),
        which is the 64-byte ES256 form JWS wants (RFC 7518 §3.4), so no DER
        conversion. Synchronous: one round trip to the token per proof (SoftHSM2
        in-process is fast; a smart card takes tens to hundreds of ms).
        Empty when the token is gone.
    */
    QByteArray sign(QByteArrayView signingInput) const override;

private:
    Pkcs11DpopKey();
    std::unique_ptr<Pkcs11Module> m_module;
    QJsonObject m_jwk;
};

} // namespace SecureTokens::Internal
