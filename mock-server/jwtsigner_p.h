// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <memory>

namespace SecureTokens::Mock {

/*!
    Signs and verifies compact JWS access tokens (RFC 7515, RFC 7519) with
    OpenSSL EVP: RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) or HS256
    (HMAC-SHA-256, RFC 7518 §3.2).
*/
class JwtSigner
{
public:
    enum class Algorithm { RS256, HS256 };

    enum class Verdict {
        Valid,
        Malformed, //!< not three base64url parts of JSON
        WrongAlgorithm, //!< header alg is not ours (e.g. "none", RFC 8725 §3.1)
        BadSignature,
    };

    //! A fresh key: RSA 2048 for RS256, 256 random bits for HS256.
    static std::unique_ptr<JwtSigner> generate(Algorithm algorithm);
    //! A key exported with exportKey(); nullptr if it does not parse.
    static std::unique_ptr<JwtSigner> fromExportedKey(Algorithm algorithm, const QByteArray &key);

    ~JwtSigner();

    Algorithm algorithm() const { return m_algorithm; }
    QString algorithmName() const;
    QString keyId() const { return m_keyId; }

    //! PEM (PKCS#8) private key for RS256, base64 of the secret for HS256.
    QByteArray exportKey() const;
    QByteArray sign(const QJsonObject &claims) const;
    //! Checks the structure, the header's alg and the signature; fills claims when Valid.
    Verdict verify(const QByteArray &token, QJsonObject *claims) const;
    //! RFC 7517 JWK Set with the public key (empty "keys" for HS256: the key is secret).
    QJsonObject jwks() const;

private:
    struct Key;
    JwtSigner(Algorithm algorithm, std::unique_ptr<Key> key);
    QByteArray signature(const QByteArray &signingInput) const;

    Algorithm m_algorithm;
    std::unique_ptr<Key> m_key;
    QString m_keyId;
};

} // namespace SecureTokens::Mock
