// SPDX-License-Identifier: MIT
// What an API's challenge to the session's token asks for, when a refresh
// cannot give it: a stronger or more recent sign-in (RFC 9470 §3) or more
// scope (RFC 6750 §3.1). The answer is delivered as it is, annotated with the
// typed error; requestpolicy's challengeAllowsRetry() has already refused to
// refresh for it.
#include "authenticatedreply_p.h"

#include "requestpolicy_p.h"
#include "wwwauthenticate_p.h"

#include "session/session_p.h"

#include <climits>

namespace SecureTokens {

void AuthenticatedReply::noteChallenge(int status)
{
    const QByteArray header = m_inner->rawHeader("WWW-Authenticate");
    const Error error = challengeError(status, header);
    if (error == Error::NoError)
        return;
    const ResourceChallenge challenge = parseResourceChallenge(header);
    ErrorInfo info;
    info.code = error;
    info.httpStatus = status;
    info.operation = SessionOperation::Request;
    info.sessionKept = true;
    info.oauthError = QString::fromUtf8(challenge.error.left(64));
    info.oauthErrorDescription = QString::fromUtf8(challenge.errorDescription.left(512));
    if (error == Error::StepUpRequired) {
        info.acrValues = challenge.acrValues;
        info.maxAgeSeconds = int(std::min<qint64>(challenge.maxAge, INT_MAX));
        info.message = QStringLiteral("The API asks for a stronger or more recent sign-in "
                                      "(RFC 9470 §3); the request was not retried. Call "
                                      "Session::stepUp(), then send it again.");
    } else {
        info.requiredScopes = challenge.scope;
        info.message = challenge.scope.isEmpty()
                ? QStringLiteral("The access token lacks a scope this request needs "
                                 "(RFC 6750 §3.1).")
                : QStringLiteral("The access token lacks the scope \"%1\" this request needs "
                                 "(RFC 6750 §3.1); Session::requestScopes() asks for it.")
                          .arg(challenge.scope.join(QLatin1Char(' ')).left(200));
    }
    m_annotation = error;
    m_annotationText = info.message;
    m_challenge = info;
    if (SessionPrivate *d = sessionPrivate()) {
        if (error == Error::StepUpRequired)
            d->noteStepUpChallenge(m_sentGeneration, info);
        else
            d->noteScopeChallenge(m_resource, m_sentGeneration, info);
    }
}

void AuthenticatedReply::setErrorAttributes(const ErrorInfo &error)
{
    setAttribute(ErrorAttribute, QVariant::fromValue(error.code));
    setAttribute(ErrorInfoAttribute, QVariant::fromValue(error));
}

} // namespace SecureTokens
