// SPDX-License-Identifier: MIT
#include <securetokens/qml/sessionnetworkaccessmanagerfactory.h>

#include <securetokens/authenticatednetworkaccessmanager.h>
#include <securetokens/session.h>

#include <QNetworkAccessManager>
#include <QThread>

namespace SecureTokens::Qml {

SessionNetworkAccessManagerFactory::SessionNetworkAccessManagerFactory(Session *session)
    : m_session(session), m_sessionThread(session ? session->thread() : nullptr)
{ }

SessionNetworkAccessManagerFactory::~SessionNetworkAccessManagerFactory() = default;

QNetworkAccessManager *SessionNetworkAccessManagerFactory::create(QObject *parent)
{
    // The session may only be touched from its own thread: elsewhere, no token.
    if (QThread::currentThread() == m_sessionThread && m_session)
        return new AuthenticatedNetworkAccessManager(m_session, parent);
    return new QNetworkAccessManager(parent);
}

} // namespace SecureTokens::Qml
