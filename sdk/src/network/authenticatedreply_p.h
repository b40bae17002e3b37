// SPDX-License-Identifier: MIT
#pragma once

#include "authenticatednetworkaccessmanager_p.h"

#include <securetokens/error.h>

#include <QNetworkReply>
#include <QPointer>
#include <QUrl>

#if QT_CONFIG(ssl)
#include <QSslConfiguration>
#include <QSslError>
#endif

#include <memory>
#include <optional>

namespace SecureTokens {

class SessionPrivate;

/*!
    \internal
    Marks the handling of an inner reply's signal on this thread (see
    ~AuthenticatedReply(), which deletes a finished inner reply at once
    unless one is being handled). A counter
    per thread rather than per reply: the reply may be deleted inside the
    scope, and leaving the scope must not touch it.
*/
class InnerSignalScope
{
public:
    InnerSignalScope() { ++depth(); }
    ~InnerSignalScope() { --depth(); }
    Q_DISABLE_COPY_MOVE(InnerSignalScope)
    static bool active() { return depth() > 0; }

private:
    //! Per thread: replies live in the thread of their manager.
    static int &depth()
    {
        static thread_local int value = 0;
        return value;
    }
};

/*!
    \internal
    The reply an application gets for a request to an allow-listed origin.

    It stands in front of one or more inner replies that the manager's base
    class creates: the first attempt, redirect hops it follows itself (with
    the bearer token only on the original origin), and at most one retry after
    a 401. Only the attempt that ends the exchange is ever visible: its
    metadata is copied onto this reply and its body is read through it. A 401
    that will be retried, or a redirect that is followed, shows nothing.

    Lifetime: a child of the manager, like every QNetworkReply. Inner replies
    are children of the manager too (QNetworkAccessManager makes them so) and
    are handed to deleteLater() when this reply is done with them. Callbacks
    from SessionPrivate use this reply as context, so a deleted reply is never
    called; an aborted one ignores them (m_ticket).
*/
class AuthenticatedReply : public QNetworkReply
{
    Q_OBJECT

public:
    AuthenticatedReply(AuthenticatedNetworkAccessManager *manager, Session *session,
                       QNetworkAccessManager::Operation op, const QNetworkRequest &request,
                       QIODevice *outgoingData, const ReplyPolicy &policy,
                       const OriginFacts &origin);
    ~AuthenticatedReply() override;

    //! Begins the exchange; every outcome is signalled later, never inside this call.
    void start();

    void abort() override;
    void close() override;
    qint64 bytesAvailable() const override;
    bool isSequential() const override { return true; }
    void setReadBufferSize(qint64 size) override;

protected:
    qint64 readData(char *data, qint64 maxSize) override;
#if QT_CONFIG(ssl)
    void ignoreSslErrorsImplementation(const QList<QSslError> &errors) override;
    void setSslConfigurationImplementation(const QSslConfiguration &configuration) override;
    void sslConfigurationImplementation(QSslConfiguration &configuration) const override;
#endif

    //! Wires the inner reply's optional signals only once someone listens to this reply's.
    void connectNotify(const QMetaMethod &signal) override;

public Q_SLOTS:
    void ignoreSslErrors() override;

private:
    Q_DISABLE_COPY_MOVE(AuthenticatedReply)

    //! The inner reply's signals that are forwarded only when this reply's have a listener.
    enum Relay : quint16 {
        RelayMetaData = 0x01,
        RelayUploadProgress = 0x02,
        RelayDownloadProgress = 0x04,
        RelaySocketStartedConnecting = 0x08,
        RelayRequestSent = 0x10,
        RelaySslErrors = 0x20,
        RelayEncrypted = 0x40,
        RelayPreSharedKey = 0x80,
        RelayReadyRead = 0x100,
    };

    enum class Disposition : quint8 {
        Undecided, //!< no status seen yet
        Forward, //!< this attempt is the answer: show it
        FollowRedirect, //!< a 3xx this reply follows itself
        RetryAfter401, //!< a 401 answered with one refresh and one retry
        RetryWithNonce, //!< a DPoP use_dpop_nonce 401: sent once more, no refresh (RFC 9449 §9)
    };

