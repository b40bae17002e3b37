// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/qml/securetokensqml_export.h>

#include <QPointer>
#include <QQmlNetworkAccessManagerFactory>

class QThread;

namespace SecureTokens {
class Session;
}

namespace SecureTokens::Qml {

/*!
    Makes a QML engine's network access go through the SDK: QML's
    XMLHttpRequest (and anything else the engine loads from the network) gets
    an AuthenticatedNetworkAccessManager for \a session, so requests to the
    session's allow-listed origins carry the bearer token and a 401 is absorbed
    by one shared refresh and a retry. The token never enters QML.

    Set it before the engine loads anything, and keep it alive as long as the
    engine (QQmlEngine does not take ownership):
    \code
    SessionNetworkAccessManagerFactory factory(&session);
    engine.setNetworkAccessManagerFactory(&factory);
    \endcode

    A Session is used from its own thread only, so managers the engine asks for
    on other threads (e.g. for asynchronous image loading) are plain
    QNetworkAccessManagers: they never carry the token.
*/
class SECURETOKENSQML_EXPORT SessionNetworkAccessManagerFactory
    : public QQmlNetworkAccessManagerFactory
{
public:
    //! Managers for \a session, which it does not own (null once it is destroyed).
    explicit SessionNetworkAccessManagerFactory(Session *session);
    ~SessionNetworkAccessManagerFactory() override;

    //! Called by the engine, possibly from several threads (hence no shared state but const).
    QNetworkAccessManager *create(QObject *parent) override;

private:
    Q_DISABLE_COPY_MOVE(SessionNetworkAccessManagerFactory)

    QPointer<Session> const m_session;
    QThread *const m_sessionThread;
};

} // namespace SecureTokens::Qml
