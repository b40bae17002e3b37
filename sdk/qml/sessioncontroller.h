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

    Q_PROPERTY(State state READ state NOTIFY stateChanged FINAL)
    Q_PROPERTY(QString stateName READ stateName NOTIFY stateChanged FINAL)
    Q_PROPERTY(bool signedIn READ isSignedIn NOTIFY signedInChanged FINAL)
    Q_PROPERTY(bool refreshing READ isRefreshing NOTIFY refreshingChanged FINAL)
    Q_PROPERTY(bool busy READ isBusy NOTIFY busyChanged FINAL)
    Q_PROPERTY(bool offline READ isOffline NOTIFY offlineChanged FINAL)
    Q_PROPERTY(QString subject READ subject NOTIFY subjectChanged FINAL)
    Q_PROPERTY(QDateTime accessTokenExpiresAt READ accessTokenExpiresAt NOTIFY
                       accessTokenExpiresAtChanged FINAL)
    Q_PROPERTY(QString accessTokenFingerprint READ accessTokenFingerprint NOTIFY
                       accessTokenFingerprintChanged FINAL)
    Q_PROPERTY(int refreshCount READ refreshCount NOTIFY refreshCountChanged FINAL)
    Q_PROPERTY(QString storageBackend READ storageBackend CONSTANT FINAL)
    Q_PROPERTY(bool hasError READ hasError NOTIFY lastErrorChanged FINAL)
    Q_PROPERTY(QString lastErrorCode READ lastErrorCode NOTIFY lastErrorChanged FINAL)
    Q_PROPERTY(QString lastErrorMessage READ lastErrorMessage NOTIFY lastErrorChanged FINAL)
    Q_PROPERTY(bool lastErrorTransient READ lastErrorTransient NOTIFY lastErrorChanged FINAL)
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

    State state() const;
    QString stateName() const;
    bool isSignedIn() const;
    bool isRefreshing() const;
    //! Restoring, signing in or refreshing: an operation is under way.
    bool isBusy() const;
    bool isOffline() const;
    QString subject() const;
    QDateTime accessTokenExpiresAt() const;
    QString accessTokenFingerprint() const;
    int refreshCount() const;
    QString storageBackend() const;
    bool hasError() const;
    //! The SecureTokens::Error key, e.g. "InvalidGrant"; empty when there is no error.
    QString lastErrorCode() const;
    //! SecureTokens::describe() of the last error: a sentence for people.
    QString lastErrorMessage() const;
    bool lastErrorTransient() const;
    //! Whether browser sign-in can start: the app set SessionConfig::openBrowser.
    bool isBrowserSignInAvailable() const;

    //! The same as the properties, read directly (C++ only).
    Session *session() const;

Q_SIGNALS:
    void stateChanged();
    void signedInChanged();
    void refreshingChanged();
    void busyChanged();
    void offlineChanged();
    void subjectChanged();
    void accessTokenExpiresAtChanged();
    void accessTokenFingerprintChanged();
    void refreshCountChanged();
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
    void restore();
    void refresh();
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