    SessionPrivate *sessionPrivate() const;
    //! The manager's per-origin facts for \a url (the manager must be alive).
    bool insecureTransportTo(const QUrl &url) const;
    void sendWithToken(const QUrl &url);
    void sendAttempt(const QUrl &url, bool withBearer);
    //! The request of an attempt: the application's, with what the SDK decides.
    QNetworkRequest innerRequest(const QUrl &url, const QByteArray &bearer,
                                 QNetworkAccessManager::Operation op, bool noAutoDelete) const;
    void attach(QNetworkReply *inner);
    void wire(quint16 relays);
    void detachInner(bool abortIt);
    void decide();
    bool bodyReplayable() const;
    bool methodAllowsReplay() const;

    void onInnerMetaDataChanged();
    void onInnerReadyRead();
    void onInnerFinished();
    void followRedirect();
    void retryAfter401();

    void forwardMetaData();
    void deliverHeld401(const ErrorInfo &error);
    void failWith(const ErrorInfo &error);
    void failLater(const ErrorInfo &error);
    void finishNow(NetworkError code, const QString &text);

    QPointer<AuthenticatedNetworkAccessManager> m_manager;
    QPointer<Session> m_session;
    const ReplyPolicy m_policy;
    //! The application's request; the token is never added to it (request() shows it).
    const QNetworkRequest m_original;
    const QString m_originalOrigin;
    const bool m_originalInsecure; //!< isInsecureTransport() of the original URL
    //! The token slot of the original origin (SessionConfig::apiResources); -1: the session's own.
    const int m_resource;
    QByteArray m_method;
    //! What sendAttempt() must undo in the application's request (looked up once).
    bool m_appSetBodyHeaders = false; //!< Content-Type or Content-Length
    bool m_appSetAuthorization = false;
    bool m_appSetAutoDelete = false; //!< AutoDeleteReplyOnFinishAttribute
    QUrl m_currentUrl;
    QNetworkRequest::RedirectPolicy m_redirectPolicy;
    int m_maxRedirects = 10;
    int m_redirects = 0;

    bool m_sendBody = false; //!< false for a request without body, or after a 303
    bool m_replayable = true;
    QByteArray m_body; //!< the buffered body when m_replayable
    QPointer<QIODevice> m_oneShotBody; //!< the application's device when not replayable
    bool m_oneShotUsed = false;

    QPointer<QNetworkReply> m_inner;
    quint16 m_relaysWanted = 0; //!< Relay bits someone listens to (connectNotify())
    quint16 m_relaysWired = 0; //!< Relay bits connected on m_inner
    bool m_innerTls = false; //!< m_inner is an https attempt (TLS signals possible)
    Disposition m_disposition = Disposition::Undecided;
    bool m_innerHadBearer = false;
    bool m_metaForwarded = false;
    quint64 m_sentGeneration = 0;
    bool m_retried = false;
    bool m_nonceRetried = false; //!< resent once with a resource server's new DPoP nonce
    bool m_tokenMayFollow = true; //!< false once a redirect left the original origin
    Error m_annotation = Error::NoError; //!< why a 401 was not retried
    QString m_annotationText;
    bool m_done = false;
    quint64 m_ticket = 0; //!< bumped to void pending token callbacks
    /*!
        The Authorization value of the last attempt that carried one. A member
        goes after the destructor's body has deleted the inner reply, or
        aborted it and handed it to deleteLater(): nothing sends Qt's copy of
        the request any more. As the last owner it wipes the bytes in place
        (bearerValue()), before Qt frees its copies of them.
    */
    std::shared_ptr<const QByteArray> m_bearer;

#if QT_CONFIG(ssl)
    bool m_ignoreAllSslErrors = false;
    QList<QSslError> m_ignoredSslErrors;
    std::optional<QSslConfiguration> m_sslConfiguration;
#endif
};

} // namespace SecureTokens
