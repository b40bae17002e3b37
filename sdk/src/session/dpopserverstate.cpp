// SPDX-License-Identifier: MIT
#include "dpopserverstate_p.h"

#include "core/httpgrammar.h"

#include <QDateTime>

#include <algorithm>

namespace SecureTokens::Internal {

namespace {
// A nonce is opaque to us; a few KiB is already far more than any server sends
// and keeps a hostile server from growing every later proof without bound.
constexpr qsizetype maxNonceLength = 4096;
} // namespace

bool DpopServerState::isValidNonce(QByteArrayView value)
{
    if (value.isEmpty() || value.size() > maxNonceLength)
        return false;
    return std::all_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x21 && u <= 0x7E && u != 0x22 && u != 0x5C;
    });
}

bool DpopServerState::noteNonce(const QString &origin, QByteArrayView headerValue)
{
    const QByteArrayView value = trimOws(headerValue);
    if (!isValidNonce(value))
        return false;
    m_servers[origin].nonce = value.toByteArray();
    return true;
}

QByteArray DpopServerState::nonce(const QString &origin) const
{
    const auto it = m_servers.constFind(origin);
    return it == m_servers.cend() ? QByteArray() : it->nonce;
}

bool DpopServerState::noteServerDate(const QString &origin, QByteArrayView dateHeader,
                                     qint64 nowSeconds)
{
    const int nowYear = QDateTime::fromSecsSinceEpoch(nowSeconds, Qt::UTC).date().year();
    qint64 serverSeconds = 0;
    if (!parseHttpDate(trimOws(dateHeader), nowYear, &serverSeconds))
        return false;
    const qint64 offset = serverSeconds - nowSeconds;
    if (offset > maxClockCorrectionSeconds || offset < -maxClockCorrectionSeconds)
        return false;
    m_servers[origin].clockOffset = offset;
    return true;
}

qint64 DpopServerState::issuedAt(const QString &origin, qint64 nowSeconds) const
{
    return nowSeconds + clockOffset(origin);
}

qint64 DpopServerState::clockOffset(const QString &origin) const
{
    const auto it = m_servers.constFind(origin);
    return it == m_servers.cend() ? 0 : it->clockOffset;
}

} // namespace SecureTokens::Internal
