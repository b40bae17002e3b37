// SPDX-License-Identifier: MIT
#include "authenticatedreply_p.h"

#include "core/invokelater.h"
#include "core/logging.h"
#include "requestpolicy_p.h"
#include "session/session_p.h"
#include "wwwauthenticate_p.h"

#include <securetokens/sessionconfig.h>

#include <QBuffer>

#include <algorithm>
#include <memory>

namespace SecureTokens {

namespace {

QNetworkAccessManager::Operation operationFor(const QByteArray &method, bool withBody)
{
    // Qt sends a body only with PUT, POST and custom verbs (sendCustomRequest).
    if (withBody)
        return method == "PUT"     ? QNetworkAccessManager::PutOperation
                : method == "POST" ? QNetworkAccessManager::PostOperation
                                   : QNetworkAccessManager::CustomOperation;
    if (method == "GET")
        return QNetworkAccessManager::GetOperation;
    if (method == "HEAD")
        return QNetworkAccessManager::HeadOperation;
    if (method == "PUT")
        return QNetworkAccessManager::PutOperation;
    if (method == "POST")
        return QNetworkAccessManager::PostOperation;
    if (method == "DELETE")
        return QNetworkAccessManager::DeleteOperation;
    return QNetworkAccessManager::CustomOperation;
}

// Header names as QByteArrayLiteral: Qt 6.4's lookups take a QByteArray, and
// one built from a string literal per call allocates.
const QByteArray authorizationHeader = QByteArrayLiteral("Authorization");
const QByteArray contentTypeHeader = QByteArrayLiteral("Content-Type");
const QByteArray contentLengthHeader = QByteArrayLiteral("Content-Length");

} // namespace

AuthenticatedReply::AuthenticatedReply(AuthenticatedNetworkAccessManager *manager, Session *session,
                                       QNetworkAccessManager::Operation op,
                                       const QNetworkRequest &request, QIODevice *outgoingData,
                                       const ReplyPolicy &policy, const OriginFacts &origin)
    : QNetworkReply(manager),
      m_manager(manager),
      m_session(session),
      m_policy(policy),
      m_original(request),
      m_originalOrigin(origin.origin),
      m_originalInsecure(origin.insecure),
      m_resource(origin.resource),
      m_method(methodOf(op, request)),
      m_appSetBodyHeaders(request.hasRawHeader(contentTypeHeader)
                          || request.hasRawHeader(contentLengthHeader)),
      m_appSetAuthorization(request.hasRawHeader(authorizationHeader)),
      m_appSetAutoDelete(
              request.attribute(QNetworkRequest::AutoDeleteReplyOnFinishAttribute).isValid()),
      m_currentUrl(request.url())
{
    setRequest(request);
    setUrl(request.url());
    setOperation(op);
    QIODevice::open(QIODevice::ReadOnly);

    const QVariant policyAttribute = request.attribute(QNetworkRequest::RedirectPolicyAttribute);
    m_redirectPolicy = policyAttribute.isValid()
            ? QNetworkRequest::RedirectPolicy(policyAttribute.toInt())
            : manager->redirectPolicy();
    // Qt's default is 50 hops; the SDK follows at most 10 (fewer when the request asks).
    m_maxRedirects = std::min(request.maximumRedirectsAllowed(), 10);

    if (outgoingData) {
        m_sendBody = true;
        // post(QByteArray) hands over a QBuffer: seekable, size known. Such a
        // body is copied (implicitly shared, no deep copy for QBuffer) so it
        // can be sent again; anything else can be read only once.
        const qint64 remaining = outgoingData->size() - outgoingData->pos();
        if (outgoingData->isOpen() && outgoingData->isReadable() && !outgoingData->isSequential()
            && remaining <= m_policy.maxReplayBodySize) {
            m_body = outgoingData->readAll();
        } else {
            m_replayable = false;
            m_oneShotBody = outgoingData;
        }
    }
}

AuthenticatedReply::~AuthenticatedReply()
{
    ++m_ticket;
    // Out of the manager's children before the inner reply goes: both are
    // its children, this one first, and Qt's list drops its first element
    // for free but moves the whole rest for the second. With 1 000 replies
    // in flight that move was some 5 000 instructions a request.
    if (parent())
        setParent(nullptr);
    QNetworkReply *inner = m_inner;
    if (!inner || !inner->isFinished()) {
        detachInner(true); // abort() emits finished(): disconnect first
        return;
    }
    // A finished inner reply emits nothing more, and QObject's destructor
    // cuts this reply's connections anyway: no disconnect() (a walk over all
    // of the inner reply's connections). It is deleted at once, saving a
    // posted event, unless this destructor runs inside a signal of an inner
    // reply (the application deleted this reply in a slot instead of calling
    // deleteLater()): Qt's reply may still touch itself after emitting.
    m_inner = nullptr;
    if (InnerSignalScope::active())
        inner->deleteLater();
    else
        delete inner;
}

SessionPrivate *AuthenticatedReply::sessionPrivate() const
{
    return AuthenticatedNetworkAccessManagerPrivate::sessionPrivate(m_session);
}

bool AuthenticatedReply::insecureTransportTo(const QUrl &url) const
{
    if (m_redirects == 0)
        return m_originalInsecure; // url is the original one
    return m_manager->d_func()->factsFor(url).insecure;
}

void AuthenticatedReply::start()
{
    if (m_originalInsecure) {
        // RFC 6750 §5.3, RFC 6749 §10.3: bearer tokens only over TLS. Refused
        // here, before any DNS lookup or connection (loopback excepted).
        failLater(ErrorInfo::make(Error::InsecureTransport,
                                  QStringLiteral("A bearer token may not be sent over plain http "
                                                 "to a host that is not a loopback address.")));
        return;
    }
    if (!m_session) {
        failLater(ErrorInfo::make(Error::NotSignedIn, QStringLiteral("The session is gone.")));
        return;
    }
    sendWithToken(m_currentUrl);
}

void AuthenticatedReply::sendWithToken(const QUrl &url)
{
    SessionPrivate *d = sessionPrivate();
    if (!d) {
        failWith(ErrorInfo::make(Error::NotSignedIn, QStringLiteral("The session is gone.")));
        return;
    }
    const quint64 ticket = ++m_ticket;
    if (m_resource < 0 ? d->canSendNow() : d->readyToSend(m_resource)) {
        // The common case goes out at once rather than one event-loop turn
        // later: nothing here can fail synchronously (start() has checked the
        // transport, the token is there), so the caller still sees every
        // signal after createRequest() has returned.
        sendAttempt(url, true);
        return;
    }
    d->withUsableToken(m_resource, this, [this, ticket, url](const ErrorInfo &error) {
        if (ticket != m_ticket || m_done)
            return;
        if (error.isError()) {
            // A renewal that failed transiently (5xx, network) does not make a
            // token that is still valid useless: use it rather than fail.
            SessionPrivate *d = sessionPrivate();
            if (error.isTransient() && d && d->hasUsableAccessToken(m_resource)) {
                sendAttempt(url, true);
                return;
            }
            failWith(error);
            return;
        }
        sendAttempt(url, true);
    });
}

QNetworkRequest AuthenticatedReply::innerRequest(const QUrl &url, const QByteArray &bearer,
                                                 QNetworkAccessManager::Operation op,
                                                 bool noAutoDelete) const
{
    // Only what differs from the application's request is changed: each
    // setter on a copied QNetworkRequest costs a lookup or a detach.
    QNetworkRequest request = m_original;
    if (m_redirects != 0)
        request.setUrl(url);
    // The SDK follows redirects itself so that it decides where the token goes.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    // This reply deletes its inner replies; Qt must not (the application's
    // attribute, or the manager's setting, would otherwise apply to them).
    if (noAutoDelete)
        request.setAttribute(QNetworkRequest::AutoDeleteReplyOnFinishAttribute, false);
    if (op == QNetworkAccessManager::CustomOperation)
        request.setAttribute(QNetworkRequest::CustomVerbAttribute, m_method);
    if (!m_sendBody && m_appSetBodyHeaders) {
        // After a 303 (or 301/302 for POST) the body and its description are gone.
        request.setHeader(QNetworkRequest::ContentTypeHeader, QVariant());
        request.setHeader(QNetworkRequest::ContentLengthHeader, QVariant());
    }
    // Whatever Authorization the application put there, the SDK decides.
    if (!bearer.isEmpty())
        request.setRawHeader(authorizationHeader, bearer);
    else if (m_appSetAuthorization)
        request.setRawHeader(authorizationHeader, QByteArray());
    return request;
}

void AuthenticatedReply::sendAttempt(const QUrl &url, bool withBearer)
{
    if (m_done)
        return;
    if (!m_manager) {
        failWith(ErrorInfo::make(Error::Cancelled, QStringLiteral("The manager is gone.")));
        return;
    }
    AuthenticatedNetworkAccessManagerPrivate *md = m_manager->d_func();
    std::shared_ptr<const QByteArray> bearer;
    if (withBearer) {
        SessionPrivate *d = sessionPrivate();
        if (!d || d->accessToken(m_resource).isEmpty()) {
            failWith(ErrorInfo::make(Error::NotSignedIn,
                                     QStringLiteral("There is no access token.")));
            return;
        }
        if (insecureTransportTo(url)) {
            failWith(ErrorInfo::make(Error::InsecureTransport,
                                     QStringLiteral("A bearer token may not be sent over plain "
                                                    "http to a non-loopback host.")));
            return;
        }
        // The manager's value for this token, shared rather than built again
        // (Qt's request and HTTP stack hold a reference until the request is
        // done). This reply keeps it alive until it is destroyed, after its
        // inner reply (see m_bearer); the last owner wipes it in place
        // (bearerValue()).
        bearer = md->bearerValue(d, m_resource);
        m_sentGeneration = d->generation(m_resource);
    }
    const QNetworkAccessManager::Operation op = operationFor(m_method, m_sendBody);
    const bool noAutoDelete = m_appSetAutoDelete || m_manager->autoDeleteReplies();
    QIODevice *device = nullptr;
    QBuffer *buffer = nullptr;
    if (m_sendBody) {
        if (m_replayable) {
            buffer = new QBuffer;
            buffer->setData(m_body);
            buffer->open(QIODevice::ReadOnly);
            device = buffer;
        } else if (!m_oneShotUsed && m_oneShotBody) {
            device = m_oneShotBody;
            m_oneShotUsed = true;
        } else {
            finishNow(ContentReSendError, tr("The request body cannot be sent a second time."));
            return;
        }
    }
    QNetworkReply *inner = nullptr;
    {
        // A first attempt like the manager's previous one (typically the same
        // QNetworkRequest again, which compares as one pointer) shares that
        // one's inner request instead of building it again. Initialized in
        // one go: a default-constructed QNetworkRequest allocates.
        InnerRequestCache &cache = md->innerRequestCache;
        const bool cacheable = withBearer && m_redirects == 0;
        const bool cached = cacheable
                && cache.matches(m_original, m_method, m_sendBody, noAutoDelete, m_sentGeneration);
        QNetworkRequest request = cached
                ? cache.inner
                : innerRequest(url, bearer ? *bearer : QByteArray(), op, noAutoDelete);
        if (cacheable && !cached)
            cache = {m_original, request,      m_method, m_sentGeneration,
                     m_sendBody, noAutoDelete, true};
        // A DPoP proof is made for one request (a new jti, RFC 9449 §4.2):
        // added after the request went into the cache, to this copy only
        // (setRawHeader() detaches it from the cached one).
        if (withBearer && sessionPrivate() && sessionPrivate()->accessTokenIsDpop(m_resource)) {
            const QByteArray proof = sessionPrivate()->tokenEndpoint().dpopProof(
                    m_method, url, sessionPrivate()->accessTokenAth(m_resource));
            if (!proof.isEmpty())
                request.setRawHeader(QByteArrayLiteral("DPoP"), proof);
        }
        inner = m_manager->createUnauthenticatedRequest(op, request, device);
    } // our copy of the header goes; Qt's remain
    // Held by this reply rather than by a connection to the inner reply's
    // destroyed(): a previous attempt's value may go now (its inner reply
    // has finished and sends nothing more), this one when the reply does.
    if (bearer)
        m_bearer = std::move(bearer);
    if (buffer)
        buffer->setParent(inner);
    m_innerHadBearer = withBearer;
    attach(inner);
}

void AuthenticatedReply::detachInner(bool abortIt)
{
    QNetworkReply *inner = m_inner;
    m_inner = nullptr;
    if (!inner)
        return;
    inner->disconnect(this);
    if (abortIt && !inner->isFinished())
        inner->abort();
    inner->deleteLater();
}

bool AuthenticatedReply::bodyReplayable() const
{
    return !m_sendBody || m_replayable;
}

bool AuthenticatedReply::methodAllowsReplay() const
{
    // RFC 9110 §9.2.2: only idempotent requests may be repeated automatically;
    // an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) or an
    // explicit opt-in makes a POST/PATCH safe to repeat.
    return isIdempotentMethod(m_method) || m_original.hasRawHeader("Idempotency-Key")
            || m_policy.retryNonIdempotent
            || m_original.attribute(RetryNonIdempotentAttribute).toBool();
}

void AuthenticatedReply::decide()
{
    if (m_disposition != Disposition::Undecided || !m_inner)
        return;
    m_disposition = Disposition::Forward;
    const int status = m_inner->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0)
        return; // no HTTP answer: a network error, shown as is

