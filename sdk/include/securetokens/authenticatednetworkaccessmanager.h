// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QNetworkAccessManager>
#include <QNetworkRequest>

#include <memory>

namespace SecureTokens {

class Session;
class AuthenticatedNetworkAccessManagerPrivate;
class AuthenticatedReply;

/*!
    Reply attribute holding the SecureTokens::Error behind a reply's failure
    (a QVariant of SecureTokens::Error), when the SDK caused or annotated it:
    InsecureTransport (refused before sending), the refresh failure that left a
    request without a token, Cancelled (the session was destroyed), or the
    reason a 401 was not retried. Absent when the SDK had nothing to add.

    \code
    const auto error = reply->attribute(SecureTokens::ErrorAttribute).value<SecureTokens::Error>();
    \endcode
*/
inline constexpr QNetworkRequest::Attribute ErrorAttribute
        = QNetworkRequest::Attribute(QNetworkRequest::User + 0x5354);

/*!
    Reply attribute holding the whole SecureTokens::ErrorInfo (a QVariant of
    ErrorInfo) whenever ErrorAttribute is set: for Error::StepUpRequired the
    acr_values and max_age the API asked for (ErrorInfo::acrValues,
    ErrorInfo::maxAgeSeconds), for Error::InsufficientScope the scope it
    named (ErrorInfo::requiredScopes), with the HTTP status and the
    challenge's error and error_description.

    \code
    const auto info = reply->attribute(SecureTokens::ErrorInfoAttribute)
                              .value<SecureTokens::ErrorInfo>();
    if (info.code == SecureTokens::Error::StepUpRequired)
        session->stepUp(info.acrValues, info.maxAgeSeconds);
    \endcode
*/
inline constexpr QNetworkRequest::Attribute ErrorInfoAttribute
        = QNetworkRequest::Attribute(QNetworkRequest::User + 0x5356);

/*!
    Request attribute (bool): set to true on a POST, PATCH or custom-verb
    request to allow it to be replayed once after a 401, like
    AuthenticatedNetworkAccessManager::setRetryNonIdempotent() does for all
    requests. A request with an \c Idempotency-Key header is replayable
    without it.
*/
inline constexpr QNetworkRequest::Attribute RetryNonIdempotentAttribute
        = QNetworkRequest::Attribute(QNetworkRequest::User + 0x5355);

/*!
    A QNetworkAccessManager that authorizes requests with a Session's access
    token. Use it exactly like the QNetworkAccessManager you know (get(),
    post(), put(), sendCustomRequest()...): there is no new request API.

    Rules (docs/networking.md has the details and the RFC sections):
    \list
    \li the bearer token is attached only to the session's allow-listed API
        origins (scheme + host + port); every other request goes out untouched;
    \li a request that would carry a token over plain http to a non-loopback
        host fails with SecureTokens::Error::InsecureTransport before anything
        is sent;
    \li the Authorization header never follows a redirect to another origin;
    \li a 401 from an allow-listed origin triggers one shared refresh and one
        retry; the application sees a single reply whose result is the retry's;
    \li requests that start while a refresh is under way wait for it.
    \endlist

    Replay policy: a request is retried after a 401 only when its body can be
    sent again (none, or at most maxReplayBodySize() bytes from a seekable
    device such as the QBuffer that post(QByteArray) creates) and its method
    is idempotent (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, PUT, DELETE, TRACE), or
    it carries an \c Idempotency-Key header, or retryNonIdempotent() or the
    request's RetryNonIdempotentAttribute allows it. Otherwise the 401 is
    delivered, with the reason in errorString() and ErrorAttribute.

    One manager per thread, like QNetworkAccessManager itself; the Session must
    live in the same thread.
*/
class SECURETOKENS_EXPORT AuthenticatedNetworkAccessManager : public QNetworkAccessManager
{
    Q_OBJECT

public:
    /*!
        A manager that authorizes requests for \a session's API origins
        (SessionConfig::apiOrigins) with its access token. It does not own
        \a session; once the session is destroyed, requests for those origins
        fail with Error::NotSignedIn.
    */
    explicit AuthenticatedNetworkAccessManager(Session *session, QObject *parent = nullptr);
    ~AuthenticatedNetworkAccessManager() override;

    //! The session whose token is used; null once it has been destroyed.
    Session *session() const;

    //! Largest request body buffered for a replay after a 401 (default 1 MiB).
    qint64 maxReplayBodySize() const;
    //! Sets maxReplayBodySize(); applies to requests created afterwards.
    void setMaxReplayBodySize(qint64 bytes);

    /*!
        Whether a 401 without a Bearer challenge (no WWW-Authenticate header at
        all) also triggers a refresh and a retry (default true). A 401 whose
        challenges are all of another scheme (e.g. Basic) never does.
    */
    bool retryOnBare401() const;
    //! Sets retryOnBare401(); applies to requests created afterwards.
    void setRetryOnBare401(bool retry);

    //! Whether POST, PATCH and custom verbs are retried after a 401 (default false).
    bool retryNonIdempotent() const;
    //! Sets retryNonIdempotent(); applies to requests created afterwards.
    void setRetryNonIdempotent(bool retry);

protected:
    /*!
        Applies the rules above: attaches the token to requests for an
        allow-listed origin and returns a reply that absorbs one 401; every
        other request is QNetworkAccessManager's own.
    */
    QNetworkReply *createRequest(Operation op, const QNetworkRequest &request,
                                 QIODevice *outgoingData = nullptr) override;

private:
    Q_DISABLE_COPY_MOVE(AuthenticatedNetworkAccessManager)

    friend class AuthenticatedReply;
    //! QNetworkAccessManager::createRequest, for the requests the SDK itself sends.
    QNetworkReply *createUnauthenticatedRequest(Operation op, const QNetworkRequest &request,
                                                QIODevice *outgoingData);

    Q_DECLARE_PRIVATE(AuthenticatedNetworkAccessManager)
    std::unique_ptr<AuthenticatedNetworkAccessManagerPrivate> const d_ptr;
};

} // namespace SecureTokens
