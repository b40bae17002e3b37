// SPDX-License-Identifier: MIT
// Hand-written: the table's format is fixed by the kernel and tiny; no
// library parses it.
#include "procnettcp_p.h"

#include <QList>
#include <QtEndian>

#include <array>
#include <cstring>
#include <limits>

namespace SecureTokens {

namespace {

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

//! Exactly \a digits hex digits (at most 16), nothing else.
std::optional<quint64> parseHex(QByteArrayView text, qsizetype digits)
{
    if (text.size() != digits || digits == 0 || digits > 16)
        return std::nullopt;
    quint64 value = 0;
    for (char c : text) {
        const int d = hexDigit(c);
        if (d < 0)
            return std::nullopt;
        value = (value << 4) | quint64(d);
    }
    return value;
}

//! 1 to 20 decimal digits that fit in \a max.
std::optional<quint64> parseDecimal(QByteArrayView text, quint64 max)
{
    if (text.isEmpty() || text.size() > 20)
        return std::nullopt;
    quint64 value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const auto d = quint64(c - '0');
        if (value > (max - d) / 10)
            return std::nullopt;
        value = value * 10 + d;
    }
    return value;
}

//! "hex:hex" with the given digit counts.
bool isHexPair(QByteArrayView text, qsizetype first, qsizetype second)
{
    const qsizetype colon = text.indexOf(':');
    return colon >= 0 && parseHex(text.first(colon), first)
            && parseHex(text.sliced(colon + 1), second);
}

/*!
    "ADDR:PORT". The kernel prints each 32-bit word of the address with %08X,
    the word read in host byte order from the network-order bytes: copying the
    parsed words back into memory in host order restores those bytes.
*/
bool parseEndpoint(QByteArrayView text, QHostAddress *address, quint16 *port, qsizetype *digits)
{
    const qsizetype colon = text.indexOf(':');
    if (colon != 8 && colon != 32)
        return false;
    const auto portValue = parseHex(text.sliced(colon + 1), 4);
    if (!portValue)
        return false;
    std::array<quint8, 16> bytes {};
    for (qsizetype word = 0; word < colon / 8; ++word) {
        const auto value = parseHex(text.sliced(word * 8, 8), 8);
        if (!value)
            return false;
        const auto native = quint32(*value);
        std::memcpy(bytes.data() + word * 4, &native, 4);
    }
    if (colon == 8) {
        quint32 networkOrder = 0;
        std::memcpy(&networkOrder, bytes.data(), 4);
        address->setAddress(qFromBigEndian(networkOrder));
    } else {
        address->setAddress(bytes.data());
    }
    *port = quint16(*portValue);
    *digits = colon;
    return true;
}

} // namespace

std::optional<ProcNetTcpEntry> parseProcNetTcpLine(QByteArrayView line)
{
    if (line.size() > maxProcNetTcpLineBytes)
        return std::nullopt;
    if (line.endsWith('\n'))
        line.chop(1);
    // Fields are separated by runs of spaces; only the first ten matter.
    QList<QByteArrayView> fields;
    qsizetype i = 0;
    while (i < line.size() && fields.size() < 10) {
        while (i < line.size() && line[i] == ' ')
            ++i;
        const qsizetype start = i;
        while (i < line.size() && line[i] != ' ')
            ++i;
        if (i > start)
            fields.append(line.sliced(start, i - start));
    }
    if (fields.size() < 10)
        return std::nullopt;
    // "sl:" — the row number (the header line has "sl" without a colon).
    if (!fields[0].endsWith(':')
        || !parseDecimal(fields[0].chopped(1), std::numeric_limits<quint32>::max()))
        return std::nullopt;
    ProcNetTcpEntry entry;
    qsizetype localDigits = 0;
    qsizetype remoteDigits = 0;
    if (!parseEndpoint(fields[1], &entry.localAddress, &entry.localPort, &localDigits)
        || !parseEndpoint(fields[2], &entry.remoteAddress, &entry.remotePort, &remoteDigits)
        || localDigits != remoteDigits)
        return std::nullopt;
    const auto state = parseHex(fields[3], 2);
    if (!state || !isHexPair(fields[4], 8, 8) || !isHexPair(fields[5], 2, 8)
        || !parseHex(fields[6], 8))
        return std::nullopt;
    const auto uid = parseDecimal(fields[7], std::numeric_limits<quint32>::max());
    const auto timeouts = parseDecimal(fields[8], std::numeric_limits<quint32>::max());
    const auto inode = parseDecimal(fields[9], std::numeric_limits<quint64>::max());
    if (!uid || !timeouts || !inode)
        return std::nullopt;
    entry.state = quint8(*state);
    entry.uid = quint32(*uid);
    entry.inode = *inode;
    return entry;
}

} // namespace SecureTokens
