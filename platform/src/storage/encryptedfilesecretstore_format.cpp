// SPDX-License-Identifier: MIT
#include "encryptedfilesecretstore_p.h"

#include <QCryptographicHash>
#include <QtEndian>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>

namespace SecureTokens::Internal {

using Status = SecretStore::Status;

namespace {

constexpr std::array<char, 8> magic = {'S', 'T', 'K', 'N', 'F', 'I', 'L', 'E'};
constexpr quint8 formatVersion = 1;
constexpr quint8 kdfScrypt = 1;
constexpr int checkSize = 32;
constexpr int nonceSize = 12; // 96 bits: GCM's native IV size (NIST SP 800-38D §8.2.2)
constexpr int keySize = 32;
constexpr int offsetVersion = 8;
constexpr int offsetSalt = 16;
constexpr int offsetCheck = 32;
constexpr int offsetNonce = 64;
constexpr int offsetLength = 76;
constexpr int offsetChecksum = 80;
constexpr quint32 maxEntries = 4096;

FormatResult failed(const QString &message)
{
    return {Status::Failed, message};
}

QByteArray headerChecksum(const QByteArray &file)
{
    return QCryptographicHash::hash(QByteArrayView(file.constData(), offsetChecksum),
                                    QCryptographicHash::Sha256)
            .left(headerSize - offsetChecksum);
}

bool paramsSupported(const ScryptParams &p)
{
    // Bounded so that a damaged or hostile header cannot make us allocate
    // gigabytes: at most 2^22 * 128 * r bytes ≤ 1 GiB.
    return p.log2N >= 14 && p.log2N <= 22 && p.r >= 1 && p.r <= 32 && p.p >= 1 && p.p <= 16
            && (quint64(128) * p.r << p.log2N) <= (quint64(1) << 30);
}

struct CipherContext
{
    CipherContext() = default;
    CipherContext(const CipherContext &) = delete;
    CipherContext &operator=(const CipherContext &) = delete;
    CipherContext(CipherContext &&) = delete;
    CipherContext &operator=(CipherContext &&) = delete;
    ~CipherContext() { EVP_CIPHER_CTX_free(ctx); } // also cleanses the key schedule

    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
};

// A QByteArray whose own buffer is wiped on scope exit (plaintext payloads).
struct WipedBuffer
{
    WipedBuffer() = default;
    WipedBuffer(const WipedBuffer &) = delete;
    WipedBuffer &operator=(const WipedBuffer &) = delete;
    WipedBuffer(WipedBuffer &&) = delete;
    WipedBuffer &operator=(WipedBuffer &&) = delete;
    ~WipedBuffer() { secureWipe(bytes); }

