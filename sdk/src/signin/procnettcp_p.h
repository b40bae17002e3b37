// SPDX-License-Identifier: MIT
#pragma once

// One line of Linux's /proc/net/tcp or /proc/net/tcp6 (the kernel's table of
// TCP sockets, with the uid that created each), parsed by a pure function
// with hard limits (a fuzz target). The loopback redirect listener uses it to
// tell which user a connecting process belongs to (security-model.md,
// "The loopback redirect listener").

#include <securetokens/securetokens_export.h>

#include <QByteArrayView>
#include <QHostAddress>

#include <optional>

namespace SecureTokens {

//! Longest line accepted, in bytes (the kernel's lines are about 150).
inline constexpr qsizetype maxProcNetTcpLineBytes = 512;

//! The socket state the kernel prints for an established connection (TCP_ESTABLISHED).
inline constexpr quint8 procNetTcpEstablished = 0x01;

//! One socket of the table.
struct ProcNetTcpEntry
{
    QHostAddress localAddress; //!< IPv4 (tcp) or IPv6 (tcp6, v4-mapped kept as such)
    quint16 localPort = 0;
    QHostAddress remoteAddress;
    quint16 remotePort = 0;
    quint8 state = 0; //!< the kernel's TCP state number (1 = ESTABLISHED)
    quint32 uid = 0; //!< the socket's owner, in the reader's user namespace
    quint64 inode = 0; //!< 0: no file owns the socket any more (orphaned, TIME_WAIT)
};

/*!
    Parses one data line of /proc/net/tcp or /proc/net/tcp6 (the format of
    net/ipv4/tcp_ipv4.c get_tcp4_sock() and net/ipv6/tcp_ipv6.c
    get_tcp6_sock()):

        "  sl: LLLLLLLL:PPPP RRRRRRRR:QQQQ ST TX:RX TR:WHEN RETR UID TIMEOUT INODE ..."

    Addresses are 8 (IPv4) or 32 (IPv6) hex digits, both of one line the same
    length: each 32-bit word as the kernel prints it, i.e. in the byte order
    of this machine, so a table is read on the machine that wrote it. Ports
    are 4 hex digits, the uid and inode decimal. Fields after the inode are
    ignored. Returns nothing for the header line, a line longer than
    maxProcNetTcpLineBytes, and anything malformed. Pure; a fuzz target.
*/
SECURETOKENS_EXPORT std::optional<ProcNetTcpEntry> parseProcNetTcpLine(QByteArrayView line);

} // namespace SecureTokens
