// SPDX-License-Identifier: MIT
#include "loopbackpeer_p.h"

#include "core/logging.h"

#if defined(Q_OS_LINUX)
#include "procnettcp_p.h"

#include <QFile>

#include <unistd.h>
#elif defined(Q_OS_WIN)
// Windows: written against the documented Win32 API, not built on the Linux
// CI machine (docs/platforms.md).
// winsock2.h before windows.h; iphlpapi.h after both.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <memory>
#include <vector>
#endif

namespace SecureTokens {

#if defined(Q_OS_LINUX)

namespace {

// A bound on what is read of one table: far beyond any real machine's socket
// count, small enough that a broken /proc cannot keep the listener busy.
constexpr int maxProcNetTcpLines = 1 << 20;

bool sameEndpoint(const QHostAddress &a, quint16 aPort, const QHostAddress &b, quint16 bPort)
{
    return aPort == bPort && a.isEqual(b, QHostAddress::ConvertV4MappedToIPv4);
}

} // namespace

LoopbackPeerOwner loopbackPeerOwner(const QHostAddress &peer, quint16 peerPort,
                                    const QHostAddress &local, quint16 localPort)
{
    // An IPv4 connection to an IPv4 socket is in tcp; anything on an IPv6
    // socket (v4-mapped included) is in tcp6.
    QFile table(local.protocol() == QAbstractSocket::IPv4Protocol
                        ? QStringLiteral("/proc/net/tcp")
                        : QStringLiteral("/proc/net/tcp6"));
    if (!table.open(QIODevice::ReadOnly)) {
        qCWarning(lcSession) << "redirect listener: cannot read" << table.fileName() << ':'
                             << table.errorString();
        return LoopbackPeerOwner::Unknown;
    }
    std::optional<quint32> owner;
    bool orphan = false;
    std::array<char, maxProcNetTcpLineBytes + 2> line {};
    for (int n = 0; n < maxProcNetTcpLines; ++n) {
        const qint64 length = table.readLine(line.data(), qint64(line.size()));
        if (length <= 0)
            break;
        const auto entry = parseProcNetTcpLine(QByteArrayView(line.data(), length));
        if (!entry || !sameEndpoint(entry->localAddress, entry->localPort, peer, peerPort)
            || !sameEndpoint(entry->remoteAddress, entry->remotePort, local, localPort))
            continue;
        if (entry->inode == 0) {
            // Orphaned or TIME_WAIT: the kernel prints uid 0 for those, which
            // would pass for root's own.
            orphan = true;
            continue;
        }
        if (owner && *owner != entry->uid)
            return LoopbackPeerOwner::Unknown; // two live rows disagree: trust neither
        owner = entry->uid;
    }
    if (!owner) {
        qCInfo(lcSession) << "redirect listener: the peer's socket is not in" << table.fileName()
                          << (orphan ? "(already closed)" : "");
        return LoopbackPeerOwner::Unknown;
    }
    return *owner == quint32(getuid()) ? LoopbackPeerOwner::SameUser : LoopbackPeerOwner::OtherUser;
}

bool loopbackPeerOwnerSupported()
{
    return true;
}

#elif defined(Q_OS_WIN)

namespace {

struct HandleCloser
{
    void operator()(HANDLE h) const
    {
        if (h)
            CloseHandle(h);
    }
};
using Handle = std::unique_ptr<void, HandleCloser>;

//! The user SID of \a process's token, as bytes (empty when it cannot be read).
std::vector<BYTE> tokenUser(HANDLE process)
{
    HANDLE rawToken = nullptr;
    if (!OpenProcessToken(process, TOKEN_QUERY, &rawToken))
        return {};
    const Handle token(rawToken);
    DWORD size = 0;
    GetTokenInformation(rawToken, TokenUser, nullptr, 0, &size);
    if (size == 0)
        return {};
    std::vector<BYTE> buffer(size);
    if (!GetTokenInformation(rawToken, TokenUser, buffer.data(), size, &size))
        return {};
    return buffer;
}

//! The owning process id of the row peer -> local, or 0.
DWORD owningPid(const QHostAddress &peer, quint16 peerPort, const QHostAddress &local,
                quint16 localPort)
{
    // Ports in the table are in network byte order in the low 16 bits.
    const auto net = [](quint16 port) {
        return DWORD(htons(port));
    };
    const bool v4 = local.protocol() == QAbstractSocket::IPv4Protocol;
    const ULONG family = v4 ? AF_INET : AF_INET6;
    std::vector<BYTE> buffer;
    DWORD size = 0;
    DWORD result = ERROR_INSUFFICIENT_BUFFER;
    // The table can grow between the two calls: retry a few times.
    for (int attempt = 0; attempt < 4 && result == ERROR_INSUFFICIENT_BUFFER; ++attempt) {
        buffer.resize(size);
        result = GetExtendedTcpTable(buffer.empty() ? nullptr : buffer.data(), &size, FALSE, family,
                                     TCP_TABLE_OWNER_PID_CONNECTIONS, 0);
    }
    if (result != NO_ERROR)
        return 0;
    if (v4) {
        const auto *table = reinterpret_cast<const MIB_TCPTABLE_OWNER_PID *>(buffer.data());
        for (DWORD i = 0; i < table->dwNumEntries; ++i) {
            const MIB_TCPROW_OWNER_PID &row = table->table[i];
            if (QHostAddress(ntohl(row.dwLocalAddr)) == peer && row.dwLocalPort == net(peerPort)
                && QHostAddress(ntohl(row.dwRemoteAddr)) == local
                && row.dwRemotePort == net(localPort))
                return row.dwOwningPid;
        }
    } else {
        const auto *table = reinterpret_cast<const MIB_TCP6TABLE_OWNER_PID *>(buffer.data());
        for (DWORD i = 0; i < table->dwNumEntries; ++i) {
            const MIB_TCP6ROW_OWNER_PID &row = table->table[i];
            if (QHostAddress(row.ucLocalAddr) == peer && row.dwLocalPort == net(peerPort)
                && QHostAddress(row.ucRemoteAddr) == local && row.dwRemotePort == net(localPort))
                return row.dwOwningPid;
        }
    }
    return 0;
}

} // namespace

LoopbackPeerOwner loopbackPeerOwner(const QHostAddress &peer, quint16 peerPort,
                                    const QHostAddress &local, quint16 localPort)
{
    const DWORD pid = owningPid(peer, peerPort, local, localPort);
    if (pid == 0)
        return LoopbackPeerOwner::Unknown;
    if (pid == GetCurrentProcessId())
        return LoopbackPeerOwner::SameUser;
    // PROCESS_QUERY_LIMITED_INFORMATION is granted for other users' processes
    // too; their token then is not (access denied): that is another user.
    const Handle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process)
        return LoopbackPeerOwner::Unknown;
    const std::vector<BYTE> theirs = tokenUser(process.get());
    const std::vector<BYTE> ours = tokenUser(GetCurrentProcess());
    if (ours.empty())
        return LoopbackPeerOwner::Unknown;
    if (theirs.empty())
        return LoopbackPeerOwner::OtherUser;
    const auto *a = reinterpret_cast<const TOKEN_USER *>(theirs.data());
    const auto *b = reinterpret_cast<const TOKEN_USER *>(ours.data());
    return EqualSid(a->User.Sid, b->User.Sid) ? LoopbackPeerOwner::SameUser
                                              : LoopbackPeerOwner::OtherUser;
}

bool loopbackPeerOwnerSupported()
{
    return true;
}

#else

// macOS and the BSDs: not implemented (security-model.md describes the
// approach); the listener then serves every local connection, as before.
LoopbackPeerOwner loopbackPeerOwner(const QHostAddress &, quint16, const QHostAddress &, quint16)
{
    return LoopbackPeerOwner::Unknown;
}

bool loopbackPeerOwnerSupported()
{
    return false;
}

#endif

} // namespace SecureTokens