    QByteArray bytes;
};

void appendU16(QByteArray &out, quint16 v)
{
    std::array<char, 2> b {};
    qToBigEndian(v, b.data());
    out.append(b.data(), b.size());
}

void appendU32(QByteArray &out, quint32 v)
{
    std::array<char, 4> b {};
    qToBigEndian(v, b.data());
    out.append(b.data(), b.size());
}

} // namespace

FormatResult parseHeader(const QByteArray &file, FileHeader *header)
{
    const qsizetype prefix = qMin<qsizetype>(file.size(), magic.size());
    if (file.isEmpty())
        return failed(QStringLiteral("The encrypted file is empty (truncated)"));
    if (std::memcmp(file.constData(), magic.data(), size_t(prefix)) != 0)
        return failed(QStringLiteral("The file is not a SecureTokens encrypted file"));
    if (file.size() < headerSize + tagSize)
        return failed(
                QStringLiteral("The encrypted file is truncated (%1 bytes, header incomplete)")
                        .arg(file.size()));
    if (headerChecksum(file) != file.mid(offsetChecksum, headerSize - offsetChecksum))
        return failed(QStringLiteral("The encrypted file's header is corrupted"));
    const auto *bytes = reinterpret_cast<const uchar *>(file.constData());
    if (bytes[offsetVersion] != formatVersion)
        return failed(QStringLiteral("The encrypted file has an unsupported format version (%1)")
                              .arg(bytes[offsetVersion]));
    if (bytes[9] != kdfScrypt)
        return failed(QStringLiteral("The encrypted file names an unsupported key derivation"));
    header->params.log2N = bytes[10];
    header->params.r = bytes[11];
    header->params.p = bytes[12];
    if (!paramsSupported(header->params))
        return failed(QStringLiteral("The encrypted file's scrypt parameters are out of range"));
    const auto length = qFromBigEndian<quint32>(bytes + offsetLength);
    const qint64 expected = qint64(headerSize) + length + tagSize;
    if (file.size() < expected)
        return failed(QStringLiteral("The encrypted file is truncated (%1 of %2 bytes)")
                              .arg(file.size())
                              .arg(expected));
    if (file.size() > expected)
        return failed(QStringLiteral("The encrypted file is corrupted (%1 unexpected bytes at "
                                     "the end)")
                              .arg(file.size() - expected));
    header->salt = file.mid(offsetSalt, saltSize);
    header->check = file.mid(offsetCheck, checkSize);
    return {};
}

FormatResult deriveKey(const SecretBytes &passphrase, const QByteArray &salt, ScryptParams params,
                       FileKey *key)
{
    if (!paramsSupported(params) || salt.size() != saltSize)
        return failed(QStringLiteral("Unsupported key derivation parameters"));
    std::array<unsigned char, keySize + checkSize> out {};
    const quint64 n = quint64(1) << params.log2N;
    // OpenSSL refuses more than 32 MiB by default; allow what these
    // parameters need (128 * r * (N + p + 2) bytes, RFC 7914 §6), plus slack.
    const quint64 maxMemory = 128 * quint64(params.r) * (n + params.p + 2) + (1 << 20);
    const int rc = EVP_PBE_scrypt(passphrase.view().data(), size_t(passphrase.size()),
                                  reinterpret_cast<const unsigned char *>(salt.constData()),
                                  size_t(salt.size()), n, params.r, params.p, maxMemory, out.data(),
                                  out.size());
    if (rc != 1) {
        OPENSSL_cleanse(out.data(), out.size());
        return failed(QStringLiteral("Key derivation (scrypt) failed"));
    }
    key->salt = salt;
    key->params = params;
    key->key = SecretBytes(QByteArrayView(reinterpret_cast<const char *>(out.data()), keySize));
    key->check = QByteArray(reinterpret_cast<const char *>(out.data()) + keySize, checkSize);
    OPENSSL_cleanse(out.data(), out.size());
    return {};
}

QByteArray randomSalt()
{
    QByteArray salt(saltSize, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(salt.data()), saltSize) != 1)
        return {};
    return salt;
}

FormatResult openFile(const QByteArray &file, const FileHeader &header, const FileKey &key,
                      Entries *entries)
{
    if (header.salt != key.salt || !(header.params == key.params))
        return failed(QStringLiteral("Internal error: key derived for another file"));
    if (key.check.size() != header.check.size()
        || CRYPTO_memcmp(key.check.constData(), header.check.constData(), size_t(key.check.size()))
                != 0)
        return {Status::AccessDenied, QStringLiteral("The passphrase does not open this file")};

    const int length = int(file.size()) - headerSize - tagSize;
    const auto *in = reinterpret_cast<const unsigned char *>(file.constData());
    // EVP_CIPHER_CTX_ctrl takes the expected tag through a non-const pointer.
    std::array<unsigned char, tagSize> tag {};
    if (length >= 0)
        std::memcpy(tag.data(), in + headerSize + length, tag.size());
    WipedBuffer plain;
    plain.bytes.resize(qMax(length, 1));
    CipherContext c;
    int outLength = 0;
    int finalLength = 0;
    const bool ok = c.ctx
            && EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1
            && EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, nonceSize, nullptr) == 1
            && EVP_DecryptInit_ex(c.ctx, nullptr, nullptr,
                                  reinterpret_cast<const unsigned char *>(key.key.view().data()),
                                  in + offsetNonce)
                    == 1
            && EVP_DecryptUpdate(c.ctx, nullptr, &outLength, in, headerSize) == 1 // AAD
            && EVP_DecryptUpdate(c.ctx, reinterpret_cast<unsigned char *>(plain.bytes.data()),
                                 &outLength, in + headerSize, length)
                    == 1
            && EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, tagSize, tag.data()) == 1
            && EVP_DecryptFinal_ex(
                       c.ctx, reinterpret_cast<unsigned char *>(plain.bytes.data()) + outLength,
                       &finalLength)
                    == 1;
    if (!ok)
        return failed(QStringLiteral("The encrypted file is corrupted (authentication failed)"));

    // Authentic: written by someone holding the key. Parse defensively anyway.
    const auto *p = reinterpret_cast<const uchar *>(plain.bytes.constData());
    const qsizetype size = outLength + finalLength;
    qsizetype pos = 0;
    auto need = [&](qsizetype n) {
        return size - pos >= n;
    };
    FormatResult malformed = failed(QStringLiteral("The encrypted file's payload is malformed"));
    if (!need(4))
        return malformed;
    const auto count = qFromBigEndian<quint32>(p);
    pos += 4;
    if (count > maxEntries)
        return malformed;
    Entries parsed;
    for (quint32 i = 0; i < count; ++i) {
        if (!need(2))
            return malformed;
        const auto nameLength = qFromBigEndian<quint16>(p + pos);
        pos += 2;
        if (!need(nameLength))
            return malformed;
        const QString account
                = QString::fromUtf8(reinterpret_cast<const char *>(p + pos), nameLength);
        pos += nameLength;
        if (!need(4))
            return malformed;
        const auto valueLength = qFromBigEndian<quint32>(p + pos);
        pos += 4;
        if (!need(qsizetype(valueLength)))
            return malformed;
        parsed[account] = SecretBytes(
                QByteArrayView(reinterpret_cast<const char *>(p + pos), qsizetype(valueLength)));
        pos += valueLength;
    }
    if (pos != size)
        return malformed;
    *entries = std::move(parsed);
    return {};
}

