// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstddef>
#include <memory>

class QDebug;

namespace SecureTokens {

/*!
    The only type in SecureTokens that holds token bytes.

    The bytes live in one heap buffer that this object owns alone; it is wiped
    with OPENSSL_cleanse() when the value is replaced, cleared or destroyed.
    SecretBytes is move-only: a second copy of a secret has to be asked for with
    clone(), so each copy is visible in the code.

    QDebug prints only a short fingerprint (the first 8 hex digits of the
    SHA-256 of the bytes), never the bytes themselves.

    What this does not protect against: copies made by code that reads the bytes
    (a QByteArray returned by toByteArray(), a QNetworkRequest header, Qt's JSON
    parser) and memory paged to swap. docs/security-model.md has the details.
*/
class SECURETOKENS_EXPORT SecretBytes
{
public:
    SecretBytes() noexcept = default;
    //! Copies \a bytes into a new owned buffer. The caller's buffer is not touched.
    explicit SecretBytes(QByteArrayView bytes);
    ~SecretBytes();

    //! Takes \a other's buffer; \a other is left empty.
    SecretBytes(SecretBytes &&other) noexcept;
    //! Wipes this value's bytes, then takes \a other's buffer; \a other is left empty.
    SecretBytes &operator=(SecretBytes &&other) noexcept;
    SecretBytes(const SecretBytes &) = delete;
    SecretBytes &operator=(const SecretBytes &) = delete;

    /*!
        Takes the bytes of \a source and then wipes \a source's buffer when it
        is not shared with another QByteArray (when it is shared, wiping would
        only wipe a detached copy, so the caller keeps that responsibility).
    */
    static SecretBytes adopt(QByteArray &source);

    //! An explicit second copy (wiped independently).
    SecretBytes clone() const;

    //! True when no bytes are held (also after clear() and after being moved from).
    bool isEmpty() const noexcept { return m_size == 0; }
    //! The number of bytes held.
    std::size_t size() const noexcept { return m_size; }

    //! A view of the bytes, valid until this object changes. Do not store it.
    QByteArrayView view() const noexcept { return {m_data.get(), qsizetype(m_size)}; }

    /*!
        A QByteArray copy of the secret, for APIs that need one (an HTTP header).
        The copy is outside SecretBytes' control: keep it short-lived.
    */
    QByteArray toByteArray() const;

    //! First 8 hex digits of SHA-256(bytes); empty string for an empty secret.
    QString fingerprint() const;

    //! Wipes and releases the bytes.
    void clear() noexcept;

    //! Constant-time comparison (CRYPTO_memcmp) of equal-length values.
    bool equals(const SecretBytes &other) const noexcept;
    //! Constant-time comparison with bytes that are not (yet) a SecretBytes.
    bool equals(QByteArrayView other) const noexcept;

private:
    // The owned heap buffer, of a size known at run time only (std::array cannot hold it).
    // NOLINTNEXTLINE(cppcoreguidelines-avoid-c-arrays,modernize-avoid-c-arrays)
    std::unique_ptr<char[]> m_data;
    std::size_t m_size = 0;
};

//! Wipes a QByteArray's own buffer (detaching first would only wipe a copy; see adopt()).
SECURETOKENS_EXPORT void secureWipe(QByteArray &bytes) noexcept;

} // namespace SecureTokens

SECURETOKENS_EXPORT QDebug operator<<(QDebug debug, const SecureTokens::SecretBytes &secret);
