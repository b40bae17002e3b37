// SPDX-License-Identifier: MIT
#pragma once

#include "jwks_p.h"

#include <securetokens/error.h>

#include <QList>
#include <QObject>
#include <QUrl>

#include <chrono>
#include <functional>

class QNetworkAccessManager;

namespace SecureTokens {

/*!
    \internal
    The provider's keys, fetched from jwks_uri when first needed and kept for
    the Session's lifetime; refetched (at most once per verification) when a
    token names a key id the cached set does not have (key rotation).
*/
class JwksCache : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const ErrorInfo &error, const QList<Jwk> &keys)>;

    JwksCache(QNetworkAccessManager *nam, std::chrono::milliseconds timeout,
              QObject *parent = nullptr);

    //! The cached keys of \a uri, or a fresh fetch when there are none or \a refetch is set.
    void keys(const QUrl &uri, bool refetch, QObject *context, Done done);
    //! How many times the set was fetched (for tests).
    int fetchCount() const { return m_fetches; }

private:
    QNetworkAccessManager *m_nam;
    std::chrono::milliseconds m_timeout;
    QUrl m_uri;
    QList<Jwk> m_keys;
    int m_fetches = 0;
};

} // namespace SecureTokens
