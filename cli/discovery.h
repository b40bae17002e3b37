// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>

#include <QUrl>

namespace Cli {

struct DiscoveredEndpoints
{
    QUrl tokenEndpoint;
    QUrl revocationEndpoint;
};

/*!
    Fetches \a issuer's OpenID Provider metadata (OpenID Connect Discovery 1.0
    §4, falling back to RFC 8414 oauth-authorization-server) and validates it:
    the document's issuer must equal \a issuer exactly (§4.3) and endpoints
    must be https, or http on loopback only.
*/
SecureTokens::ErrorInfo discover(const QUrl &issuer, DiscoveredEndpoints *out);

} // namespace Cli
