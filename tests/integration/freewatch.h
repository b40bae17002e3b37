// SPDX-License-Identifier: MIT
// FreeWatch: sees every heap block this process frees while it watches, and
// keeps (XOR-masked, so a memory scan cannot find them) the blocks that might
// hold a token, with the call stack that freed them. Linux/glibc only: the
// test executable defines free() and realloc(), which interpose on glibc's for
// every library (ELF symbol interposition), and forwards to __libc_free().
//
// What a stack says about ownership: the first frame outside libc, the C++
// runtime and Qt's generic containers (QArrayData, QByteArray, QString, ...)
// is the code that made or let go of the buffer. FreeWatch also notes where
// each block was allocated (malloc() and calloc() are interposed too). A block
// the SDK allocated (and maybe handed to Qt) or freed (maybe adopted from Qt)
// was the SDK's, and it should have wiped it.
#pragma once

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <functional>
#include <utility>

namespace FreeWatch {

//! One freed block that might have held a token.
struct Release
{
    quintptr address = 0; //!< where the block was
    std::size_t size = 0; //!< its usable size
    QString owner; //!< the library of the first frame that owned it ("SDK", "libQt6Network", ...)
    QString frame; //!< the allocating and the freeing frame, for the report
    QString allocatedBy; //!< the owner of the allocating frame ("unseen": not recorded)
};

//! Starts watching (and warms up the unwinder so that it never allocates under free()).
void start();
//! Stops watching; what was seen so far stays available.
void stop();
//! How many blocks could not be kept because the arena was full (then nothing can be concluded).
std::size_t overflowed();
//! Calls \a visit for each kept block with its bytes unmasked in a temporary
//! buffer that is wiped right after the call.
void forEach(const std::function<void(const Release &, QByteArrayView bytes)> &visit);
//! Where FreeWatch keeps its (masked) copies: a memory scan skips this range.
std::pair<quintptr, std::size_t> arena();
//! Drops and wipes everything kept.
void reset();

} // namespace FreeWatch
