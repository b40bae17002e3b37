// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/session.h>

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QtQml/qqmlregistration.h>

namespace SecureTokens::Qml {

/*!
    The QML face of a SecureTokens::Session (`import SecureTokens`).

    It mirrors the session's state, never its secrets: every property and every
    signal argument is state (who, until when, how many refreshes, where the
    refresh token is kept, what went wrong in words). The access token is shown
    only as its fingerprint. A test walks this meta-object against the tokens
    the mock server issued (tests/qml/tst_qmlnotokens.cpp).

    Created in C++ around an application-owned Session and handed to QML (an
    initial property or a context property); QML cannot create one, because a
    session's configuration (endpoints, storage policy) belongs to the app.

    \code
    SecureTokens::Session session(config);
    SecureTokens::Qml::SessionController controller(&session);
    SecureTokens::Qml::SessionNetworkAccessManagerFactory factory(&session);
    QQmlApplicationEngine engine;
    engine.setNetworkAccessManagerFactory(&factory); // XMLHttpRequest is authenticated
    engine.setInitialProperties({{"controller", QVariant::fromValue(&controller)}});
    \endcode
*/
class SessionController : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(SessionController)
    QML_UNCREATABLE("A SessionController is created in C++ around a SecureTokens::Session.")

    //! state(): Session::State, as SessionController.State.
    Q_PROPERTY(State state READ state NOTIFY stateChanged FINAL)
    //! stateName(): the state's name, e.g. "SignedIn".
    Q_PROPERTY(QString stateName READ stateName NOTIFY stateChanged FINAL)
    //! isSignedIn(): SignedIn or Refreshing.
    Q_PROPERTY(bool signedIn READ isSignedIn NOTIFY signedInChanged FINAL)
    //! isRefreshing(): a restore or a refresh is under way.
    Q_PROPERTY(bool refreshing READ isRefreshing NOTIFY refreshingChanged FINAL)
    //! isBusy(): an operation is under way (show a spinner).
    Q_PROPERTY(bool busy READ isBusy NOTIFY busyChanged FINAL)
    //! isOffline(): the authorization server could not be reached last time.
    Q_PROPERTY(bool offline READ isOffline NOTIFY offlineChanged FINAL)
    //! subject(): the verified "sub" claim.
    Q_PROPERTY(QString subject READ subject NOTIFY subjectChanged FINAL)
    //! accessTokenExpiresAt(): when the in-memory access token expires.
    Q_PROPERTY(QDateTime accessTokenExpiresAt READ accessTokenExpiresAt NOTIFY
                       accessTokenExpiresAtChanged FINAL)
    //! accessTokenFingerprint(): safe to show; not the token.
    Q_PROPERTY(QString accessTokenFingerprint READ accessTokenFingerprint NOTIFY
                       accessTokenFingerprintChanged FINAL)
    //! refreshCount(): successful refresh grants so far.
    Q_PROPERTY(int refreshCount READ refreshCount NOTIFY refreshCountChanged FINAL)
    //! storageBackend(): where the refresh token is kept.
    Q_PROPERTY(QString storageBackend READ storageBackend CONSTANT FINAL)
    //! hasError(): there is a last error to show.
    Q_PROPERTY(bool hasError READ hasError NOTIFY lastErrorChanged FINAL)
    //! lastErrorCode(): the SecureTokens::Error key of the last error.
    Q_PROPERTY(QString lastErrorCode READ lastErrorCode NOTIFY lastErrorChanged FINAL)
    //! lastErrorMessage(): the last error in words.
    Q_PROPERTY(QString lastErrorMessage READ lastErrorMessage NOTIFY lastErrorChanged FINAL)
    //! lastErrorTransient(): retrying later may mend the last error.
    Q_PROPERTY(bool lastErrorTransient READ lastErrorTransient NOTIFY lastErrorChanged FINAL)
    //! isBrowserSignInAvailable(): signInWithBrowser() can start.
    Q_PROPERTY(bool browserSignInAvailable READ isBrowserSignInAvailable CONSTANT FINAL)

public:
    //! Session::State, for QML (SessionController.SignedIn...).
    enum class State : quint8 {
        SignedOut,
        Restoring,
        SigningIn,
        SignedIn,
        Refreshing,
        ReauthenticationRequired,
    };
    Q_ENUM(State)

