// SPDX-License-Identifier: MIT
#pragma once

// The file format of EncryptedFileSecretStore and the crypto around it: pure
// functions (no I/O, no event loop) so they can be tested and fuzzed directly.
//
// Layout, version 1 (integers big-endian):
//
//   offset  size  field
//        0     8  magic "STKNFILE"
//        8     1  format version (1)
//        9     1  KDF id (1 = scrypt, RFC 7914)
//       10     1  log2(N)      scrypt cost
//       11     1  r            scrypt block size
//       12     1  p            scrypt parallelism
//       13     3  reserved, zero
//       16    16  salt (random per file)
//       32    32  key check: bytes 32..63 of the scrypt output
//       64    12  GCM nonce (random per write)
//       76     4  ciphertext length
//       80     8  header checksum: SHA-256(bytes 0..79), first 8 bytes
//       88     n  AES-256-GCM ciphertext of the payload
//     88+n    16  GCM tag
//
// The whole 88-byte header is the GCM additional authenticated data, so none of
// it can be changed without the tag failing. The key check and the checksum are
// there only to tell the failures apart: a wrong passphrase (key check differs →
// AccessDenied) from a damaged file (checksum, length or tag → Failed). The key
// check is scrypt output like the key itself, so it gives an attacker nothing a
// GCM tag would not (both allow an offline passphrase guess at scrypt's cost).
//
// Payload: u32 count, then per account: u16 length + UTF-8 account name,
// u32 length + value bytes. Account names are inside the ciphertext.

#include <securetokens/secretbytes.h>
#include <securetokens/secretstore.h>

#include <QByteArray>
#include <QString>

#include <map>

namespace SecureTokens::Internal {

struct ScryptParams
{
    // N = 2^16, r = 8: 64 MiB and ~0.6 s on a loaded 2-core machine (measured by
    // tst_encryptedfilesecretstore). OWASP's password-storage sheet suggests
    // N = 2^17 (128 MiB); we halve it because every process start pays it once,
    // on small headless machines. The header carries the parameters, so they can
    // be raised later without breaking existing files.
    quint8 log2N = 16;
    quint8 r = 8;
    quint8 p = 1;
    bool operator==(const ScryptParams &o) const
    {
        return log2N == o.log2N && r == o.r && p == o.p;
    }
};

//! A derived key and what it was derived for.
struct FileKey
{
    QByteArray salt;
    ScryptParams params;
    SecretBytes key; //!< AES-256 key (scrypt output bytes 0..31)
    QByteArray check; //!< scrypt output bytes 32..63, stored in the header
};

struct FileHeader
{
    ScryptParams params;
    QByteArray salt;
    QByteArray check;
};

using Entries = std::map<QString, SecretBytes>;

struct FormatResult
{
    SecretStore::Status status = SecretStore::Status::Ok;
    QString message; //!< never holds a secret, a key or the passphrase
    bool ok() const { return status == SecretStore::Status::Ok; }
};

constexpr int saltSize = 16;
constexpr int headerSize = 88;
constexpr int tagSize = 16;
//! Files larger than this are refused unread (a sane store is a few KiB).
constexpr qint64 maxFileSize = qint64(16) * 1024 * 1024;

//! Checks the header of \a file: Failed with a clear message for anything but a sound v1 header.
FormatResult parseHeader(const QByteArray &file, FileHeader *header);

/*!
    scrypt (OpenSSL's EVP_PBE_scrypt) of \a passphrase with \a salt: 64 bytes,
    split into the key and the key check. Slow on purpose (~0.3–0.6 s and
    64 MiB with the defaults): call it off the UI thread. OpenSSL 3.0 has
    scrypt but not Argon2 (Argon2 arrives in OpenSSL 3.2).
*/
FormatResult deriveKey(const SecretBytes &passphrase, const QByteArray &salt, ScryptParams params,
                       FileKey *key);

//! A fresh random salt (RAND_bytes).
QByteArray randomSalt();

//! Decrypts \a file (whose header is \a header) with \a key into \a entries.
FormatResult openFile(const QByteArray &file, const FileHeader &header, const FileKey &key,
                      Entries *entries);

//! Encrypts \a entries with \a key and a fresh random nonce into a complete file.
FormatResult sealFile(const FileKey &key, const Entries &entries, QByteArray *file);

} // namespace SecureTokens::Internal
