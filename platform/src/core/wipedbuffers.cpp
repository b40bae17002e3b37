// SPDX-License-Identifier: MIT
#include "core/wipedbuffers.h"

#include <securetokens/secretbytes.h>

#include <QIODevice>

#include <openssl/crypto.h>

namespace SecureTokens {

void wipeShared(QByteArray &bytes) noexcept
{
    // capacity() is 0 for QByteArray::fromRawData(): not our bytes to wipe.
    if (bytes.capacity() > 0)
        // In place, although shared: the other owners are Qt's copies of the
        // same header or body, about to be freed; a detach would copy the secret
        // and wipe only the copy.
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast)
        OPENSSL_cleanse(const_cast<char *>(bytes.constData()), std::size_t(bytes.capacity()));
    bytes = QByteArray();
}

void reserveWiped(QByteArray &bytes, qsizetype capacity)
{
    if (bytes.isDetached() && bytes.capacity() >= capacity)
        return;
    QByteArray bigger;
    bigger.reserve(capacity);
    bigger.append(bytes);
    if (bytes.isDetached())
        wipeShared(bytes);
    bytes = std::move(bigger);
}

bool readWiped(QIODevice *device, QByteArray &into, qsizetype limit)
{
    const qint64 available = device->bytesAvailable();
    if (available <= 0)
        return true;
    if (available > limit - into.size())
        return false;
    const qsizetype old = into.size();
    reserveWiped(into, old + qsizetype(available));
    into.resize(old + qsizetype(available)); // within the capacity: no reallocation
    const qint64 got = device->read(into.data() + old, available);
    into.resize(old + qsizetype(qMax<qint64>(got, 0)));
    return true;
}

WipingBuffer::WipingBuffer(QByteArray &&bytes, QObject *parent) : QBuffer(parent)
{
    setData(bytes);
    bytes = QByteArray(); // the buffer's reference is the only one left
    open(QIODevice::ReadOnly);
}

WipingBuffer::~WipingBuffer()
{
    close();
    wipeShared(buffer());
}

} // namespace SecureTokens