    //! Follows \a session, which must outlive this object or be destroyed with it.
    explicit SessionController(Session *session, QObject *parent = nullptr);
    ~SessionController() override;

    //! The session's state (Session::state()).
    State state() const;
    //! The state's enumerator name, e.g. "SignedIn", for display and logs.
    QString stateName() const;
    //! Session::isSignedIn().
    bool isSignedIn() const;
    //! Session::isRefreshing().
    bool isRefreshing() const;
    //! Restoring, signing in or refreshing: an operation is under way.
    bool isBusy() const;
    //! Session::isOffline().
    bool isOffline() const;
    //! Session::subject().
    QString subject() const;
    //! Session::accessTokenExpiresAt().
    QDateTime accessTokenExpiresAt() const;
    //! Session::accessTokenFingerprint().
    QString accessTokenFingerprint() const;
    //! Session::refreshCount().
    int refreshCount() const;
    //! Session::storageBackend().
    QString storageBackend() const;
    //! True from an errorOccurred() until clearError() or the next sign-in starts.
    bool hasError() const;
    //! The SecureTokens::Error key, e.g. "InvalidGrant"; empty when there is no error.
    QString lastErrorCode() const;
    //! SecureTokens::describe() of the last error: a sentence for people.
    QString lastErrorMessage() const;
    //! SecureTokens::isTransient() of the last error: retrying later may succeed.
    bool lastErrorTransient() const;
    //! Whether browser sign-in can start: the app set SessionConfig::openBrowser.
    bool isBrowserSignInAvailable() const;

    //! The same as the properties, read directly (C++ only).
    Session *session() const;

Q_SIGNALS:
    //! state and stateName changed.
    void stateChanged();
    //! signedIn changed.
    void signedInChanged();
    //! refreshing changed.
    void refreshingChanged();
    //! busy changed.
    void busyChanged();
    //! offline changed.
    void offlineChanged();
    //! subject changed.
    void subjectChanged();
    //! accessTokenExpiresAt changed.
    void accessTokenExpiresAtChanged();
    //! accessTokenFingerprint changed.
    void accessTokenFingerprintChanged();
    //! refreshCount changed.
    void refreshCountChanged();
    //! hasError, lastErrorCode, lastErrorMessage or lastErrorTransient changed.
    void lastErrorChanged();
    //! An operation failed; \a code is the Error key, \a message is describe(code).
    void errorOccurred(const QString &code, const QString &message, bool transient);
    //! signOut() completed (local copies wiped).
    void signedOut();

public Q_SLOTS:
    //! Password grant. The password is handed to the session and not kept here.
    void signIn(const QString &username, const QString &password);
    //! Browser sign-in (authorization code + PKCE, RFC 8252), when isBrowserSignInAvailable().
    void signInWithBrowser();
    //! Stops a browser sign-in that waits for the user (reported as Cancelled).
    void cancelSignIn();
    //! Session::restore(): picks up the session kept in secure storage.
    void restore();
    //! Session::refresh(): renews the access token now.
    void refresh();
    //! Session::signOut(): wipes the local copies and tells the server; then signedOut().
    void signOut();
    //! Forgets the last error (e.g. when the user dismisses the message).
    void clearError();

private:
    Q_DISABLE_COPY_MOVE(SessionController)

    void sync();
    void onError(const ErrorInfo &error);

    QPointer<Session> m_session;
    // Last values seen, so each property notifies only when it changes.
    State m_state = State::SignedOut;
    bool m_signedIn = false;
    bool m_refreshing = false;
    bool m_busy = false;
    bool m_offline = false;
    QString m_subject;
    QDateTime m_expiresAt;
    QString m_fingerprint;
    int m_refreshCount = 0;
    Error m_lastError = Error::NoError;
};

} // namespace SecureTokens::Qml