    if (isFollowableRedirect(status) && m_redirectPolicy != QNetworkRequest::ManualRedirectPolicy
        && m_inner->hasRawHeader("Location")) {
        m_disposition = Disposition::FollowRedirect;
        return;
    }
    // RFC 9449 §9: a resource server hands out its nonce with any answer, and
    // asks for it with a 401 DPoP challenge, use_dpop_nonce: the same token is
    // sent once more with a proof carrying the nonce, without a refresh.
    SessionPrivate *d = m_innerHadBearer ? sessionPrivate() : nullptr;
    if (d && d->accessTokenIsDpop(m_resource)) {
        const QByteArray nonce = m_inner->rawHeader("DPoP-Nonce");
        const bool noted = !nonce.isEmpty()
                && d->tokenEndpoint().dpopServers().noteNonce(
                        TokenEndpointClient::dpopOrigin(m_inner->url()), nonce);
        if (status == 401 && noted && !m_nonceRetried && bodyReplayable() && methodAllowsReplay()) {
            const QList<AuthChallenge> challenges
                    = parseWwwAuthenticate(m_inner->rawHeader("WWW-Authenticate"));
            const bool askedForNonce
                    = std::any_of(challenges.begin(), challenges.end(), [](const AuthChallenge &c) {
                          return c.isScheme("DPoP") && c.param("error") == "use_dpop_nonce";
                      });
            if (askedForNonce) {
                m_nonceRetried = true;
                m_disposition = Disposition::RetryWithNonce;
                return;
            }
        }
    }
    if (m_innerHadBearer)
        noteChallenge(status);
    if (status != 401)
        return;
    Unauthorized401 facts;
    facts.sentWithToken = m_innerHadBearer;
    facts.alreadyRetried = m_retried;
    facts.wwwAuthenticate = m_inner->rawHeader("WWW-Authenticate");
    facts.retryOnBare401 = m_policy.retryOnBare401;
    facts.bodyReplayable = bodyReplayable();
    facts.methodReplayable = methodAllowsReplay();
    const Decision401 decision = decideOn401(facts, m_method);
    switch (decision.action) {
    case Decision401::Action::Deliver:
        return;
    case Decision401::Action::RenewAndDeliver:
        // Not retried, but the token was rejected: renew it (shared, single
        // flight) so that the application's own resend finds a fresh one.
        if (SessionPrivate *d = sessionPrivate())
            d->onUnauthorized(m_resource, m_sentGeneration, m_session, [](const ErrorInfo &) {});
        m_annotation = notReplayableError();
        m_annotationText = decision.reason;
        return;
    case Decision401::Action::RefreshAndRetry:
        m_disposition = Disposition::RetryAfter401;
        return;
    }
}

