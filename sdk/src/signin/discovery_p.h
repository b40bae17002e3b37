// SPDX-License-Identifier: MIT
#pragma once

// Authorization server metadata: OpenID Connect Discovery 1.0 and RFC 8414.
// parseProviderMetadata() is a pure function over untrusted input (a fuzz
// target); EndpointDiscovery fetches it once per Session and fills in the
// endpoints the application left empty.

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

//! Largest metadata document accepted, in bytes.
inline constexpr qint64 maxMetadataBytes = qint64(64) * 1024;

//! The fields of a provider's metadata the SDK uses.
struct ProviderMetadata
{
    QString issuer;
    QUrl authorizationEndpoint;
    QUrl tokenEndpoint;
    QUrl revocationEndpoint;
    QUrl deviceAuthorizationEndpoint;
    QUrl jwksUri;
    QStringList codeChallengeMethods; //!< empty: not advertised
    QStringList idTokenSigningAlgs; //!< empty: not advertised
    //! RFC 9207 §3: the provider adds "iss" to authorization responses.
    bool issParameterSupported = false;
};

/*!
    Parses a metadata document. Rules (OpenID Connect Discovery 1.0 §4.3,
    RFC 8414 §3.3): a JSON object of at most maxMetadataBytes; "issuer" equal
    to \a expectedIssuer character for character; a token_endpoint; every
    endpoint an absolute https URL, or http on a loopback address only.
    Returns the error (InvalidConfiguration, InsecureTransport or
    MalformedResponse) and leaves \a out untouched on failure.
*/
SECURETOKENS_EXPORT ErrorInfo parseProviderMetadata(QByteArrayView body,
                                                    const QString &expectedIssuer,
                                                    ProviderMetadata *out);

/*!
    The URLs where \a issuer's metadata may be found, in the order they are
    tried: "<issuer>/.well-known/openid-configuration" (OIDC Discovery §4.1),
    then "<origin>/.well-known/oauth-authorization-server<issuer path>"
    (RFC 8414 §3.1).
*/
SECURETOKENS_EXPORT QList<QUrl> metadataUrlsFor(const QUrl &issuer);

//! The issuer as compared with the document's "issuer" (its string form, unchanged).
SECURETOKENS_EXPORT QString issuerString(const QUrl &issuer);

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
