// SPDX-License-Identifier: MIT
#include <securetokens/qml/sessioncontroller.h>
#include <securetokens/qml/sessionnetworkaccessmanagerfactory.h> // complete for unique_ptr

#include <QGuiApplication>
#include <QMetaEnum>

namespace SecureTokens::Qml {

// Qt 6.4's compiled QML bindings read an enum property into an int: a smaller
// enum leaves bytes of it undefined (the header says more).
static_assert(sizeof(SessionController::State) == sizeof(int));
static_assert(sizeof(SessionController::StoragePolicy) == sizeof(int));

namespace {

SessionController::State toQml(Session::State state)
{
    switch (state) {
    case Session::State::SignedOut:
        return SessionController::State::SignedOut;
    case Session::State::Restoring:
        return SessionController::State::Restoring;
    case Session::State::SigningIn:
        return SessionController::State::SigningIn;
    case Session::State::SignedIn:
        return SessionController::State::SignedIn;
    case Session::State::Refreshing:
        return SessionController::State::Refreshing;
    case Session::State::ReauthenticationRequired:
        return SessionController::State::ReauthenticationRequired;
    }
    return SessionController::State::SignedOut;
}

} // namespace

SessionController::SessionController(Session *session, QObject *parent) : QObject(parent)
{
    Q_ASSERT(session);
    follow(session);
}

void SessionController::follow(Session *session)
{
    m_session = session;
    connect(session, &Session::stateChanged, this, &SessionController::sync);
    connect(session, &Session::accessTokenChanged, this, &SessionController::sync);
    connect(session, &Session::userChanged, this, &SessionController::sync);
    connect(session, &Session::grantedScopesChanged, this, &SessionController::sync);
    connect(session, &Session::userInfoReceived, this, &SessionController::userInfoReceived);
    connect(session, &Session::offlineChanged, this, &SessionController::sync);
    connect(session, &Session::errorOccurred, this, &SessionController::onError);
    connect(session, &Session::signedOut, this, &SessionController::signedOut);
    connect(session, &Session::deviceCodeReady, this, &SessionController::onDeviceCode);
    connect(session, &Session::stepUpRequired, this, &SessionController::stepUpRequired);
    connect(session, &Session::scopeRequired, this, &SessionController::scopeRequired);
    connect(session, &Session::reauthenticated, this, &SessionController::reauthenticated);
    // A step-up or scope request ends without a state change (SignedIn throughout).
    connect(session, &Session::reauthenticated, this, &SessionController::endRedirectHandling);
    connect(session, &QObject::destroyed, this, &SessionController::sync);
    // The core has no QtGui: the app's lifecycle reaches the session from here
    // (a suspended app's timers hold; activation renews a token that is due).
    if (qobject_cast<QGuiApplication *>(QCoreApplication::instance()))
        connect(qGuiApp, &QGuiApplication::applicationStateChanged, session,
                &Session::setApplicationState);
    sync();
    m_lastError = session->lastError().code;
    m_lastErrorInfo = session->lastError();
}

SessionController::State SessionController::state() const
{
    return m_state;
}

QString SessionController::stateName() const
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(int(m_state)));
}

bool SessionController::isSignedIn() const
{
    return m_signedIn;
}

bool SessionController::isRefreshing() const
{
    return m_refreshing;
}

bool SessionController::isBusy() const
{
    return m_busy;
}

bool SessionController::isOffline() const
{
    return m_offline;
}

QString SessionController::subject() const
{
    return m_subject;
}

QVariantMap SessionController::claims() const
{
    return m_claims;
}

QStringList SessionController::grantedScopes() const
{
    return m_grantedScopes;
}

QDateTime SessionController::accessTokenExpiresAt() const
{
    return m_expiresAt;
}

QString SessionController::accessTokenFingerprint() const
{
    return m_fingerprint;
}

int SessionController::refreshCount() const
{
    return m_refreshCount;
}

QString SessionController::storageBackend() const
{
    return m_session ? m_session->storageBackend() : QString();
}

bool SessionController::hasError() const
{
    return m_lastError != Error::NoError;
}

QString SessionController::lastErrorCode() const
{
    if (m_lastError == Error::NoError)
        return {};
    return QString::fromLatin1(QMetaEnum::fromType<Error>().valueToKey(int(m_lastError)));
}

QString SessionController::lastErrorMessage() const
{
    return m_lastError == Error::NoError ? QString() : describe(m_lastErrorInfo);
}

bool SessionController::lastErrorTransient() const
{
    return m_lastError != Error::NoError && isTransient(m_lastError);
}

bool SessionController::isBrowserSignInAvailable() const
{
    // The core has no QtGui: browser sign-in needs the app's opener (QDesktopServices).
    return m_session && bool(m_session->config().openBrowser);
}

QString SessionController::deviceUserCode() const
{
    return m_deviceUserCode;
}

QUrl SessionController::deviceVerificationUri() const
{
    return m_deviceVerificationUri;
}

QUrl SessionController::deviceVerificationUriComplete() const
{
    return m_deviceVerificationUriComplete;
}

QDateTime SessionController::deviceCodeExpiresAt() const
{
    return m_deviceCodeExpiresAt;
}

Session *SessionController::session() const
{
    return m_session;
}

void SessionController::signIn(const QString &username, const QString &password)
{
    clearError();
    if (Session *s = ensureSession())
        s->signInWithPassword(username, password);
}

void SessionController::signInWithBrowser()
{
    clearError();
    if (Session *s = ensureSession()) {
        beginRedirectHandling();
        s->signInWithBrowser();
    }
}

