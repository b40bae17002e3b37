// SPDX-License-Identifier: MIT
#include "keychainchunkformat_p.h"

#include <securetokens/keychainsecretstore.h>

#include <QRegularExpression>
#include <QtEndian>

#include <openssl/evp.h>

#include <array>
#include <cstring>

namespace SecureTokens::Internal {

namespace {

constexpr std::array<char, 4> chunkMagic = {'S', 'T', 'K', 'C'};
constexpr quint8 chunkVersion = 1;
constexpr int digestSize = 32;
constexpr int maxEntries = 4096;

} // namespace

QByteArray sha256(QByteArrayView bytes)
{
    QByteArray digest(digestSize, Qt::Uninitialized);
    unsigned int length = 0;
    EVP_Digest(bytes.data(), size_t(bytes.size()), reinterpret_cast<unsigned char *>(digest.data()),
               &length, EVP_sha256(), nullptr);
    return digest;
}

bool isChunkHead(QByteArrayView head)
{
    return head.size() >= qsizetype(chunkMagic.size())
            && std::memcmp(head.data(), chunkMagic.data(), chunkMagic.size()) == 0;
}

bool parseChunkHead(QByteArrayView head, ChunkHeader *header)
{
    if (head.size() < chunkHeaderSize || !isChunkHead(head) || quint8(head[4]) != chunkVersion)
        return false;
    const auto *p = reinterpret_cast<const uchar *>(head.data());
    header->count = qFromBigEndian<quint16>(p + 5);
    header->totalLength = qFromBigEndian<quint32>(p + 7);
    header->digest = QByteArray(head.data() + 11, digestSize);
    return header->count >= 1 && header->count <= maxEntries
            && header->totalLength <= quint32(KeychainSecretStore::maxValueSize);
}

QString chunkAccount(const QString &account, int index)
{
    return index == 0 ? account : account + QLatin1Char('#') + QString::number(index);
}

bool isReservedAccount(const QString &account)
{
    static const QRegularExpression chunkName(QStringLiteral("#[0-9]+$"));
    return chunkName.match(account).hasMatch();
}

std::vector<SecretBytes> splitValue(const SecretBytes &value, qsizetype limit)
{
    std::vector<SecretBytes> entries;
    const QByteArrayView bytes = value.view();
    if (bytes.size() <= limit && !isChunkHead(bytes)) {
        entries.push_back(value.clone());
        return entries;
    }
    const qsizetype headRoom = limit - chunkHeaderSize;
    const qsizetype rest = qMax<qsizetype>(0, bytes.size() - headRoom);
    const int count = 1 + int((rest + limit - 1) / limit);
    QByteArray head(chunkHeaderSize, Qt::Uninitialized);
    std::memcpy(head.data(), chunkMagic.data(), chunkMagic.size());
    head[4] = char(chunkVersion);
    qToBigEndian(quint16(count), head.data() + 5);
    qToBigEndian(quint32(bytes.size()), head.data() + 7);
    std::memcpy(head.data() + 11, sha256(bytes).constData(), digestSize);
    head.append(bytes.first(qMin(headRoom, bytes.size())));
    entries.push_back(SecretBytes::adopt(head));
    for (qsizetype offset = headRoom; offset < bytes.size(); offset += limit)
        entries.emplace_back(bytes.sliced(offset, qMin(limit, bytes.size() - offset)));
    return entries;
}

} // namespace SecureTokens::Internal
