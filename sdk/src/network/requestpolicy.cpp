// SPDX-License-Identifier: MIT
#include "requestpolicy_p.h"

#include "wwwauthenticate_p.h"

#include <QMetaEnum>

#include <algorithm>
#include <array>

namespace SecureTokens {

QByteArray methodOf(QNetworkAccessManager::Operation op, const QNetworkRequest &request)
{
    switch (op) {
    case QNetworkAccessManager::HeadOperation:
        return QByteArrayLiteral("HEAD");
    case QNetworkAccessManager::GetOperation:
        return QByteArrayLiteral("GET");
    case QNetworkAccessManager::PutOperation:
        return QByteArrayLiteral("PUT");
    case QNetworkAccessManager::PostOperation:
        return QByteArrayLiteral("POST");
    case QNetworkAccessManager::DeleteOperation:
        return QByteArrayLiteral("DELETE");
    case QNetworkAccessManager::CustomOperation:
        return request.attribute(QNetworkRequest::CustomVerbAttribute).toByteArray();
    case QNetworkAccessManager::UnknownOperation:
        break;
    }
    return {};
}

bool isIdempotentMethod(const QByteArray &method)
{
    // Methods are case-sensitive (RFC 9110 §9.1).
    static const std::array<QByteArray, 6> idempotent
            = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"};
    return std::find(idempotent.begin(), idempotent.end(), method) != idempotent.end();
}

bool isFollowableRedirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

RedirectRewrite rewriteForRedirect(int status, const QByteArray &method)
{
    switch (status) {
    case 301:
    case 302:
        if (method == "POST")
            return {QByteArrayLiteral("GET"), false};
        return {method, true};
    case 303:
        if (method == "HEAD")
            return {method, false};
        return {QByteArrayLiteral("GET"), false};
    default:
        return {method, true};
    }
}

bool challengeAllowsRetry(const QByteArray &wwwAuthenticate, bool retryOnBare)
{
    if (wwwAuthenticate.trimmed().isEmpty())
        return retryOnBare;
    // Bearer (RFC 6750 §3) or DPoP (RFC 9449 §7.1): the schemes our tokens go with;
    // someone else's scheme (Basic, Negotiate...) is not ours to answer.
    const ResourceChallenge challenge = parseResourceChallenge(wwwAuthenticate);
    // RFC 6750 §3.1: a new token of the same scope would not help. RFC 9470
    // §3: nor would one of the same authentication; the user must sign in
    // again (Session::stepUp()), so a refresh here would only loop.
    return challenge.present && !challenge.isInsufficientScope() && !challenge.isStepUp();
}

Error challengeError(int status, const QByteArray &wwwAuthenticate)
{
    if (status != 401 && status != 403)
        return Error::NoError;
    const ResourceChallenge challenge = parseResourceChallenge(wwwAuthenticate);
    if (challenge.isStepUp() && status == 401)
        return Error::StepUpRequired;
    if (challenge.isInsufficientScope())
        return Error::InsufficientScope;
    return Error::NoError;
}

Decision401 decideOn401(const Unauthorized401 &facts, const QByteArray &method)
{
    using Action = Decision401::Action;
    if (!facts.sentWithToken)
        return {};
    if (!challengeAllowsRetry(facts.wwwAuthenticate, facts.retryOnBare401))
        return {};
    if (facts.alreadyRetried)
        return {}; // the retry was rejected too: that is the answer (no loops)
    if (!facts.bodyReplayable)
        return {Action::RenewAndDeliver,
                QStringLiteral("The access token was rejected; the request was not retried "
                               "because its body cannot be sent again (a sequential QIODevice, "
                               "or larger than the replay limit).")};
    if (!facts.methodReplayable)
        return {Action::RenewAndDeliver,
                QStringLiteral("The access token was rejected; the request was not retried "
                               "because ")
                        + QString::fromLatin1(method)
                        + QStringLiteral(" is not idempotent (send an Idempotency-Key header or "
                                         "opt in to retries, see docs/networking.md).")};
    return {Action::RefreshAndRetry, {}};
}

QNetworkReply::NetworkError networkErrorFor(Error error)
{
    switch (error) {
    case Error::NoError:
        return QNetworkReply::NoError;
    case Error::InvalidGrant:
    case Error::InvalidClient:
    case Error::UnauthorizedClient:
    case Error::AccessDenied:
    case Error::InvalidScope:
    case Error::NotSignedIn:
    case Error::ReauthenticationRequired:
    case Error::AccountMismatch:
    case Error::DPoPKeyMissing:
        return QNetworkReply::AuthenticationRequiredError;
    case Error::ServerError:
    case Error::TemporarilyUnavailable:
    case Error::RateLimited:
        return QNetworkReply::ServiceUnavailableError;
    case Error::NetworkError:
        return QNetworkReply::TemporaryNetworkFailureError;
    case Error::Timeout:
        return QNetworkReply::TimeoutError;
    case Error::MalformedResponse:
    case Error::IdTokenRejected:
    case Error::IssuerMismatch:
    case Error::ResponseTooLarge:
    case Error::UnexpectedContentType:
    case Error::UnsupportedTokenType:
        return QNetworkReply::UnknownServerError;
    case Error::InvalidRequest:
    case Error::UnsupportedGrantType:
        return QNetworkReply::ProtocolInvalidOperationError;
    case Error::InsecureTransport:
        return QNetworkReply::ProtocolUnknownError;
    case Error::InvalidConfiguration:
    case Error::InvalidTarget:
        return QNetworkReply::ProtocolInvalidOperationError;
    case Error::Cancelled:
        return QNetworkReply::OperationCanceledError;
    case Error::RequestNotReplayable:
    case Error::StepUpRequired:
        return QNetworkReply::AuthenticationRequiredError;
    case Error::InsufficientScope:
        return QNetworkReply::ContentAccessDenied;
    case Error::StorageUnavailable:
    case Error::StorageLocked:
    case Error::StorageAccessDenied:
    case Error::StorageTooLarge:
    case Error::StorageTimeout:
    case Error::StorageFailed:
    case Error::StorageBackendChanged:
    case Error::OperationInProgress:
    case Error::LockDirectoryUnsafe:
        break;
    }
    return QNetworkReply::UnknownNetworkError;
}

QString errorStringFor(Error error, const QString &message)
{
    const char *key = QMetaEnum::fromType<Error>().valueToKey(int(error));
    QString text = QStringLiteral("SecureTokens::Error::")
            + (key ? QString::fromLatin1(key) : QString::number(int(error)));
    if (!message.isEmpty())
        text += QStringLiteral(": ") + message;
    return text;
}

Error notReplayableError()
{
    return Error::RequestNotReplayable;
}

} // namespace SecureTokens