void SessionController::signInWithDeviceCode()
{
    clearError();
    if (Session *s = ensureSession())
        s->signInWithDeviceCode();
}

void SessionController::stepUp(const QStringList &acrValues, int maxAgeSeconds)
{
    clearError();
    if (Session *s = ensureSession()) {
        beginRedirectHandling();
        s->stepUp(acrValues, maxAgeSeconds);
    }
}

void SessionController::requestScopes(const QStringList &scopes)
{
    clearError();
    if (Session *s = ensureSession()) {
        beginRedirectHandling();
        s->requestScopes(scopes);
    }
}

void SessionController::cancelSignIn()
{
    if (Session *s = ensureSession())
        s->cancelSignIn();
}

void SessionController::restore()
{
    if (Session *s = ensureSession())
        s->restore();
}

void SessionController::refresh()
{
    if (Session *s = ensureSession())
        s->refresh();
}

void SessionController::signOut()
{
    if (Session *s = ensureSession())
        s->signOut();
}

void SessionController::clearError()
{
    if (m_lastError == Error::NoError)
        return;
    m_lastError = Error::NoError;
    m_lastErrorInfo = ErrorInfo();
    Q_EMIT lastErrorChanged();
}

void SessionController::fetchUserInfo()
{
    if (Session *s = ensureSession())
        s->fetchUserInfo();
}

void SessionController::sync()
{
    const Session *s = m_session;
    const State state = s ? toQml(s->state()) : State::SignedOut;
    const bool signedIn = s && s->isSignedIn();
    const bool refreshing = s && s->isRefreshing();
    const bool busy
            = state == State::Restoring || state == State::SigningIn || state == State::Refreshing;
    const bool offline = s && s->isOffline();
    const QString subject = s ? s->subject() : QString();
    const QVariantMap claims = s ? s->idTokenClaims() : QVariantMap();
    const QStringList grantedScopes = s ? s->grantedScopes() : QStringList();
    const QDateTime expiresAt = s ? s->accessTokenExpiresAt() : QDateTime();
    const QString fingerprint = s ? s->accessTokenFingerprint() : QString();
    const int refreshCount = s ? s->refreshCount() : 0;

    // Assign everything first, then notify: a handler sees a consistent object.
    const auto update = [](auto &member, const auto &value) {
        if (member == value)
            return false;
        member = value;
        return true;
    };
    const bool stateDiff = update(m_state, state);
    const bool signedInDiff = update(m_signedIn, signedIn);
    const bool refreshingDiff = update(m_refreshing, refreshing);
    const bool busyDiff = update(m_busy, busy);
    const bool offlineDiff = update(m_offline, offline);
    const bool subjectDiff = update(m_subject, subject);
    const bool claimsDiff = update(m_claims, claims);
    const bool scopesDiff = update(m_grantedScopes, grantedScopes);
    const bool expiresDiff = update(m_expiresAt, expiresAt);
    const bool fingerprintDiff = update(m_fingerprint, fingerprint);
    const bool countDiff = update(m_refreshCount, refreshCount);

    if (stateDiff)
        Q_EMIT stateChanged();
    if (signedInDiff)
        Q_EMIT signedInChanged();
    if (refreshingDiff)
        Q_EMIT refreshingChanged();
    if (busyDiff)
        Q_EMIT busyChanged();
    if (offlineDiff)
        Q_EMIT offlineChanged();
    if (subjectDiff)
        Q_EMIT subjectChanged();
    if (claimsDiff)
        Q_EMIT claimsChanged();
    if (scopesDiff)
        Q_EMIT grantedScopesChanged();
    if (expiresDiff)
        Q_EMIT accessTokenExpiresAtChanged();
    if (fingerprintDiff)
        Q_EMIT accessTokenFingerprintChanged();
    if (countDiff)
        Q_EMIT refreshCountChanged();
    // The code is shown while the device sign-in waits for the user, not after.
    if (state != State::SigningIn)
        clearDeviceCode();
    // The URL handler stays for the sign-in's duration (SigningIn), not after.
    if (state == State::SigningIn)
        m_redirectSignInStarted = !m_urlHandlerScheme.isEmpty();
    else if (m_redirectSignInStarted)
        endRedirectHandling();
}

void SessionController::onError(const ErrorInfo &error)
{
    // Only the code crosses into QML: ErrorInfo::message is for developers.
    sync();
    endRedirectHandling(); // a failed or cancelled sign-in takes no redirect any more
    m_lastError = error.code;
    m_lastErrorInfo = error;
    Q_EMIT lastErrorChanged();
    Q_EMIT errorOccurred(lastErrorCode(), lastErrorMessage(), lastErrorTransient());
}

void SessionController::onDeviceCode(const QString &userCode, const QUrl &verificationUri,
                                     const QUrl &verificationUriComplete,
                                     const QDateTime &expiresAt)
{
    m_deviceUserCode = userCode;
    m_deviceVerificationUri = verificationUri;
    m_deviceVerificationUriComplete = verificationUriComplete;
    m_deviceCodeExpiresAt = expiresAt;
    Q_EMIT deviceCodeChanged();
    Q_EMIT deviceCodeReady(userCode, verificationUri, verificationUriComplete, expiresAt);
}

void SessionController::clearDeviceCode()
{
    if (m_deviceUserCode.isEmpty() && m_deviceVerificationUri.isEmpty())
        return;
    m_deviceUserCode.clear();
    m_deviceVerificationUri.clear();
    m_deviceVerificationUriComplete.clear();
    m_deviceCodeExpiresAt = QDateTime();
    Q_EMIT deviceCodeChanged();
}

} // namespace SecureTokens::Qml
