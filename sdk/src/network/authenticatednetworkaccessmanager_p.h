// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/session.h>

#include <QNetworkRequest>
#include <QPointer>
#include <QHash>
#include <QSet>
#include <QString>
#include <QUrl>

#include <memory>
#include <vector>

namespace SecureTokens {

class SessionPrivate;

//! \internal The per-request policy, copied into each reply when it is created.
struct ReplyPolicy
{
    qint64 maxReplayBodySize = qint64(1024) * 1024;
    bool retryOnBare401 = true;
    bool retryNonIdempotent = false;
};

//! \internal What the manager decided about one origin, kept for its next request there.
struct OriginFacts
{
    QString origin; //!< originOf(): "scheme://host:port"
    bool allowListed = false; //!< the bearer token may go there (the session's API origins)
    bool insecure = true; //!< isInsecureTransport(): plain http to a non-loopback host
    //! SessionConfig::apiResources: the slot whose token goes there; -1: the session's own.
    int resource = -1;
};

/*!
    \internal The inner request of the manager's last first attempt with the
    token, and what it was built from (AuthenticatedReply::sendAttempt()).
    It holds the Authorization value, so it goes with the token (wipeBearer()).
*/
struct InnerRequestCache
{
    QNetworkRequest app; //!< the application's request
    QNetworkRequest inner; //!< what was sent for it
    QByteArray method;
    quint64 generation = 0; //!< of the token in it
    bool sendBody = false;
    bool noAutoDelete = false;
    bool valid = false;

    bool matches(const QNetworkRequest &request, const QByteArray &m, bool body, bool noAuto,
                 quint64 gen) const
    {
        // QNetworkRequest::operator== is a pointer comparison for a shared copy.
        return valid && generation == gen && sendBody == body && noAutoDelete == noAuto
                && method == m && app == request;
    }
};

class AuthenticatedNetworkAccessManagerPrivate
{
public:
    explicit AuthenticatedNetworkAccessManagerPrivate(Session *session);
    ~AuthenticatedNetworkAccessManagerPrivate();
    Q_DISABLE_COPY_MOVE(AuthenticatedNetworkAccessManagerPrivate)

    /*!
        The origin facts of \a url, decided once per origin: originOf() and the
        loopback check cost a few thousand instructions (string building, an
        address parse), which every request to the same API would repeat. The
        key is the URL's own scheme, host and port, compared as stored; the
        decision itself is made by the one rule (originOf(), isInsecureTransport()).
    */
    const OriginFacts &factsFor(const QUrl &url);

    /*!
        "Bearer <token>" for the session's current access token (RFC 6750
        §2.1), built once per token rather than once per request: requests
        share it (QByteArray is implicitly shared). A new token (generation)
        replaces it; wipeBearer() runs when the token changes or goes. Every
        attempt that sent the value holds it until its inner reply is
        destroyed, and the last owner wipes the bytes in place before they are
        freed (Qt's request copies share them). \a d must be non-null.
    */
    std::shared_ptr<const QByteArray> bearerValue(const SessionPrivate *d);
    //! The same for the token of \a slot (SessionConfig::apiResources); -1: bearerValue(d).
    std::shared_ptr<const QByteArray> bearerValue(const SessionPrivate *d, int slot);
    void wipeBearer();
    //! Session grants this class (a friend) access to its private part; replies go through here.
    static SessionPrivate *sessionPrivate(Session *session);

    QPointer<Session> session;
    //! originOf() of the allow-listed origins, taken once: SessionConfig is const after construction.
    QSet<QString> allowedOrigins;
    /*!
        SessionConfig::apiResources: originOf() of each mapped origin -> its
        token's slot (then the only allow-listed origins). Empty: one token.
    */
    QHash<QString, int> resourceSlots;
    ReplyPolicy policy;
    InnerRequestCache innerRequestCache;

    // The rest is factsFor()'s and bearerValue()'s own state (public like the
    // members above: this private class is a plain holder behind the d-pointer).
    struct CachedOrigin
    {
        QString scheme;
        QString host;
        int port = -1;
        OriginFacts facts;
    };
    //! Most recently used first; a handful of origins per app, bounded all the same.
    std::vector<CachedOrigin> m_origins;
    OriginFacts m_notAnOrigin; //!< for URLs without a host
    std::shared_ptr<QByteArray> m_bearer; //!< bearerValue(), for m_bearerGeneration
    quint64 m_bearerGeneration = 0;
    struct SlotBearer
    {
        std::shared_ptr<QByteArray> value;
        quint64 generation = 0;
    };
    std::vector<SlotBearer> m_slotBearers; //!< bearerValue(d, slot), by slot
    //! "Bearer <token>" (or DPoP) in a buffer its last owner wipes (bearerValue()).
    static std::shared_ptr<QByteArray> makeAuthorization(QByteArrayView token, bool dpop);
};

} // namespace SecureTokens
