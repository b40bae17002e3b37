// SPDX-License-Identifier: MIT
#pragma once

// Pure decisions of AuthenticatedNetworkAccessManager: which method a request
// uses, whether it may be replayed, how a redirect changes it, and how an SDK
// Error shows up on a QNetworkReply. No state, no I/O: easy to test and read.

#include <securetokens/error.h>

#include <QByteArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace SecureTokens {

//! The HTTP method of a request as it goes on the wire ("GET", "POST", a custom verb...).
QByteArray methodOf(QNetworkAccessManager::Operation op, const QNetworkRequest &request);

//! RFC 9110 §9.2.2: GET, HEAD, OPTIONS, PUT, DELETE and TRACE are idempotent.
bool isIdempotentMethod(const QByteArray &method);

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
RedirectRewrite rewriteForRedirect(int status, const QByteArray &method);

//! True for the redirect statuses that carry a Location to follow (301, 302, 303, 307, 308).
bool isFollowableRedirect(int status);

/*!
    Whether a 401's WWW-Authenticate value asks for a new bearer token
    (RFC 6750 §3): a Bearer challenge whose error is not insufficient_scope
    (§3.1: a new token of the same scope would not help), or no challenge at
    all when \a retryOnBare is set.
*/
bool challengeAllowsRetry(const QByteArray &wwwAuthenticate, bool retryOnBare);

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