void AuthenticatedReply::onInnerMetaDataChanged()
{
    if (sender() != m_inner)
        return;
    const InnerSignalScope scope;
    decide();
    if (m_disposition != Disposition::Forward)
        return;
    forwardMetaData();
    Q_EMIT metaDataChanged();
}

void AuthenticatedReply::onInnerReadyRead()
{
    if (sender() != m_inner)
        return;
    const InnerSignalScope scope;
    decide();
    if (m_disposition != Disposition::Forward)
        return; // a held 401 or a redirect: its body stays in the inner reply
    if (!m_metaForwarded) {
        forwardMetaData();
        Q_EMIT metaDataChanged();
        if (m_done || !m_inner)
            return;
    }
    Q_EMIT readyRead();
}

void AuthenticatedReply::onInnerFinished()
{
    if (sender() != m_inner)
        return;
    const InnerSignalScope scope;
    decide();
    switch (m_disposition) {
    case Disposition::FollowRedirect:
        followRedirect();
        return;
    case Disposition::RetryAfter401:
        retryAfter401();
        return;
    case Disposition::RetryWithNonce:
        qCDebug(lcNetwork) << "DPoP nonce requested; sending once more with it";
        m_inner->disconnect(this);
        detachInner(false);
        sendAttempt(m_currentUrl, true);
        return;
    case Disposition::Undecided:
    case Disposition::Forward:
        break;
    }
    QNetworkReply *inner = m_inner;
    if (!m_metaForwarded && inner->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid()) {
        forwardMetaData();
        Q_EMIT metaDataChanged();
        if (m_done || !m_inner)
            return;
    }
    QNetworkReply::NetworkError code = inner->error();
    // errorString() of a reply without error is a translation lookup
    // ("Unknown error") that finishNow() would not use.
    QString text = code != NoError ? inner->errorString() : QString();
    if (m_annotation != Error::NoError) {
        setErrorAttributes(m_challenge.isError() ? m_challenge
                                                 : ErrorInfo::make(m_annotation, m_annotationText));
        text = errorStringFor(m_annotation, m_annotationText);
    }
    finishNow(code, text);
}

