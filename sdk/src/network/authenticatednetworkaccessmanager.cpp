// SPDX-License-Identifier: MIT
#include "authenticatednetworkaccessmanager_p.h"

#include "authenticatedreply_p.h"
#include "core/logging.h"
#include "session/session_p.h"

#include <securetokens/sessionconfig.h>

namespace SecureTokens {

AuthenticatedNetworkAccessManagerPrivate::AuthenticatedNetworkAccessManagerPrivate(Session *s)
    : session(s)
{
    if (!s)
        return;
    const QList<QUrl> origins = s->config().effectiveApiOrigins();
    for (const QUrl &origin : origins) {
        if (origin.isValid() && !origin.host().isEmpty())
            allowedOrigins.insert(originOf(origin));
    }
}

bool AuthenticatedNetworkAccessManagerPrivate::isAllowListed(const QUrl &url) const
{
    if (!url.isValid() || url.host().isEmpty())
        return false;
    return allowedOrigins.contains(originOf(url));
}

SessionPrivate *AuthenticatedNetworkAccessManagerPrivate::sessionPrivate(Session *session)
{
    return session ? session->d_func() : nullptr;
}

AuthenticatedNetworkAccessManager::AuthenticatedNetworkAccessManager(Session *session,
                                                                     QObject *parent)
    : QNetworkAccessManager(parent),
      d_ptr(std::make_unique<AuthenticatedNetworkAccessManagerPrivate>(session))
{ }

AuthenticatedNetworkAccessManager::~AuthenticatedNetworkAccessManager()
{
    // ~QNetworkAccessManager deletes all child replies with qDeleteAll(), after
    // this class's members are gone. Delete the proxies now, while everything
    // they may touch is alive; they hand their inner replies to deleteLater(),
    // which the base destructor's delete overtakes safely.
    const QList<AuthenticatedReply *> replies
            = findChildren<AuthenticatedReply *>(Qt::FindDirectChildrenOnly);
    qDeleteAll(replies);
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
    if (!d->isAllowListed(request.url()))
        return QNetworkAccessManager::createRequest(op, request, outgoingData);

    qCDebug(lcNetwork) << "authorized request to an allow-listed origin";
    auto *reply = new AuthenticatedReply(this, d->session, op, request, outgoingData, d->policy);
    reply->start();
    return reply;
}

QNetworkReply *AuthenticatedNetworkAccessManager::createUnauthenticatedRequest(
        Operation op, const QNetworkRequest &request, QIODevice *outgoingData)
{
    return QNetworkAccessManager::createRequest(op, request, outgoingData);
}

} // namespace SecureTokens
