// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>

#include <QStringView>
#include <QUrl>

namespace SecureTokens {

/*!
    \internal
    The rule every URL that credentials (or the metadata that decides where
    they go) are sent to must pass: an absolute http(s) URL with a host, and
    https unless the host is a loopback address (RFC 6749 §3.2, RFC 8252 §8.3).
    \a what names the endpoint in the message ("token endpoint"...).
    Pure: no I/O.
*/
ErrorInfo checkEndpoint(const QUrl &endpoint, QStringView what);

} // namespace SecureTokens