FormatResult sealFile(const FileKey &key, const Entries &entries, QByteArray *file)
{
    if (entries.size() > maxEntries)
        return failed(QStringLiteral("Too many accounts in one encrypted file"));
    WipedBuffer plain;
    // Its final size first: append() growing the buffer would free the
    // smaller one, tokens and all, unwiped.
    qsizetype size = 4;
    for (const auto &[account, value] : entries)
        size += 2 + account.toUtf8().size() + 4 + qsizetype(value.size());
    plain.bytes.reserve(size);
    appendU32(plain.bytes, quint32(entries.size()));
    for (const auto &[account, value] : entries) {
        const QByteArray name = account.toUtf8();
        if (name.size() > 0xffff || value.size() > 0xffffffffU)
            return failed(QStringLiteral("Account name or value too long"));
        appendU16(plain.bytes, quint16(name.size()));
        plain.bytes.append(name);
        appendU32(plain.bytes, quint32(value.size()));
        plain.bytes.append(value.view());
    }

    QByteArray out(headerSize + plain.bytes.size() + tagSize, '\0');
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    std::memcpy(o, magic.data(), magic.size());
    o[offsetVersion] = formatVersion;
    o[9] = kdfScrypt;
    o[10] = key.params.log2N;
    o[11] = key.params.r;
    o[12] = key.params.p;
    std::memcpy(o + offsetSalt, key.salt.constData(), saltSize);
    std::memcpy(o + offsetCheck, key.check.constData(), checkSize);
    // A fresh random nonce for every write: with one key per file and a few
    // writes per session, random 96-bit nonces stay far below the 2^32
    // invocations NIST SP 800-38D §8.3 allows.
    if (RAND_bytes(o + offsetNonce, nonceSize) != 1)
        return failed(QStringLiteral("No randomness for the nonce"));
    qToBigEndian(quint32(plain.bytes.size()), o + offsetLength);
    const QByteArray checksum = headerChecksum(out);
    std::memcpy(o + offsetChecksum, checksum.constData(), size_t(checksum.size()));

    CipherContext c;
    int outLength = 0;
    int finalLength = 0;
    const bool ok = c.ctx
            && EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1
            && EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, nonceSize, nullptr) == 1
            && EVP_EncryptInit_ex(c.ctx, nullptr, nullptr,
                                  reinterpret_cast<const unsigned char *>(key.key.view().data()),
                                  o + offsetNonce)
                    == 1
            && EVP_EncryptUpdate(c.ctx, nullptr, &outLength, o, headerSize) == 1 // AAD
            && EVP_EncryptUpdate(c.ctx, o + headerSize, &outLength,
                                 reinterpret_cast<const unsigned char *>(plain.bytes.constData()),
                                 int(plain.bytes.size()))
                    == 1
            && EVP_EncryptFinal_ex(c.ctx, o + headerSize + outLength, &finalLength) == 1
            && outLength + finalLength == plain.bytes.size()
            && EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, tagSize,
                                   o + headerSize + plain.bytes.size())
                    == 1;
    if (!ok)
        return failed(QStringLiteral("Encryption failed"));
    *file = std::move(out);
    return {};
}

} // namespace SecureTokens::Internal
