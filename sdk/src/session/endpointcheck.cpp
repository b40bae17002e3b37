// SPDX-License-Identifier: MIT
#include "endpointcheck_p.h"

#include <securetokens/sessionconfig.h>

namespace SecureTokens {

ErrorInfo checkEndpoint(const QUrl &endpoint, QStringView what)
{
    if (!endpoint.isValid() || endpoint.isRelative() || endpoint.host().isEmpty()) {
        return ErrorInfo::make(
                Error::InvalidConfiguration,
                QStringLiteral("The %1 is not configured or not an absolute URL.").arg(what));
    }
    const QString scheme = endpoint.scheme().toLower();
    if (scheme != QLatin1String("https") && scheme != QLatin1String("http")) {
        return ErrorInfo::make(Error::InvalidConfiguration,
                               QStringLiteral("The %1 must be an https URL.").arg(what));
    }
    // RFC 6749 §3.2 requires TLS for the token endpoint; RFC 8252 §8.3 allows
    // plain http only on the loopback interface.
    if (isInsecureTransport(endpoint)) {
        return ErrorInfo::make(
                Error::InsecureTransport,
                QStringLiteral("Refusing plain http to a non-loopback %1.").arg(what));
    }
    return {};
}

} // namespace SecureTokens
