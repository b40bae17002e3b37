// SPDX-License-Identifier: MIT
// Signing in again on top of a held session: step-up authentication (RFC 9470
// §4) and more scopes (incremental authorization). The old session serves
// requests until the new grant's record is stored; then the new record
// replaces it as one unit, under the refresh lock (docs/networking.md,
// "Step-up").
#include "session_p.h"

#include "dpopkeystore_p.h"

#include "core/invokelater.h"
#include "core/logging.h"
#include "storage/crossprocesslock.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace SecureTokens {

bool SessionPrivate::beginReauthentication(const ErrorInfo &configError, const QStringList &scopes)
{
    ErrorInfo refused = configError;
    const bool signedIn
            = m_state == Session::State::SignedIn || m_state == Session::State::Refreshing;
    if (!signedIn || m_signingOut)
        refused = ErrorInfo::make(Error::NotSignedIn,
                                  QStringLiteral("Step-up and more scopes need a signed-in "
                                                 "session; sign in first."));
    else if (m_reauthenticating)
        refused = ErrorInfo::make(Error::OperationInProgress,
                                  QStringLiteral("A sign-in for this session is already under "
                                                 "way."));
    if (refused.isError()) {
        emitErrorLater(refused, SessionOperation::SignIn);
        return false;
    }
    m_reauthenticating = true;
    m_reauthScopes = scopes;
    return true;
}

void SessionPrivate::finishReauthentication(const ErrorInfo &error, TokenResponse response,
                                            const QVariantMap &idTokenClaims)
{
    Q_Q(Session);
    m_reauthenticating = false;
    m_reauthReply = nullptr;
    ErrorInfo failure = error;
    // The same account, or none of it: a browser signed in as someone else
    // would otherwise swap the user under the application's feet.
    const QString subject = idTokenClaims.value(QStringLiteral("sub")).toString();
    if (!failure.isError() && !m_subject.isEmpty() && !subject.isEmpty() && subject != m_subject)
        failure = ErrorInfo::make(Error::AccountMismatch,
                                  QStringLiteral("The browser signed in another user than this "
                                                 "session's; the session is kept as it was."));
    if (failure.isError()) {
        // A grant that will not be used must not stay alive on the server.
        if (!response.refreshToken.isEmpty() && m_transport->canRevoke())
            m_transport->revoke(response.refreshToken, q, [](const ErrorInfo &) {});
        emitError(failure, SessionOperation::SignIn);
        return;
    }

    // The record of the new grant, built as a sign-in builds it. Without a
    // new refresh token (a provider that issues one only at first consent)
    // the old one stays: with incremental authorization it covers the whole
    // grant. Without an ID token the verified identity stays too.
    auto pending = std::make_shared<std::pair<AccountRecord, TokenResponse>>();
    AccountRecord &record = pending->first;
    bindAccountRecord(&record, m_config);
    if (const SecretBytes *secret = m_client.clientSecret())
        record.clientSecret = secret->clone();
    record.refreshToken = response.refreshToken.isEmpty() ? m_record.refreshToken.clone()
                                                          : std::move(response.refreshToken);
    if (const auto &key = m_client.dpopKey())
        Internal::storeDpopKey(*key, &record);
    if (!idTokenClaims.isEmpty()) {
        record.idToken = std::move(response.idToken);
        record.claimsJson = QJsonDocument(QJsonObject::fromVariantMap(idTokenClaims))
                                    .toJson(QJsonDocument::Compact);
    } else {
        record.idToken = m_record.idToken.clone();
        record.claimsJson = m_record.claimsJson;
    }
    // RFC 6749 §3.3: an answer without "scope" granted the scope requested.
    record.scope
            = response.scope.isEmpty() ? m_reauthScopes.join(QLatin1Char(' ')) : response.scope;
    pending->second = std::move(response);
    replaceRecord(m_epoch, pending);
}

