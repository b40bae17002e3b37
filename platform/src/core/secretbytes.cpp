// SPDX-License-Identifier: MIT
#include <securetokens/secretbytes.h>

#include <QCryptographicHash>
#include <QDebug>

#include <openssl/crypto.h>

#include <cstring>

namespace SecureTokens {

SecretBytes::SecretBytes(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return;
    m_size = std::size_t(bytes.size());
    m_data.reset(new char[m_size]);
    std::memcpy(m_data.get(), bytes.data(), m_size);
}

SecretBytes::~SecretBytes()
{
    clear();
}

SecretBytes::SecretBytes(SecretBytes &&other) noexcept
    : m_data(std::move(other.m_data)), m_size(other.m_size)
{
    other.m_size = 0;
}

SecretBytes &SecretBytes::operator=(SecretBytes &&other) noexcept
{
    if (this != &other) {
        clear();
        m_data = std::move(other.m_data);
        m_size = other.m_size;
        other.m_size = 0;
    }
    return *this;
}

SecretBytes SecretBytes::adopt(QByteArray &source)
{
    SecretBytes secret {QByteArrayView(source)};
    // Only wipe a buffer we are the sole owner of: data() on a shared array
    // would detach and wipe a fresh copy, leaving the original untouched.
    if (source.isDetached())
        secureWipe(source);
    source.clear();
    return secret;
}

SecretBytes SecretBytes::clone() const
{
    return SecretBytes(view());
}

QByteArray SecretBytes::toByteArray() const
{
    return {m_data.get(), qsizetype(m_size)};
}

QString SecretBytes::fingerprint() const
{
    if (m_size == 0)
        return {};
    const QByteArray digest = QCryptographicHash::hash(view(), QCryptographicHash::Sha256);
    return QString::fromLatin1(digest.left(4).toHex());
}

void SecretBytes::clear() noexcept
{
    if (m_data)
        OPENSSL_cleanse(m_data.get(), m_size);
    m_data.reset();
    m_size = 0;
}

bool SecretBytes::equals(const SecretBytes &other) const noexcept
{
    return equals(other.view());
}

bool SecretBytes::equals(QByteArrayView other) const noexcept
{
    if (std::size_t(other.size()) != m_size)
        return false;
    if (m_size == 0)
        return true;
    return CRYPTO_memcmp(m_data.get(), other.data(), m_size) == 0;
}

void secureWipe(QByteArray &bytes) noexcept
{
    if (!bytes.isEmpty() && bytes.isDetached())
        OPENSSL_cleanse(bytes.data(), std::size_t(bytes.size()));
}

} // namespace SecureTokens

QDebug operator<<(QDebug debug, const SecureTokens::SecretBytes &secret)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "SecretBytes(";
    if (secret.isEmpty())
        debug << "empty";
    else
        debug << "sha256:" << qUtf8Printable(secret.fingerprint()) << ", " << secret.size()
              << " bytes";
    debug << ')';
    return debug;
}