void AuthenticatedReply::followRedirect()
{
    QNetworkReply *inner = m_inner;
    const int status = inner->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QUrl location = QUrl::fromEncoded(inner->rawHeader("Location"));
    const QUrl from = inner->url();
    const QUrl target = from.resolved(location);
    detachInner(false);

    const QString scheme = target.scheme().toLower();
    if (!target.isValid()
        || (scheme != QLatin1String("http") && scheme != QLatin1String("https"))) {
        finishNow(ProtocolUnknownError, tr("Redirect to an unsupported URL scheme."));
        return;
    }
    if (++m_redirects > m_maxRedirects) {
        finishNow(TooManyRedirectsError, tr("Too many redirects."));
        return;
    }
    const bool sameOrigin
            = m_manager && m_manager->d_func()->factsFor(target).origin == m_originalOrigin;
    switch (m_redirectPolicy) {
    case QNetworkRequest::NoLessSafeRedirectPolicy:
        if (from.scheme().toLower() == QLatin1String("https") && scheme == QLatin1String("http")) {
            finishNow(InsecureRedirectError, tr("Redirect from https to http refused."));
            return;
        }
        break;
    case QNetworkRequest::SameOriginRedirectPolicy:
        if (originOf(target) != originOf(from)) {
            finishNow(InsecureRedirectError, tr("Redirect to another origin refused."));
            return;
        }
        break;
    case QNetworkRequest::ManualRedirectPolicy:
    case QNetworkRequest::UserVerifiedRedirectPolicy:
        break;
    }

    const RedirectRewrite rewrite = rewriteForRedirect(status, m_method);
    if (rewrite.keepBody && m_sendBody && !m_replayable) {
        finishNow(ContentReSendError,
                  tr("The redirect needs the request body again, but it cannot be replayed."));
        return;
    }
    m_method = rewrite.method;
    if (!rewrite.keepBody)
        m_sendBody = false;

    // RFC 9700 §4.11 (open redirection), RFC 9110 §15.4: credentials never
    // follow a redirect to another origin; once the chain has left the
    // origin it stays token-free, even if a foreign server sends it back.
    if (!sameOrigin) {
        if (m_tokenMayFollow)
            qCDebug(lcNetwork) << "cross-origin redirect: Authorization dropped";
        m_tokenMayFollow = false;
    }
    const bool withBearer = m_tokenMayFollow;
    m_currentUrl = target;
    auto proceed = [this, target, withBearer] {
        if (m_done)
            return;
        if (withBearer)
            sendWithToken(target);
        else
            sendAttempt(target, false);
    };
    if (m_redirectPolicy == QNetworkRequest::UserVerifiedRedirectPolicy) {
        // As in Qt: the application allows the hop by emitting redirectAllowed().
        connect(this, &QNetworkReply::redirectAllowed, this, proceed, Qt::SingleShotConnection);
        Q_EMIT redirected(target);
        return;
    }
    Q_EMIT redirected(target);
    proceed();
}