void SessionPrivate::replaceRecord(
        quint64 epoch, const std::shared_ptr<std::pair<AccountRecord, TokenResponse>> &pending)
{
    Q_Q(Session);
    if (m_refreshInFlight) {
        // A refresh is rotating the old token: let it finish, then replace
        // what it stored (one writer of the record at a time).
        m_waiters.push_back({q, [this, epoch, pending](const ErrorInfo &) {
                                 if (epoch == m_epoch)
                                     replaceRecord(epoch, pending);
                             }});
        return;
    }
    // Requests wait for the new token meanwhile, and no refresh starts.
    m_refreshInFlight = true;
    m_refreshFor = SessionOperation::SignIn;
    const auto keepOld = [this, q, pending](const ErrorInfo &why) {
        m_refreshInFlight = false;
        if (m_transport->canRevoke()
            && pending->first.refreshToken.view() != m_record.refreshToken.view())
            m_transport->revoke(pending->first.refreshToken, q, [](const ErrorInfo &) {});
        emitError(why, SessionOperation::SignIn);
        releaseWaiters({});
    };
    // Another process of the application may be rotating the old token: the
    // record is rewritten under the refresh lock, like every rotation.
    const auto lockTimeout = m_config.requestTimeout + std::chrono::seconds(10);
    m_lock->acquire(
            lockTimeout, q,
            [this, q, epoch, pending, keepOld](bool acquired, const ErrorInfo &why) {
                if (epoch != m_epoch) {
                    m_lock->release();
                    return;
                }
                if (!acquired) {
                    keepOld(why);
                    return;
                }
                writeRecord(
                        &pending->first,
                        [this, q, epoch, pending, keepOld](const SecretStore::Result &result) {
                            if (epoch != m_epoch)
                                return;
                            m_lock->release();
                            if (!result.ok()) {
                                // Store before use: a grant that is not stored is not used.
                                // What the store holds now is unknown: write again later.
                                m_storeBehind = true;
                                keepOld(storageError(result,
                                                     QStringLiteral("The new sign-in could not be "
                                                                    "stored securely; the session "
                                                                    "is kept as it was.")));
                                return;
                            }
                            m_refreshInFlight = false;
                            adoptRecord(std::move(pending->first));
                            m_storeBehind = false;
                            setOffline(false);
                            resetBackoff();
                            installAccessToken(pending->second);
                            // The APIs' tokens came from the old grant (its
                            // sign-in, its scope): each is fetched anew.
                            wipeResourceTokens();
                            setState(Session::State::SignedIn);
                            qCInfo(lcSession) << "signed in again; the new grant replaced the old";
                            releaseWaiters({});
                            Q_EMIT q->reauthenticated();
                        });
            });
}

void SessionPrivate::noteStepUpChallenge(quint64 sentGeneration, const ErrorInfo &challenge)
{
    Q_Q(Session);
    // One signal per token and challenge: N requests refused together (or
    // one refused again and again before the user acted) are one question.
    StepUpSeen seen {sentGeneration, challenge.acrValues, challenge.maxAgeSeconds, true};
    if (m_stepUpSeen.any && m_stepUpSeen.generation == seen.generation
        && m_stepUpSeen.acrValues == seen.acrValues && m_stepUpSeen.maxAge == seen.maxAge)
        return;
    m_stepUpSeen = seen;
    qCInfo(lcSession) << "an API asks for step-up authentication (RFC 9470)";
    invokeLater(q, [q, acr = challenge.acrValues, maxAge = challenge.maxAgeSeconds] {
        Q_EMIT q->stepUpRequired(acr, maxAge);
    });
}

void SessionPrivate::noteScopeChallenge(int slot, quint64 sentGeneration,
                                        const ErrorInfo &challenge)
{
    Q_Q(Session);
    // RFC 6750 §3.1: the token lacks scope. One signal per token and scope
    // asked for: a storm of refused requests is one question to the app,
    // and never a refresh (requestpolicy's challengeAllowsRetry()).
    if (m_scopeSeen.any && m_scopeSeen.slot == slot && m_scopeSeen.generation == sentGeneration
        && m_scopeSeen.scopes == challenge.requiredScopes)
        return;
    m_scopeSeen = {slot, sentGeneration, challenge.requiredScopes, true};
    qCInfo(lcSession) << "an API asks for more scope (RFC 6750 §3.1)";
    invokeLater(q, [q, scopes = challenge.requiredScopes] { Q_EMIT q->scopeRequired(scopes); });
}

} // namespace SecureTokens
