// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <memory>

namespace SecureTokens::Mock {

/*!
    Signs OpenID Connect ID tokens (OpenID Connect Core 1.0 §2) with an
    asymmetric key the JWKS publishes: RS256 with the server's RSA access-token
    key, or ES256 (ECDSA P-256, RFC 7518 §3.4: the signature is R||S, 64 bytes,
    converted from OpenSSL's DER) with a key of its own.
*/
class IdTokenSigner
{
public:
    //! RS256 over the PEM private key of the access-token signer.
    static std::unique_ptr<IdTokenSigner> rs256(const QByteArray &pem, const QString &keyId);
    //! A fresh P-256 key.
    static std::unique_ptr<IdTokenSigner> es256();
    ~IdTokenSigner();

    QString algorithmName() const;
    QString keyId() const { return m_keyId; }
    //! Signs \a claims; \a kidOverride (non-empty) replaces the header's kid (fault injection).
    QByteArray sign(const QJsonObject &claims, const QString &kidOverride = {}) const;
    /*!
        Checks that \a token is a compact JWS this signer made: our alg (never
        taken from the token, RFC 8725 §3.1) and a valid signature. Fills
        \a claims when it is. Time claims are not checked here.
    */
    bool verify(const QByteArray &token, QJsonObject *claims) const;
    //! The JWK of an ES256 key (empty object for RS256: the access-token JWK already is it).
    QJsonObject extraJwk() const;

private:
    struct Key;
    IdTokenSigner(std::unique_ptr<Key> key, bool ec, QString keyId);
    std::unique_ptr<Key> m_key;
    bool m_ec;
    QString m_keyId;
};

} // namespace SecureTokens::Mock
