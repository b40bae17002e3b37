// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUrl>

namespace SecureTokens::Mock {

/*!
    Checks DPoP proofs (RFC 9449 §4.3) and keeps what that needs: the jti
    replay cache and the server-provided nonces (§8, §9), one per context
    (the authorization server, and each resource server: nonces of one are
    not accepted by another). Only ES256 proofs are accepted; the signature
    is verified with OpenSSL EVP against the public JWK in the header.
*/
class DpopVerifier
{
public:
    enum class Verdict {
        Valid,
        Invalid, //!< invalid_dpop_proof
        UseNonce, //!< use_dpop_nonce: no nonce, or not the current one
    };

    //! What the proof must match.
    struct Expectation
    {
        QByteArray method; //!< htm
        QUrl uri; //!< htu (query and fragment are ignored)
        QByteArray accessToken; //!< non-empty at a resource: ath must be its hash
        QString nonceContext; //!< whose nonce ("as", "rs:AUDIENCE")
        bool requireNonce = false;
        qint64 nowMs = 0;
        qint64 iatWindowSeconds = 60; //!< accepted |iat - now|
    };

    //! A proof that passed every check.
    struct Proof
    {
        QByteArray jkt; //!< RFC 7638 SHA-256 thumbprint of its key, base64url (RFC 9449 §6.1)
    };

    /*!
        Checks the values of every DPoP header of a request (there must be
        exactly one). Fills \a proof when Valid, \a why otherwise. A valid
        proof's jti is remembered: presenting it again is Invalid.
    */
    Verdict check(const QList<QByteArray> &headerValues, const Expectation &expected, Proof *proof,
                  QString *why);

    //! The current nonce of \a context (made on first use).
    QByteArray nonce(const QString &context);
    //! Replaces every nonce: proofs with an old one get UseNonce.
    void rotateNonces();

    //! RFC 7638 §3.2: the thumbprint of an EC P-256 public JWK.
    static QByteArray thumbprint(const QJsonObject &jwk);

private:
    QHash<QByteArray, qint64> m_seenJti; // SHA-256(htu + jti) → when it may be forgotten (ms)
    QHash<QString, QByteArray> m_nonces;
};

} // namespace SecureTokens::Mock
