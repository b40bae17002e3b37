// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/session.h>

#include <QPointer>
#include <QSet>
#include <QString>

namespace SecureTokens {

class SessionPrivate;

//! \internal The per-request policy, copied into each reply when it is created.
struct ReplyPolicy
{
    qint64 maxReplayBodySize = qint64(1024) * 1024;
    bool retryOnBare401 = true;
    bool retryNonIdempotent = false;
};

class AuthenticatedNetworkAccessManagerPrivate
{
public:
    explicit AuthenticatedNetworkAccessManagerPrivate(Session *session);

    //! True when \a url's origin (scheme, host, port) is one the bearer token may go to.
    bool isAllowListed(const QUrl &url) const;
    //! Session grants this class (a friend) access to its private part; replies go through here.
    static SessionPrivate *sessionPrivate(Session *session);

    QPointer<Session> session;
    //! originOf() of the allow-listed origins, taken once: SessionConfig is const after construction.
    QSet<QString> allowedOrigins;
    ReplyPolicy policy;
};

} // namespace SecureTokens
