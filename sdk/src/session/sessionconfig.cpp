// SPDX-License-Identifier: MIT
#include <securetokens/sessionconfig.h>

#include <QHostAddress>

namespace SecureTokens {

QList<QUrl> SessionConfig::effectiveApiOrigins() const
{
    if (!apiOrigins.isEmpty())
        return apiOrigins;
    if (issuer.isValid() && !issuer.isEmpty())
        return {issuer};
    if (tokenEndpoint.isValid() && !tokenEndpoint.isEmpty())
        return {tokenEndpoint};
    return {};
}

static bool isLoopbackHost(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    QHostAddress address;
    return address.setAddress(host) && address.isLoopback();
}

bool isInsecureTransport(const QUrl &url)
{
    if (url.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0)
        return false;
    return !isLoopbackHost(url.host());
}

QString originOf(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    int port = url.port();
    if (port < 0)
        port = scheme == QLatin1String("https") ? 443 : scheme == QLatin1String("http") ? 80 : -1;
    return scheme + QLatin1String("://") + url.host().toLower() + QLatin1Char(':')
            + QString::number(port);
}

} // namespace SecureTokens
