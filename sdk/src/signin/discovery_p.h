// SPDX-License-Identifier: MIT
#pragma once

// Authorization server metadata discovery (OpenID Connect Discovery 1.0,
// RFC 8414): EndpointDiscovery fetches the document once per Session and
// fills in the endpoints the application left empty. The document itself is
// parsed by providermetadata_p.h.

#include "providermetadata_p.h"

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>
#include <securetokens/sessionconfig.h>

#include <QByteArrayView>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;

namespace SecureTokens {

/*!
    \internal
    One Session's discovery: fetched at most once successfully, joined by
    every operation that needs an endpoint meanwhile. On success it fills the
    SessionConfig fields that are empty (configured values win). A failure is
    reported to the operations waiting and retried at the next need.

    Lives as a child of the Session's QNetworkAccessManager so the flows and the
    refresh transport find the same instance (findDiscovery()).
*/
class EndpointDiscovery : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const ErrorInfo &error)>;

    EndpointDiscovery(QNetworkAccessManager *nam, SessionConfig *config);

    //! An issuer is configured and metadata has not been fetched yet.
    bool pending() const;
    bool succeeded() const { return m_succeeded; }
    //! Fetches the metadata if pending(); \a done runs once, later, unless \a context dies.
    void ensure(QObject *context, Done done);
    //! Valid after success.
    const ProviderMetadata &metadata() const { return m_metadata; }

private:
    void fetch(int urlIndex);
    void finish(const ErrorInfo &error);

    QNetworkAccessManager *m_nam;
    SessionConfig *m_config;
    ProviderMetadata m_metadata;
    bool m_succeeded = false;
    bool m_inFlight = false;
    QList<QUrl> m_urls;
    struct Waiter
    {
        QPointer<QObject> context;
        Done done;
    };
    std::vector<Waiter> m_waiters;
};

//! The discovery of the Session that owns \a nam (nullptr when it has none).
EndpointDiscovery *findDiscovery(QNetworkAccessManager *nam);
/*!
    Creates the discovery of the Session that owns \a nam, as a child of \a nam
    (which deletes it; findDiscovery() finds it). It fills the empty endpoints
    of \a config, the Session's own.
*/
EndpointDiscovery *createDiscovery(QNetworkAccessManager *nam, SessionConfig *config);

} // namespace SecureTokens
