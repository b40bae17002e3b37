// SPDX-License-Identifier: MIT
#pragma once

// Pure decisions of AuthenticatedNetworkAccessManager (exported for tests only): which method a
// request uses, whether it may be replayed, how a redirect changes it, and how an SDK Error shows
// up on a QNetworkReply. No state, no I/O: easy to test and read.

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace SecureTokens {

//! The HTTP method of a request as it goes on the wire ("GET", "POST", a custom verb...).
SECURETOKENS_EXPORT QByteArray methodOf(QNetworkAccessManager::Operation op,
                                        const QNetworkRequest &request);

//! RFC 9110 §9.2.2: GET, HEAD, OPTIONS, PUT, DELETE and TRACE are idempotent.
SECURETOKENS_EXPORT bool isIdempotentMethod(const QByteArray &method);

//! How a followed redirect changes the request (RFC 9110 §15.4).
struct RedirectRewrite
{
    QByteArray method; //!< the method of the next request
    bool keepBody = true; //!< false: the next request has no body
};

/*!
    301 and 302 turn POST into GET (RFC 9110 §15.4.2/§15.4.3 allow it and
    every user agent does it); 303 turns everything but HEAD into GET
    (§15.4.4); 307 and 308 keep method and body (§15.4.8/§15.4.9).
*/
SECURETOKENS_EXPORT RedirectRewrite rewriteForRedirect(int status, const QByteArray &method);

//! True for the redirect statuses that carry a Location to follow (301, 302, 303, 307, 308).
SECURETOKENS_EXPORT bool isFollowableRedirect(int status);

//! What is known about a 401 from an allow-listed origin when it arrives.
struct Unauthorized401
{
    bool sentWithToken = false; //!< the attempt carried the session's access token
    bool alreadyRetried = false; //!< this request was retried after a 401 before
    QByteArray wwwAuthenticate; //!< the 401's WWW-Authenticate value(s)
    bool retryOnBare401 = true; //!< AuthenticatedNetworkAccessManager::retryOnBare401()
    bool bodyReplayable = true; //!< no body, or a buffered one (see the replay policy)
    bool methodReplayable = true; //!< idempotent, Idempotency-Key, or an opt-in
};

//! The answer of decideOn401().
struct Decision401
{
    enum class Action : quint8 {
        Deliver, //!< the 401 is the answer; nothing else happens
        RenewAndDeliver, //!< the 401 is the answer, but the rejected token is renewed
        RefreshAndRetry, //!< one shared refresh, then the request once more
    };
    Action action = Action::Deliver;
    //! For RenewAndDeliver: why the request was not retried (for errorString()).
    QString reason;
};

/*!
    THE rule for "when does a 401 trigger a refresh" (docs/networking.md):
    only for a request that carried the token, whose challenge asks for a new
    bearer token (challengeAllowsRetry()), that has not been retried yet (no
    loops); it is then retried after one shared refresh when it can be sent
    again safely, otherwise the token is renewed for the application's own
    resend and the 401 delivered with the reason. Whether that refresh is a
    new one or the one already running (or no refresh at all because a newer
    token exists) is the session's single-flight rule
    (SessionPrivate::onUnauthorized()).
*/
SECURETOKENS_EXPORT Decision401 decideOn401(const Unauthorized401 &facts, const QByteArray &method);

/*!
    Whether a 401's WWW-Authenticate value asks for a new bearer token
    (RFC 6750 §3): a Bearer (or DPoP) challenge whose error is neither
    insufficient_scope (§3.1: a new token of the same scope would not help)
    nor insufficient_user_authentication (RFC 9470 §3: nor would one of the
    same authentication), or no challenge at all when \a retryOnBare is set.
*/
SECURETOKENS_EXPORT bool challengeAllowsRetry(const QByteArray &wwwAuthenticate, bool retryOnBare);

/*!
    The Error a request's answer of \a status carries by its challenge:
    StepUpRequired for a 401 insufficient_user_authentication (RFC 9470 §3),
    InsufficientScope for a 401 or 403 insufficient_scope (RFC 6750 §3.1),
    NoError otherwise. Only for attempts that carried the session's token.
*/
SECURETOKENS_EXPORT Error challengeError(int status, const QByteArray &wwwAuthenticate);

//! The QNetworkReply::NetworkError an application sees for an SDK error.
QNetworkReply::NetworkError networkErrorFor(Error error);

//! "SecureTokens::Error::<Name>: <message>", the errorString() of such a reply.
QString errorStringFor(Error error, const QString &message);

/*!
    The Error recorded when a 401 could not be retried because the request
    cannot be sent again (one-shot body, non-idempotent method without opt-in).
*/
Error notReplayableError();

} // namespace SecureTokens
