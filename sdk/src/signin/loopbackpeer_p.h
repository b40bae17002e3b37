// SPDX-License-Identifier: MIT
#pragma once

// Which user a process on the other end of a loopback TCP connection belongs
// to. The loopback redirect listener serves only the user it runs as: other
// users of the machine can read the authorization URL (and its state) from the
// browser's command line and reach 127.0.0.1 too (security review, finding 1;
// security-model.md, "The loopback redirect listener").

#include <QHostAddress>

namespace SecureTokens {

//! Whose process is at the other end of a connection.
enum class LoopbackPeerOwner : quint8 {
    SameUser, //!< a process of the user this process runs as
    OtherUser, //!< a process of another user
    Unknown, //!< could not be told (no such socket, no /proc, unsupported OS)
};

/*!
    \internal
    Looks up the owner of the peer's socket of an accepted loopback connection
    (\a peer : \a peerPort is the other end, \a local : \a localPort ours).

    - Linux: the row of /proc/net/tcp (IPv4) or /proc/net/tcp6 (IPv6) whose
      local endpoint is the peer's and whose remote endpoint is ours; its uid
      column against getuid(). A row without an inode (the peer already closed
      its socket) says nothing about its owner: Unknown.
    - Windows: GetExtendedTcpTable() gives the owning process id of that row;
      the user SID of that process's token against our own token's.
    - Elsewhere (macOS, BSDs): Unknown; see security-model.md for the approach
      and what the listener does there.

    Blocking but short (one read of a kernel table); call it once per connection.
*/
LoopbackPeerOwner loopbackPeerOwner(const QHostAddress &peer, quint16 peerPort,
                                    const QHostAddress &local, quint16 localPort);

//! Whether loopbackPeerOwner() can tell owners apart on this platform at all.
bool loopbackPeerOwnerSupported();

} // namespace SecureTokens
