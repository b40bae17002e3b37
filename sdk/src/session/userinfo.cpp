// SPDX-License-Identifier: MIT
// The session's UserInfo request (OpenID Connect Core §5.3): sent with the
// access token, checked against the verified ID token's subject, merged into
// the claims and written back into the account's secure record.
#include "userinfo_p.h"

#include "endpointcheck_p.h"
#include "publicdocument_p.h"
#include "session_p.h"

#include "core/invokelater.h"
#include "core/logging.h"
#include "storage/crossprocesslock.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

namespace SecureTokens {

ErrorInfo parseUserInfo(QByteArrayView body, const QString &verifiedSubject, QVariantMap *out)
{
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(body.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !json.isObject())
        return ErrorInfo::make(Error::MalformedResponse,
                               QStringLiteral("The userinfo answer is not a JSON object (signed "
                                              "or encrypted answers are not supported)."));
    const QJsonObject object = json.object();
    const QJsonValue sub = object.value(QLatin1String("sub"));
    if (!sub.isString() || sub.toString().isEmpty())
        return ErrorInfo::make(Error::MalformedResponse,
                               QStringLiteral("The userinfo answer has no \"sub\"."));
    // Core §5.3.2: "if they do not match, the UserInfo Response values MUST
    // NOT be used" (a token substitution, or the wrong user's answer).
    if (sub.toString() != verifiedSubject)
        return ErrorInfo::make(Error::IdTokenRejected,
                               QStringLiteral("The userinfo answer is for another subject than "
                                              "the verified ID token (OpenID Connect Core "
                                              "§5.3.2); it was not used."));
    *out = object.toVariantMap();
    return {};
}

QVariantMap mergeUserInfo(const QVariantMap &verified, const QVariantMap &userInfo)
{
    QVariantMap merged = userInfo;
    for (auto it = verified.cbegin(); it != verified.cend(); ++it)
        merged.insert(it.key(), it.value());
    return merged;
}

void SessionPrivate::startUserInfo(bool byApplication)
{
    Q_Q(Session);
    m_userInfoReportsError = m_userInfoReportsError || byApplication;
    if (m_userInfoInFlight)
        return; // joins: the answer under way is reported once, to both
    ErrorInfo refusal;
    if (!q->isSignedIn())
        refusal = ErrorInfo::make(Error::NotSignedIn,
                                  QStringLiteral("There is no session to ask userinfo for."));
    else if (m_config.userinfoEndpoint.isEmpty())
        refusal = ErrorInfo::make(Error::InvalidConfiguration,
                                  QStringLiteral("The provider has no userinfo endpoint "
                                                 "(SessionConfig::userinfoEndpoint)."));
    else if (m_subject.isEmpty())
        refusal = ErrorInfo::make(Error::InvalidConfiguration,
                                  QStringLiteral("There is no verified ID token to check a "
                                                 "userinfo answer against: sign in with the "
                                                 "\"openid\" scope."));
    else
        refusal = checkEndpoint(m_config.userinfoEndpoint, u"userinfo endpoint");
    m_userInfoInFlight = true;
    const quint64 epoch = m_epoch;
    if (refusal.isError()) {
        invokeLater(q, [this, epoch, refusal] { finishUserInfo(epoch, refusal, {}); });
        return;
    }
    // A token fresh from a sign-in that the endpoint refuses is not mended
    // by renewing it (a provider that refuses audience-bound tokens there):
    // only a request the application asks for gets the refresh and retry.
    sendUserInfo(epoch, !byApplication);
}

void SessionPrivate::sendUserInfo(quint64 epoch, bool retried, bool nonceRetried)
{
    Q_Q(Session);
    withUsableToken(q, [this, q, epoch, retried, nonceRetried](const ErrorInfo &tokenError) {
        if (epoch != m_epoch)
            return;
        if (tokenError.isError()) {
            finishUserInfo(epoch, tokenError, {});
            return;
        }
        // Core §5.3.1: the access token as a bearer token (RFC 6750 §2.1).
        // Same transport rules as the token endpoint: no redirects, no
        // cookies, a deadline and a size cap.
        // A DPoP-bound token goes with the DPoP scheme and a proof (RFC 9449 §7.1).
        const bool dpop = accessTokenIsDpop();
        QByteArray authorization = dpop ? QByteArrayLiteral("DPoP ") : QByteArrayLiteral("Bearer ");
        authorization.append(m_accessToken.view());
        const QByteArray proof = dpop
                ? m_client.dpopProof("GET", m_config.userinfoEndpoint, m_accessTokenAth)
                : QByteArray();
        const quint64 generation = m_generation;
        // RFC 9449 §9: the endpoint hands out its own nonce, and asks for it
        // with a 401 (use_dpop_nonce) that carries it in DPoP-Nonce.
        const QString origin = TokenEndpointClient::dpopOrigin(m_config.userinfoEndpoint);
        const auto newNonce = std::make_shared<bool>(false);
        QNetworkReply *reply = fetchPublicDocument(
                m_nam, m_config.userinfoEndpoint, m_config.maxResponseBytes,
                m_config.requestTimeout, q,
                [this, q, epoch, retried, nonceRetried, generation,
                 newNonce](ErrorInfo error, const QByteArray &body) {
                    if (epoch != m_epoch)
                        return;
                    if (error.httpStatus == 401 && *newNonce && !nonceRetried) {
                        // Answered by one resend with that nonce, not by a
                        // refresh: a new access token would not bring it.
                        sendUserInfo(epoch, retried, true);
                        return;
                    }
                    if (error.httpStatus == 401 && !retried) {
                        // RFC 6750 §3.1 invalid_token: one shared refresh and
                        // one retry, as for API requests.
                        onUnauthorized(generation, q, [this, epoch](const ErrorInfo &refresh) {
                            if (epoch != m_epoch)
                                return;
                            if (refresh.isError())
                                finishUserInfo(epoch, refresh, {});
                            else
                                sendUserInfo(epoch, true);
                        });
                        return;
                    }
                    if (error.httpStatus == 401 || error.httpStatus == 403) {
                        // Some providers refuse an audience-bound token there
                        // (Auth0 with an API audience): say so, keep the session.
                        error.message = QStringLiteral("The userinfo endpoint refused the access "
                                                       "token (HTTP %1).")
                                                .arg(error.httpStatus);
                    }
                    QVariantMap answer;
                    if (!error.isError())
                        error = parseUserInfo(body, m_subject, &answer);
                    finishUserInfo(epoch, error, answer);
                },
                nullptr, authorization, proof);
        if (reply && dpop) {
            const QByteArray sentNonce = m_client.dpopServers().nonce(origin);
            QObject::connect(reply, &QNetworkReply::metaDataChanged, reply,
                             [this, reply, origin, sentNonce, newNonce] {
                                 const QByteArray nonce = reply->rawHeader("DPoP-Nonce");
                                 *newNonce = !nonce.isEmpty() && nonce != sentNonce
                                         && m_client.dpopServers().noteNonce(origin, nonce);
                             });
        }
        secureWipe(authorization);
    });
}

void SessionPrivate::finishUserInfo(quint64 epoch, ErrorInfo error, const QVariantMap &answer)
{
    Q_Q(Session);
    if (epoch != m_epoch)
        return;
    const bool reportsError = m_userInfoReportsError;
    m_userInfoReportsError = false;
    if (error.isError()) {
        m_userInfoInFlight = false;
        qCInfo(lcSession) << "userinfo failed:" << error;
        error.operation = SessionOperation::UserInfo;
        error.sessionKept = !m_record.refreshToken.isEmpty() || !m_accessToken.isEmpty();
        if (reportsError)
            emitError(error, SessionOperation::UserInfo);
        Q_EMIT q->userInfoFailed(error);
        return;
    }
    const QVariantMap merged = mergeUserInfo(m_idTokenClaims, answer);
    const auto received = [this, q, epoch, answer] {
        if (epoch != m_epoch)
            return; // signed out meanwhile: reported as Cancelled already
        m_userInfoInFlight = false;
        Q_EMIT q->userInfoReceived(answer);
    };
    if (merged == m_idTokenClaims) {
        received();
        return;
    }
    m_record.claimsJson
            = QJsonDocument(QJsonObject::fromVariantMap(merged)).toJson(QJsonDocument::Compact);
    m_idTokenClaims = merged;
    Q_EMIT q->userChanged();
    if (m_record.refreshToken.isEmpty()) {
        received(); // nothing stored to add them to
        return;
    }
    // Stored before it is announced, so that a process that exits on
    // userInfoReceived() (the CLI's login) leaves them in the record.
    persistClaims(m_record.claimsJson, received);
}

void SessionPrivate::persistClaims(const QByteArray &claims, std::function<void()> then)
{
    Q_Q(Session);
    // Read, change, write under the refresh lock (a second lock object in
    // this process excludes the Session's own, as another process's does):
    // the stored record may hold a refresh token rotated since we read it,
    // and only its claims may change here. One userinfo request at a time,
    // so one write at a time.
    if (!m_claimsLock)
        m_claimsLock = std::make_unique<CrossProcessLock>(refreshLockNamespace(m_config),
                                                          m_config.account);
    const QString subject = m_subject;
    const quint64 epoch = m_epoch;
    const auto done = [this, then = std::move(then)](bool written) {
        m_claimsLock->release();
        if (!written)
            qCWarning(lcStorage) << "the userinfo claims were not stored";
        then();
    };
    m_claimsLock->acquire(
            m_config.requestTimeout + std::chrono::seconds(10), q,
            [this, q, subject, epoch, claims, done](bool acquired, const ErrorInfo &why) {
                if (!acquired || epoch != m_epoch) {
                    if (!acquired)
                        qCWarning(lcStorage) << "refresh lock:" << why;
                    done(epoch != m_epoch);
                    return;
                }
                m_store->read(m_config.account, q,
                              [this, subject, epoch, claims,
                               done](const SecretStore::Result &result, SecretBytes stored) {
                                  AccountRecord record;
                                  // A sign-out since the read was queued has
                                  // a removal queued before this write would be.
                                  const bool usable = epoch == m_epoch && result.ok()
                                          && !decodeAccountRecord(stored.view(), &record).isError()
                                          && !record.legacy
                                          && !checkAccountBinding(record, m_config).isError()
                                          && QJsonDocument::fromJson(record.claimsJson)
                                                          .object()
                                                          .value(QLatin1String("sub"))
                                                          .toString()
                                                  == subject;
                                  stored.clear();
                                  if (!usable) {
                                      // Signed out, or another user's sign-in
                                      // meanwhile: not ours to change.
                                      done(true);
                                      return;
                                  }
                                  record.claimsJson = claims;
                                  writeRecord(&record, [done](const SecretStore::Result &written) {
                                      done(written.ok());
                                  });
                              });
            });
}

bool Session::isFetchingUserInfo() const
{
    Q_D(const Session);
    return d->m_userInfoInFlight;
}

} // namespace SecureTokens
