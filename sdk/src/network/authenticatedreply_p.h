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

#include <optional>

namespace SecureTokens {

class SessionPrivate;

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
                       QIODevice *outgoingData, const ReplyPolicy &policy);
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

public Q_SLOTS:
    void ignoreSslErrors() override;

private:
    Q_DISABLE_COPY_MOVE(AuthenticatedReply)

    enum class Disposition : quint8 {
        Undecided, //!< no status seen yet
        Forward, //!< this attempt is the answer: show it
        FollowRedirect, //!< a 3xx this reply follows itself
        RetryAfter401, //!< a 401 answered with one refresh and one retry
    };

    SessionPrivate *sessionPrivate() const;
    void sendWithToken(const QUrl &url);
    void sendAttempt(const QUrl &url, bool withBearer);
    void attach(QNetworkReply *inner);
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
    QByteArray m_method;
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
    Disposition m_disposition = Disposition::Undecided;
    bool m_innerHadBearer = false;
    bool m_metaForwarded = false;
    quint64 m_sentGeneration = 0;
    bool m_retried = false;
    bool m_tokenMayFollow = true; //!< false once a redirect left the original origin
    Error m_annotation = Error::NoError; //!< why a 401 was not retried
    QString m_annotationText;
    bool m_done = false;
    quint64 m_ticket = 0; //!< bumped to void pending token callbacks

#if QT_CONFIG(ssl)
    bool m_ignoreAllSslErrors = false;
    QList<QSslError> m_ignoredSslErrors;
    std::optional<QSslConfiguration> m_sslConfiguration;
#endif
};

} // namespace SecureTokens
