// SPDX-License-Identifier: MIT
#include "clientauth_p.h"

#include <QUrl>

namespace SecureTokens {

// RFC 6749 Appendix B (application/x-www-form-urlencoded), as §2.3.1 asks
// for both halves of the Basic credentials; appended, never reallocating a
// buffer that holds the secret (the caller reserves).
void appendFormEncoded(QByteArray &out, QByteArrayView value)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-'
            || u == '.' || u == '_' || u == '~') {
            out.append(c);
        } else {
            out.append('%');
            out.append(hex[u >> 4]);
            out.append(hex[u & 0xf]);
        }
    }
}

ClientAuthMethod chooseClientAuth(const QStringList &advertised, bool hasSecret)
{
    if (!hasSecret)
        return ClientAuthMethod::None;
    if (advertised.isEmpty() || advertised.contains(QLatin1String("client_secret_basic")))
        return ClientAuthMethod::SecretBasic;
    if (advertised.contains(QLatin1String("client_secret_post")))
        return ClientAuthMethod::SecretPost;
    return ClientAuthMethod::SecretBasic;
}

QByteArray basicAuthorization(const QString &clientId, const SecretBytes &secret)
{
    const QByteArray id = clientId.toUtf8();
    // Sized once (each byte encodes to at most three): no reallocation leaves
    // a copy of the secret behind in freed memory.
    QByteArray pair;
    pair.reserve(3 * (id.size() + qsizetype(secret.size())) + 1);
    appendFormEncoded(pair, id);
    pair.append(':');
    appendFormEncoded(pair, secret.view());
    QByteArray header;
    header.reserve(6 + (pair.size() + 2) / 3 * 4);
    header.append("Basic ");
    QByteArray encoded = pair.toBase64();
    header.append(encoded);
    secureWipe(encoded);
    secureWipe(pair);
    return header;
}

bool acceptsPublicClients(const QStringList &advertised)
{
    return advertised.isEmpty() || advertised.contains(QLatin1String("none"));
}

} // namespace SecureTokens