void AuthenticatedReply::retryAfter401()
{
    // The 401 stays held (unseen) in m_inner until the refresh has answered.
    m_inner->disconnect(this);
    m_retried = true;
    SessionPrivate *d = sessionPrivate();
    if (!d) {
        deliverHeld401(ErrorInfo::make(Error::NotSignedIn, QStringLiteral("The session is gone.")));
        return;
    }
    qCDebug(lcNetwork) << "access token rejected; retrying once after the shared refresh";
    const quint64 ticket = ++m_ticket;
    d->onUnauthorized(m_resource, m_sentGeneration, this, [this, ticket](const ErrorInfo &error) {
        if (ticket != m_ticket || m_done)
            return;
        if (error.isError()) {
            deliverHeld401(error);
            return;
        }
        detachInner(false);
        sendAttempt(m_currentUrl, true);
    });
}

void AuthenticatedReply::deliverHeld401(const ErrorInfo &error)
{
    m_disposition = Disposition::Forward;
    if (!m_inner) {
        failWith(error);
        return;
    }
    forwardMetaData();
    Q_EMIT metaDataChanged();
    if (m_done || !m_inner)
        return;
    if (m_inner->bytesAvailable() > 0) {
        Q_EMIT readyRead();
        if (m_done)
            return;
    }
    setErrorAttributes(error);
    finishNow(networkErrorFor(error.code),
              errorStringFor(error.code,
                             QStringLiteral("The access token was rejected and could not be "
                                            "renewed: ")
                                     + error.message));
}

void AuthenticatedReply::failWith(const ErrorInfo &error)
{
    if (m_done)
        return;
    detachInner(true);
    setErrorAttributes(error);
    finishNow(networkErrorFor(error.code), errorStringFor(error.code, error.message));
}

void AuthenticatedReply::failLater(const ErrorInfo &error)
{
    // Outcomes are never signalled inside get()/post(): the caller connects first.
    invokeLater(this, [this, error] { failWith(error); });
}

void AuthenticatedReply::finishNow(NetworkError code, const QString &text)
{
    if (m_done)
        return;
    m_done = true;
    ++m_ticket;
    if (code != NoError)
        setError(code, text);
    setFinished(true);
    if (code != NoError)
        Q_EMIT errorOccurred(code);
    Q_EMIT finished(); // last: a slot may delete this reply
}

void AuthenticatedReply::abort()
{
    if (m_done)
        return;
    detachInner(true);
    QNetworkReply::close();
    finishNow(OperationCanceledError, tr("Operation canceled"));
}

void AuthenticatedReply::close()
{
    if (!m_done) {
        abort();
        return;
    }
    QNetworkReply::close();
}

} // namespace SecureTokens
