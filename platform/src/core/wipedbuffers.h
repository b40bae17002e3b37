// SPDX-License-Identifier: MIT
// Buffers that held a secret are wiped before the heap gets them back (issue
// 19 item 6): a freed block keeps its bytes until it is reused, for a core
// dump or a debugger to read. QByteArray frees its old buffer unwiped when it
// grows, and a buffer still shared with Qt is freed by Qt: these helpers grow
// in one wiped step, read without temporaries, and hand Qt a buffer that
// wipes itself.
#pragma once

#include <securetokens/securetokens_export.h>

#include <QBuffer>
#include <QByteArray>

class QIODevice;

namespace SecureTokens {

/*!
    Wipes every allocated byte of \a bytes in place, even while its buffer is
    shared, then releases it. Only for a buffer whose other owners are done
    with it (a finished keychain job's copy, a finished upload).
*/
SECURETOKENS_EXPORT void wipeShared(QByteArray &bytes) noexcept;

/*!
    Gives \a bytes room for \a capacity bytes: a new buffer of exactly that
    capacity, the old one wiped. A no-op when it is already large enough.
*/
SECURETOKENS_EXPORT void reserveWiped(QByteArray &bytes, qsizetype capacity);

/*!
    Appends what \a device has available to \a into, read straight into its
    buffer (no readAll() temporary), growing it with reserveWiped(). At most
    \a limit bytes in all are kept in \a into; returns false when more were
    available (nothing is read then).
*/
SECURETOKENS_EXPORT bool readWiped(QIODevice *device, QByteArray &into, qsizetype limit);

/*!
    A read-only QBuffer over a secret (a request body) that wipes it when
    destroyed. QNetworkAccessManager reads a QBuffer in place, and the buffer
    is then freed when the reply deletes its children: a plain QBuffer would
    free it unwiped.
*/
class SECURETOKENS_EXPORT WipingBuffer : public QBuffer
{
public:
    explicit WipingBuffer(QByteArray &&bytes, QObject *parent = nullptr);
    ~WipingBuffer() override;
    Q_DISABLE_COPY_MOVE(WipingBuffer)
};

} // namespace SecureTokens
