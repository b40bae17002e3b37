// SPDX-License-Identifier: MIT
#pragma once

// What a DPoP client must remember per server (RFC 9449 §8, §9): the nonce it
// last handed out, and how far its clock is from ours. Kept per origin: the
// authorization server and each resource server issue their own nonces, and
// one server's nonce means nothing to another. Pure code (parsed input only),
// fuzzed by fuzz_dpopserverstate.

#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QString>

namespace SecureTokens::Internal {

class SECURETOKENS_EXPORT DpopServerState
{
public:
    /*!
        The largest clock correction taken from a server's Date header (24 h):
        enough for a device whose clock is set to the wrong day or zone, small
        enough that a garbled header cannot move iat anywhere.
    */
    static constexpr qint64 maxClockCorrectionSeconds = qint64(24) * 3600;

    //! RFC 9449 §8.1: nonce = 1*NQCHAR (%x21 / %x23-5B / %x5D-7E).
    static bool isValidNonce(QByteArrayView value);

    /*!
        A DPoP-Nonce response header from \a origin (§8.1 from the authorization
        server, §9 from a resource server): remembered as that origin's nonce.
        An invalid value is ignored (false) and the previous nonce kept.
    */
    bool noteNonce(const QString &origin, QByteArrayView headerValue);
    //! The nonce to put in the next proof for \a origin; empty when it gave none.
    QByteArray nonce(const QString &origin) const;

    /*!
        \a origin rejected a proof and its answer carried a Date header (RFC 9110
        §6.6.1): the difference to \a nowSeconds is used for that origin's iat
        from now on (RFC 9449 §11.1: servers accept only a window around their
        own time). False, and nothing changes, when the header is not an
        HTTP-date or the difference is beyond maxClockCorrectionSeconds.
    */
    bool noteServerDate(const QString &origin, QByteArrayView dateHeader, qint64 nowSeconds);
    //! The iat for a proof to \a origin made at \a nowSeconds (our clock).
    qint64 issuedAt(const QString &origin, qint64 nowSeconds) const;
    //! The correction in use for \a origin (seconds to add to our clock).
    qint64 clockOffset(const QString &origin) const;

private:
    struct Server
    {
        QByteArray nonce;
        qint64 clockOffset = 0;
    };
    QHash<QString, Server> m_servers;
};

} // namespace SecureTokens::Internal
