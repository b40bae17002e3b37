// SPDX-License-Identifier: MIT
#include "dpopproof_p.h"

#include "dpopkey_p.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace SecureTokens::Internal {

namespace {

// SHA-256 of the access token for ath. One-shot EVP_Digest: OpenSSL cleanses
// its digest context (which holds the token's last partial block) when it
// frees it, which QCryptographicHash does not promise.
QByteArray accessTokenHash(QByteArrayView token)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest {};
    unsigned int length = 0;
    if (EVP_Digest(token.data(), std::size_t(token.size()), digest.data(), &length, EVP_sha256(),
                   nullptr)
        != 1)
        return {};
    return base64Url(
            QByteArrayView(reinterpret_cast<const char *>(digest.data()), qsizetype(length)));
}

QByteArray randomJti()
{
    std::array<unsigned char, 16> bytes {};
    if (RAND_bytes(bytes.data(), int(bytes.size())) != 1)
        return {};
    return base64Url(
            QByteArrayView(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size())));
}

} // namespace

QByteArray dpopHtu(const QUrl &uri)
{
    QUrl htu = uri.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    const QString scheme = htu.scheme().toLower();
    htu.setScheme(scheme);
    if ((scheme == QLatin1String("https") && htu.port() == 443)
        || (scheme == QLatin1String("http") && htu.port() == 80))
        htu.setPort(-1);
    if (htu.path().isEmpty())
        htu.setPath(QStringLiteral("/"));
    return htu.toEncoded();
}

QByteArray buildDpopProof(const DpopKey &key, const DpopProofRequest &request)
{
    const QByteArray jti = randomJti();
    if (jti.isEmpty())
        return {};
    const QJsonObject header {
            {QStringLiteral("typ"), QStringLiteral("dpop+jwt")},
            {QStringLiteral("alg"), QStringLiteral("ES256")},
            {QStringLiteral("jwk"), key.publicJwk()},
    };
    QJsonObject claims {
            {QStringLiteral("jti"), QString::fromLatin1(jti)},
            {QStringLiteral("htm"), QString::fromLatin1(request.method)},
            {QStringLiteral("htu"), QString::fromLatin1(dpopHtu(request.uri))},
            {QStringLiteral("iat"), request.issuedAt},
    };
    if (!request.accessToken.isEmpty()) {
        const QByteArray ath = accessTokenHash(request.accessToken);
        if (ath.isEmpty())
            return {};
        claims.insert(QStringLiteral("ath"), QString::fromLatin1(ath));
    }
    if (!request.nonce.isEmpty())
        claims.insert(QStringLiteral("nonce"), QString::fromLatin1(request.nonce));

    const QByteArray signingInput = base64Url(QJsonDocument(header).toJson(QJsonDocument::Compact))
            + '.' + base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray signature = key.sign(signingInput);
    if (signature.isEmpty())
        return {};
    return signingInput + '.' + base64Url(signature);
}

} // namespace SecureTokens::Internal
