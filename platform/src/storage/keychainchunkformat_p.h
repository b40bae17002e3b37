// SPDX-License-Identifier: MIT
#pragma once

// How KeychainSecretStore splits a value over several backend entries when one
// entry holds too little (Windows: 2560 bytes; Android: 245): a head entry
// under the account's own name with a small header (magic "STKC", version,
// entry count, total length, SHA-256 of the whole value) and the first slice,
// then chunks under "account#1", "account#2"... Pure functions, no backend.

#include <securetokens/secretbytes.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <vector>

namespace SecureTokens::Internal {

//! magic(4) version(1) entry count(2, BE) total length(4, BE) SHA-256(32)
inline constexpr qsizetype chunkHeaderSize = 4 + 1 + 2 + 4 + 32;

//! What a head entry says about the whole value.
struct ChunkHeader
{
    int count = 0; //!< entries in all, the head included
    quint32 totalLength = 0;
    QByteArray digest; //!< SHA-256 of the whole value
};

//! SHA-256 of \a bytes (OpenSSL).
QByteArray sha256(QByteArrayView bytes);
//! Whether \a head starts like a chunk head (the magic).
bool isChunkHead(QByteArrayView head);
//! Parses a head entry's header; false for a wrong version or out-of-range values.
bool parseChunkHead(QByteArrayView head, ChunkHeader *header);
//! The entry name of part \a index: the account itself for the head (0), "account#index" after.
QString chunkAccount(const QString &account, int index);
//! Account names ending in '#' and digits are reserved for chunks.
bool isReservedAccount(const QString &account);
/*!
    The entries for \a value: itself when it fits in one entry (and cannot be
    mistaken for a chunk head), otherwise a head (header + first slice) and
    chunks of at most \a limit bytes.
*/
std::vector<SecretBytes> splitValue(const SecretBytes &value, qsizetype limit);

} // namespace SecureTokens::Internal
