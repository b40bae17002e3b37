// SPDX-License-Identifier: MIT
#include "authenticatednetworkaccessmanager_p.h"

#include "authenticatedreply_p.h"
#include "core/logging.h"
#include "core/wipedbuffers.h"
#include "session/session_p.h"

#include <securetokens/secretbytes.h>
#include <securetokens/sessionconfig.h>

#include <algorithm>

namespace SecureTokens {

AuthenticatedNetworkAccessManagerPrivate::AuthenticatedNetworkAccessManagerPrivate(Session *s)
    : session(s)
{
    if (!s)
        return;
    // Per-API tokens: only the mapped origins get one, each its own
    // (RFC 9700 §2.3), and no other origin, the issuer's included.
    const ApiResourceMap &map = sessionPrivate(s)->m_apiResources;
    if (!map.isEmpty()) {
        resourceSlots = map.slotOfOrigin;
        for (auto it = resourceSlots.cbegin(); it != resourceSlots.cend(); ++it)
            allowedOrigins.insert(it.key());
        m_slotBearers.resize(std::size_t(map.slots.size()));
        return;
    }
    const QList<QUrl> origins = s->config().effectiveApiOrigins();
    for (const QUrl &origin : origins) {
        if (origin.isValid() && !origin.host().isEmpty())
            allowedOrigins.insert(originOf(origin));
    }
}

AuthenticatedNetworkAccessManagerPrivate::~AuthenticatedNetworkAccessManagerPrivate()
{
    wipeBearer();
}

std::shared_ptr<const QByteArray>
AuthenticatedNetworkAccessManagerPrivate::bearerValue(const SessionPrivate *d)
{
    // Generation 0 is "never had a token": a signed-in session is past it.
    if (!m_bearer || m_bearerGeneration != d->generation()) {
        wipeBearer();
        m_bearer = makeAuthorization(d->accessToken().view(), d->accessTokenIsDpop());
        m_bearerGeneration = d->generation();
    }
    return m_bearer;
}

std::shared_ptr<const QByteArray>
AuthenticatedNetworkAccessManagerPrivate::bearerValue(const SessionPrivate *d, int slot)
{
    if (slot < 0)
        return bearerValue(d);
    SlotBearer &cached = m_slotBearers[std::size_t(slot)];
    if (!cached.value || cached.generation != d->generation(slot)) {
        cached.value = makeAuthorization(d->accessToken(slot).view(), d->accessTokenIsDpop(slot));
        cached.generation = d->generation(slot);
    }
    return cached.value;
}

std::shared_ptr<QByteArray>
AuthenticatedNetworkAccessManagerPrivate::makeAuthorization(QByteArrayView token, bool dpop)
{
    // One value per token, shared by every request that carries it. Its
    // last owner (this manager when the token changes or goes, or the last
    // inner reply still carrying it) wipes the bytes in place before they
    // are freed: Qt's copies of the request share this very buffer, so a
    // copy-and-wipe would leave the original in freed heap (issue 19, item 6).
    auto value = std::shared_ptr<QByteArray>(new QByteArray, [](QByteArray *bytes) {
        wipeShared(*bytes);
        delete bytes;
    });
    // RFC 9449 §7.1: a DPoP-bound token goes with the DPoP scheme.
    const QByteArrayView scheme = dpop ? "DPoP " : "Bearer ";
    value->reserve(scheme.size() + token.size());
    value->append(scheme).append(token);
    return value;
}

void AuthenticatedNetworkAccessManagerPrivate::wipeBearer()
{
    innerRequestCache = {}; // shares the value: let go of it first
    m_bearer.reset(); // wiped now, or by the last request still carrying it
    for (SlotBearer &slot : m_slotBearers)
        slot.value.reset();
}

const OriginFacts &AuthenticatedNetworkAccessManagerPrivate::factsFor(const QUrl &url)
{
    if (!url.isValid())
        return m_notAnOrigin;
    QString scheme = url.scheme();
    QString host = url.host();
    if (host.isEmpty())
        return m_notAnOrigin;
    const int port = url.port();
    for (auto it = m_origins.begin(); it != m_origins.end(); ++it) {
        if (it->port == port && it->host == host && it->scheme == scheme) {
            if (it != m_origins.begin())
                std::rotate(m_origins.begin(), it, it + 1);
            return m_origins.front().facts;
        }
    }
    constexpr std::size_t maxOrigins = 16;
    if (m_origins.size() >= maxOrigins)
        m_origins.pop_back();
    CachedOrigin entry {std::move(scheme), std::move(host), port, {}};
    entry.facts.origin = originOf(url);
    entry.facts.allowListed = allowedOrigins.contains(entry.facts.origin);
    entry.facts.resource = resourceSlots.value(entry.facts.origin, -1);
    entry.facts.insecure = isInsecureTransport(url);
    m_origins.insert(m_origins.begin(), std::move(entry));
    return m_origins.front().facts;
}

SessionPrivate *AuthenticatedNetworkAccessManagerPrivate::sessionPrivate(Session *session)
{
    return session ? session->d_func() : nullptr;
}

AuthenticatedNetworkAccessManager::AuthenticatedNetworkAccessManager(Session *session,
                                                                     QObject *parent)
    : QNetworkAccessManager(parent),
      d_ptr(std::make_unique<AuthenticatedNetworkAccessManagerPrivate>(session))
{
    // The cached Authorization value goes as soon as its token does (sign-out, refresh).
    if (session) {
        AuthenticatedNetworkAccessManagerPrivate *d = d_ptr.get();
        connect(session, &Session::accessTokenChanged, this, [d] { d->wipeBearer(); });
    }
}

AuthenticatedNetworkAccessManager::~AuthenticatedNetworkAccessManager()
{
    // ~QNetworkAccessManager deletes all child replies with qDeleteAll(), after
    // this class's members are gone. Delete the proxies now, while everything
    // they may touch is alive; they hand their inner replies to deleteLater(),
    // which the base destructor's delete overtakes safely.
    const QList<AuthenticatedReply *> replies
            = findChildren<AuthenticatedReply *>(Qt::FindDirectChildrenOnly);
    qDeleteAll(replies);
    // d_ptr goes before QObject's own teardown: no token change may reach it.
    if (d_ptr->session)
        disconnect(d_ptr->session, nullptr, this, nullptr);
}

Session *AuthenticatedNetworkAccessManager::session() const
{
    Q_D(const AuthenticatedNetworkAccessManager);
    return d->session;
}

qint64 AuthenticatedNetworkAccessManager::maxReplayBodySize() const
{
    Q_D(const AuthenticatedNetworkAccessManager);
    return d->policy.maxReplayBodySize;
}

void AuthenticatedNetworkAccessManager::setMaxReplayBodySize(qint64 bytes)
{
    Q_D(AuthenticatedNetworkAccessManager);
    d->policy.maxReplayBodySize = std::max<qint64>(0, bytes);
}

bool AuthenticatedNetworkAccessManager::retryOnBare401() const
{
    Q_D(const AuthenticatedNetworkAccessManager);
    return d->policy.retryOnBare401;
}

void AuthenticatedNetworkAccessManager::setRetryOnBare401(bool retry)
{
    Q_D(AuthenticatedNetworkAccessManager);
    d->policy.retryOnBare401 = retry;
}

bool AuthenticatedNetworkAccessManager::retryNonIdempotent() const
{
    Q_D(const AuthenticatedNetworkAccessManager);
    return d->policy.retryNonIdempotent;
}

void AuthenticatedNetworkAccessManager::setRetryNonIdempotent(bool retry)
{
    Q_D(AuthenticatedNetworkAccessManager);
    d->policy.retryNonIdempotent = retry;
}

QNetworkReply *AuthenticatedNetworkAccessManager::createRequest(Operation op,
                                                                const QNetworkRequest &request,
                                                                QIODevice *outgoingData)
{
    Q_D(AuthenticatedNetworkAccessManager);
    // Bearer only for allow-listed origins (RFC 6750 §5.3, RFC 9700 §2.3/§4.9):
    // anything else goes out exactly as the application built it.
    const OriginFacts &facts = d->factsFor(request.url());
    if (!facts.allowListed)
        return QNetworkAccessManager::createRequest(op, request, outgoingData);

    qCDebug(lcNetwork) << "authorized request to an allow-listed origin";
    auto *reply
            = new AuthenticatedReply(this, d->session, op, request, outgoingData, d->policy, facts);
    reply->start();
    return reply;
}

QNetworkReply *AuthenticatedNetworkAccessManager::createUnauthenticatedRequest(
        Operation op, const QNetworkRequest &request, QIODevice *outgoingData)
{
    return QNetworkAccessManager::createRequest(op, request, outgoingData);
}

} // namespace SecureTokens
