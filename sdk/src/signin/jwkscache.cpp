// SPDX-License-Identifier: MIT
#include "jwkscache_p.h"

#include "core/invokelater.h"
#include "session/publicdocument_p.h"

#include <QPointer>

namespace SecureTokens {

JwksCache::JwksCache(QNetworkAccessManager *nam, std::chrono::milliseconds timeout, QObject *parent)
    : QObject(parent), m_nam(nam), m_timeout(timeout)
{ }

void JwksCache::keys(const QUrl &uri, bool refetch, QObject *context, Done done)
{
    if (!refetch && uri == m_uri && !m_keys.isEmpty()) {
        invokeLater(context, [this, done = std::move(done)] { done({}, m_keys); });
        return;
    }
    if (uri.isEmpty()) {
        const ErrorInfo error = ErrorInfo::make(
                Error::InvalidConfiguration,
                QStringLiteral("No JWKS URI is known: ID tokens cannot be verified."));
        invokeLater(context, [error, done = std::move(done)] { done(error, {}); });
        return;
    }
    ++m_fetches;
    QPointer<JwksCache> self(this);
    fetchPublicDocument(
            m_nam, uri, maxJwksBytes, m_timeout, context,
            [self, uri, done = std::move(done)](const ErrorInfo &error, const QByteArray &body) {
                if (error.isError() || !self) {
                    done(error.isError()
                                 ? error
                                 : ErrorInfo::make(Error::Cancelled, QStringLiteral("Gone.")),
                         {});
                    return;
                }
                QList<Jwk> keys;
                const ErrorInfo parsed = parseJwks(body, &keys);
                if (parsed.isError()) {
                    done(parsed, {});
                    return;
                }
                self->m_uri = uri;
                self->m_keys = keys;
                done({}, keys);
            });
}

} // namespace SecureTokens
