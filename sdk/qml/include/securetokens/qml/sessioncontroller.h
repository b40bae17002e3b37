// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/qml/securetokensqml_export.h>
#include <securetokens/session.h>

#include <QDateTime>
#include <QVariantList>
#include <QVariantMap>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QQmlEngine>
#include <QQmlParserStatus>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace SecureTokens::Qml {

class SessionNetworkAccessManagerFactory;

/*!
    The QML face of a SecureTokens::Session (`import SecureTokens`).

    It mirrors the session's state, never its secrets: every property and every
    signal argument is state (who, until when, how many refreshes, where the
    refresh token is kept, what went wrong in words, the code a device sign-in
    shows the user). The access token is shown only as its fingerprint. A test
    walks this meta-object against the tokens the mock server issued
    (tests/qml/tst_qmlnotokens.cpp).

    Two ways to get one:

    - Created in QML and configured there (a QML-only app): the configuration
      properties (issuer, clientId, scopes, apiOrigins, storageService...) are
      read when the component completes, which creates the session; after that
      they are fixed. Such a controller also makes its engine's
      XMLHttpRequest authenticated (SessionNetworkAccessManagerFactory), unless
      the app set a network access manager factory of its own.
      \code
      import SecureTokens
      SessionController {
          id: session
          issuer: "https://auth.example.com"
          clientId: "my-native-app"
          scopes: ["openid", "offline_access"]
          Component.onCompleted: restore()
      }
      \endcode
    - Created in C++ around an application-owned Session and handed to QML (an
      initial property or a context property); the configuration properties
      then show the session's configuration and cannot be written.
      \code
      SecureTokens::Session session(config);
      SecureTokens::Qml::SessionController controller(&session);
      SecureTokens::Qml::SessionNetworkAccessManagerFactory factory(&session);
      QQmlApplicationEngine engine;
      engine.setNetworkAccessManagerFactory(&factory); // XMLHttpRequest is authenticated
      engine.setInitialProperties({{"controller", QVariant::fromValue(&controller)}});
      \endcode
*/
class SECURETOKENSQML_EXPORT SessionController : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(SessionController)

    // Configuration (SessionConfig's fields of the same names), for a controller made in QML.
    //! SessionConfig::issuer (configuration; for a controller made in QML).
    Q_PROPERTY(QUrl issuer READ issuer WRITE setIssuer NOTIFY configurationChanged FINAL)
    //! SessionConfig::tokenEndpoint (configuration; for a controller made in QML).
    Q_PROPERTY(QUrl tokenEndpoint READ tokenEndpoint WRITE setTokenEndpoint NOTIFY
                       configurationChanged FINAL)
    //! SessionConfig::revocationEndpoint (configuration; for a controller made in QML).
    Q_PROPERTY(QUrl revocationEndpoint READ revocationEndpoint WRITE setRevocationEndpoint NOTIFY
                       configurationChanged FINAL)
    //! SessionConfig::authorizationEndpoint (configuration; for a controller made in QML).
    Q_PROPERTY(QUrl authorizationEndpoint READ authorizationEndpoint WRITE setAuthorizationEndpoint
                       NOTIFY configurationChanged FINAL)
    //! SessionConfig::deviceAuthorizationEndpoint (configuration; for a controller made in QML).
    Q_PROPERTY(QUrl deviceAuthorizationEndpoint READ deviceAuthorizationEndpoint WRITE
                       setDeviceAuthorizationEndpoint NOTIFY configurationChanged FINAL)
    //! SessionConfig::clientId (configuration; for a controller made in QML).
    Q_PROPERTY(QString clientId READ clientId WRITE setClientId NOTIFY configurationChanged FINAL)
    //! SessionConfig::scopes (configuration; for a controller made in QML).
    Q_PROPERTY(QStringList scopes READ scopes WRITE setScopes NOTIFY configurationChanged FINAL)
    //! SessionConfig::apiOrigins (configuration; for a controller made in QML).
    Q_PROPERTY(QList<QUrl> apiOrigins READ apiOrigins WRITE setApiOrigins NOTIFY
                       configurationChanged FINAL)
    /*!
        SessionConfig::apiResources (configuration; for a controller made in
        QML): per-API access tokens (RFC 8707), as a list of objects
        `{origin: "https://api.example.com", resource: "https://api.example.com/",
        audience: "...", scopes: ["api:read"]}` (only origin is required).
        Each origin's XMLHttpRequest then carries the token of its own
        resource, and every other origin none. A list with a wrong entry (not
        an object, an unknown key, an origin that is not an http(s) URL, a
        resource that is not an absolute URI, scopes that are not a list of
        scope names, an origin listed twice) is refused with a QML warning
        naming the entry, and no session is created: every operation then
        reports InvalidConfiguration.
    */
    Q_PROPERTY(QVariantList apiResources READ apiResources WRITE setApiResources NOTIFY
                       configurationChanged FINAL)
    /*!
        SessionConfig::redirectUri: a private-use scheme (RFC 8252 §7.1) or a
        claimed https URI (§7.2) instead of the loopback listener. While a
        browser sign-in started here (signInWithBrowser(), stepUp(),
        requestScopes()) waits, the controller registers itself with
        `QDesktopServices::setUrlHandler(scheme, ...)`, which is how Qt hands
        an Android, iOS or macOS app the URL the OS opened it with, and gives
        the URL to Session::handleRedirect(); other URLs of the scheme go on
        to the system (QDesktopServices::openUrl()). The handler is unset when
        the sign-in ends.
    */
    Q_PROPERTY(QUrl redirectUri READ redirectUri WRITE setRedirectUri NOTIFY configurationChanged
                       FINAL)
    //! SessionConfig::storageService (configuration; for a controller made in QML).
    Q_PROPERTY(QString storageService READ storageService WRITE setStorageService NOTIFY
                       configurationChanged FINAL)
    //! SessionConfig::account (configuration; for a controller made in QML).
    Q_PROPERTY(QString account READ account WRITE setAccount NOTIFY configurationChanged FINAL)
    //! SessionConfig::storagePolicy (configuration; for a controller made in QML).
    Q_PROPERTY(StoragePolicy storagePolicy READ storagePolicy WRITE setStoragePolicy NOTIFY
                       configurationChanged FINAL)

    //! Session::State, as SessionController.State.
    Q_PROPERTY(State state READ state NOTIFY stateChanged FINAL)
    //! The state's name, e.g. "SignedIn".
    Q_PROPERTY(QString stateName READ stateName NOTIFY stateChanged FINAL)
    //! SignedIn or Refreshing.
    Q_PROPERTY(bool signedIn READ isSignedIn NOTIFY signedInChanged FINAL)
    //! A restore or a refresh is under way.
    Q_PROPERTY(bool refreshing READ isRefreshing NOTIFY refreshingChanged FINAL)
    //! An operation is under way (show a spinner).
    Q_PROPERTY(bool busy READ isBusy NOTIFY busyChanged FINAL)
    //! The authorization server could not be reached last time.
    Q_PROPERTY(bool offline READ isOffline NOTIFY offlineChanged FINAL)
    //! The verified "sub" claim.
    Q_PROPERTY(QString subject READ subject NOTIFY subjectChanged FINAL)
    //! Session::idTokenClaims(): the verified identity claims (and what userinfo added).
    Q_PROPERTY(QVariantMap claims READ claims NOTIFY claimsChanged FINAL)
    //! Session::grantedScopes(): the scopes the server granted (RFC 6749 §5.1).
    Q_PROPERTY(QStringList grantedScopes READ grantedScopes NOTIFY grantedScopesChanged FINAL)
    //! When the in-memory access token expires.
    Q_PROPERTY(QDateTime accessTokenExpiresAt READ accessTokenExpiresAt NOTIFY
                       accessTokenExpiresAtChanged FINAL)
    //! Safe to show; not the token.
    Q_PROPERTY(QString accessTokenFingerprint READ accessTokenFingerprint NOTIFY
                       accessTokenFingerprintChanged FINAL)
    //! Successful refresh grants so far.
    Q_PROPERTY(int refreshCount READ refreshCount NOTIFY refreshCountChanged FINAL)
    //! Where the refresh token is kept.
    Q_PROPERTY(QString storageBackend READ storageBackend NOTIFY configurationChanged FINAL)
    //! There is a last error to show.
    Q_PROPERTY(bool hasError READ hasError NOTIFY lastErrorChanged FINAL)
    //! The SecureTokens::Error key of the last error.
    Q_PROPERTY(QString lastErrorCode READ lastErrorCode NOTIFY lastErrorChanged FINAL)
    //! The last error in words.
    Q_PROPERTY(QString lastErrorMessage READ lastErrorMessage NOTIFY lastErrorChanged FINAL)
    //! Retrying later may mend the last error.
    Q_PROPERTY(bool lastErrorTransient READ lastErrorTransient NOTIFY lastErrorChanged FINAL)
    //! signInWithBrowser() can start.
    Q_PROPERTY(bool browserSignInAvailable READ isBrowserSignInAvailable NOTIFY configurationChanged
                       FINAL)
    // A device sign-in under way (RFC 8628 §3.3): what to show the user. Empty otherwise.
    //! The code the user enters (device sign-in).
    Q_PROPERTY(QString deviceUserCode READ deviceUserCode NOTIFY deviceCodeChanged FINAL)
    //! Where the user enters the code (device sign-in).
    Q_PROPERTY(QUrl deviceVerificationUri READ deviceVerificationUri NOTIFY deviceCodeChanged FINAL)
    //! The verification URI with the code in it.
    Q_PROPERTY(QUrl deviceVerificationUriComplete READ deviceVerificationUriComplete NOTIFY
                       deviceCodeChanged FINAL)
    //! When the device code expires.
    Q_PROPERTY(
            QDateTime deviceCodeExpiresAt READ deviceCodeExpiresAt NOTIFY deviceCodeChanged FINAL)

public:
    /*!
        Session::State, for QML (SessionController.SignedIn...). int-sized, as
        every enum a QML property carries: Qt 6.4's compiled bindings
        (qmlcachegen) read such a property into an int, and a one-byte enum
        left three bytes of that int undefined, so `state === ...` could be
        false for the right state.
    */
    enum class State : int {
        SignedOut,
        Restoring,
        SigningIn,
        SignedIn,
        Refreshing,
        ReauthenticationRequired,
    };
    Q_ENUM(State)

    /*!
        SecureTokens::StoragePolicy, for QML. EncryptedFile can be read here
        but not set from QML: its passphrase belongs in a C++ SessionConfig.
    */
    enum class StoragePolicy : int { // int-sized: see State
        Required, //!< platform secure storage (the default); no silent downgrade
        SessionOnly, //!< memory only: the user signs in again next start
        EncryptedFile, //!< an encrypted file (C++ configuration only)
    };
    Q_ENUM(StoragePolicy)

    //! For QML: configured by its properties, the session is created when the component completes.
    explicit SessionController(QObject *parent = nullptr);
    //! Follows \a session, which must outlive this object or be destroyed with it.
    explicit SessionController(Session *session, QObject *parent = nullptr);
    ~SessionController() override;

    //! The suer property.
    QUrl issuer() const;
    //! Sets the issuer property.
    void setIssuer(const QUrl &issuer);
    //! The tokenEndpoint property.
    QUrl tokenEndpoint() const;
    //! Sets the tokenEndpoint property.
    void setTokenEndpoint(const QUrl &url);
    //! The revocationEndpoint property.
    QUrl revocationEndpoint() const;
    //! Sets the revocationEndpoint property.
    void setRevocationEndpoint(const QUrl &url);
    //! The authorizationEndpoint property.
    QUrl authorizationEndpoint() const;
    //! Sets the authorizationEndpoint property.
    void setAuthorizationEndpoint(const QUrl &url);
    //! The deviceAuthorizationEndpoint property.
    QUrl deviceAuthorizationEndpoint() const;
    //! Sets the deviceAuthorizationEndpoint property.
    void setDeviceAuthorizationEndpoint(const QUrl &url);
    //! The clientId property.
    QString clientId() const;
    //! Sets the clientId property.
    void setClientId(const QString &clientId);
    //! The scopes property.
    QStringList scopes() const;
    //! Sets the scopes property.
    void setScopes(const QStringList &scopes);
    //! The origins that receive the bearer token (SessionConfig::apiOrigins).
    QList<QUrl> apiOrigins() const;
    //! Sets the apiOrigins property.
    void setApiOrigins(const QList<QUrl> &origins);
    //! The apiResources property: SessionConfig::apiResources as a list of objects.
    QVariantList apiResources() const;
    //! Sets the apiResources property (see there for the form and the checks).
    void setApiResources(const QVariantList &resources);
    //! The app's redirect URI (SessionConfig::redirectUri); empty: loopback.
    QUrl redirectUri() const;
    //! Sets the redirectUri property.
    void setRedirectUri(const QUrl &uri);
    //! The storageService property.
    QString storageService() const;
    //! Sets the storageService property.
    void setStorageService(const QString &service);
    //! The account property.
    QString account() const;
    //! Sets the account property.
    void setAccount(const QString &account);
    //! The storagePolicy property.
    StoragePolicy storagePolicy() const;
    //! Sets the storagePolicy property.
    void setStoragePolicy(StoragePolicy policy);

    //! The state property.
    State state() const;
    //! The stateName property.
    QString stateName() const;
    //! The signedIn property.
    bool isSignedIn() const;
    //! The refreshing property.
    bool isRefreshing() const;
    //! Restoring, signing in or refreshing: an operation is under way.
    bool isBusy() const;
    //! The offline property.
    bool isOffline() const;
    //! The subject property.
    QString subject() const;
    //! The claims property.
    QVariantMap claims() const;
    //! The grantedScopes property.
    QStringList grantedScopes() const;
    //! The accessTokenExpiresAt property.
    QDateTime accessTokenExpiresAt() const;
    //! The accessTokenFingerprint property.
    QString accessTokenFingerprint() const;
    //! The refreshCount property.
    int refreshCount() const;
    //! The storageBackend property.
    QString storageBackend() const;
    //! The hasError property.
    bool hasError() const;
    //! The SecureTokens::Error key, e.g. "InvalidGrant"; empty when there is no error.
    QString lastErrorCode() const;
    //! SecureTokens::describe() of the last error: a sentence for people.
    QString lastErrorMessage() const;
    //! The lastErrorTransient property.
    bool lastErrorTransient() const;
    //! Whether browser sign-in can start: SessionConfig::openBrowser is set (always, made in QML).
    bool isBrowserSignInAvailable() const;
    //! The deviceUserCode property.
    QString deviceUserCode() const;
    //! The deviceVerificationUri property.
    QUrl deviceVerificationUri() const;
    //! The verification URI with the code in it (may be empty), e.g. for a QR code.
    QUrl deviceVerificationUriComplete() const;
    //! The deviceCodeExpiresAt property.
    QDateTime deviceCodeExpiresAt() const;

    //! The session followed (C++ only); null for one made in QML until it completes.
    Session *session() const;

    //! QQmlParserStatus: the configuration properties are about to be set.
    void classBegin() override;
    //! QQmlParserStatus: creates the session from the configuration properties.
    void componentComplete() override;

Q_SIGNALS:
    //! Notifies a change of the properties that name it.
    void stateChanged();
    //! Notifies a change of the properties that name it.
    void signedInChanged();
    //! Notifies a change of the properties that name it.
    void refreshingChanged();
    //! Notifies a change of the properties that name it.
    void busyChanged();
    //! Notifies a change of the properties that name it.
    void offlineChanged();
    //! Notifies a change of the properties that name it.
    void subjectChanged();
    //! Notifies a change of the properties that name it.
    void claimsChanged();
    //! Notifies a change of the properties that name it.
    void grantedScopesChanged();
    //! Session::userInfoReceived(): the provider's UserInfo answer, as sent.
    void userInfoReceived(const QVariantMap &userInfo);
    //! Notifies a change of the properties that name it.
    void accessTokenExpiresAtChanged();
    //! Notifies a change of the properties that name it.
    void accessTokenFingerprintChanged();
    //! Notifies a change of the properties that name it.
    void refreshCountChanged();
    //! Notifies a change of the properties that name it.
    void lastErrorChanged();
    //! A configuration property changed, or the session was created.
    void configurationChanged();
    //! Notifies a change of the properties that name it.
    void deviceCodeChanged();
    /*!
        A device sign-in started: show \a userCode and \a verificationUri
        (Session::deviceCodeReady()). These are meant to be shown; none is a token.
    */
    void deviceCodeReady(const QString &userCode, const QUrl &verificationUri,
                         const QUrl &verificationUriComplete, const QDateTime &expiresAt);
    /*!
        An operation failed; \a code is the Error key, \a message is
        describe(code), \a isTransient whether a retry may succeed. (Not named
        `transient`: a reserved word in QML's JavaScript, so a handler using
        it would not compile.)
    */
    void errorOccurred(const QString &code, const QString &message, bool isTransient);
    //! signOut() completed (local copies wiped).
    void signedOut();
    /*!
        Session::stepUpRequired(): an API asks for a stronger or more recent
        sign-in (RFC 9470); call stepUp() with \a acrValues and \a maxAgeSeconds.
    */
    void stepUpRequired(const QStringList &acrValues, int maxAgeSeconds);
    /*!
        Session::scopeRequired(): an API refused the token for lack of scope
        (RFC 6750 §3.1, insufficient_scope), asking for \a scopes; call
        requestScopes() with them, then resend. Once per token and challenge.
    */
    void scopeRequired(const QStringList &scopes);
    //! Session::reauthenticated(): stepUp() or requestScopes() completed; resend what was refused.
    void reauthenticated();

public Q_SLOTS:
    //! Password grant. The password is handed to the session and not kept here.
    void signIn(const QString &username, const QString &password);
    //! Browser sign-in (authorization code + PKCE, RFC 8252), when isBrowserSignInAvailable().
    void signInWithBrowser();
    //! Device authorization grant (RFC 8628): deviceCodeReady(), then SignedIn or an error.
    void signInWithDeviceCode();
    //! Stops a browser or device sign-in that waits for the user (reported as Cancelled).
    void cancelSignIn();
    //! Session::stepUp(): signs in again in the browser with \a acrValues and \a maxAgeSeconds.
    void stepUp(const QStringList &acrValues, int maxAgeSeconds = -1);
    //! Session::requestScopes(): asks the user for \a scopes on top of the granted ones.
    void requestScopes(const QStringList &scopes);
    //! Session::restore(): picks up the session kept in secure storage.
    void restore();
    //! Session::refresh(): renews the access token now.
    void refresh();
    //! Session::signOut(): wipes the local copies and tells the server; then signedOut().
    void signOut();
    //! Forgets the last error (e.g. when the user dismisses the message).
    void clearError();
    /*!
        Session::fetchUserInfo(): asks the provider's UserInfo endpoint;
        userInfoReceived(), or errorOccurred() with the reason.
    */
    void fetchUserInfo();
    /*!
        The URL handler registered with QDesktopServices::setUrlHandler()
        during a browser sign-in with a redirectUri: \a url goes to
        Session::handleRedirect() when it is the redirect URI with a response,
        else back to the system (QDesktopServices::openUrl(), which does not
        call this handler again from inside it). Not for calling from QML.
    */
    void openRedirectUrl(const QUrl &url);

private:
    Q_DISABLE_COPY_MOVE(SessionController)

    void follow(Session *session);
    Session *ensureSession();
    const SessionConfig &currentConfig() const;
    template<typename T> void setConfigValue(T SessionConfig::*field, const T &value);
    void sync();
    void onError(const ErrorInfo &error);
    void onDeviceCode(const QString &userCode, const QUrl &verificationUri,
                      const QUrl &verificationUriComplete, const QDateTime &expiresAt);
    void clearDeviceCode();
    //! An apiResources entry was refused: reports InvalidConfiguration, returns true.
    bool refuseInvalidConfiguration();
    void beginRedirectHandling();
    void endRedirectHandling();

    QPointer<Session> m_session;
    // Made in QML: the configuration until completion, then the session it made.
    SessionConfig m_config;
    std::unique_ptr<Session> m_ownedSession;
    std::unique_ptr<SessionNetworkAccessManagerFactory> m_networkFactory;
    QPointer<QQmlEngine> m_engine;
    bool m_madeInQml = false;
    bool m_completed = false;
    //! Why the apiResources list was refused; empty: it was not.
    QString m_apiResourcesError;
    // Last values seen, so each property notifies only when it changes.
    State m_state = State::SignedOut;
    bool m_signedIn = false;
    bool m_refreshing = false;
    bool m_busy = false;
    bool m_offline = false;
    QString m_subject;
    QVariantMap m_claims;
    QStringList m_grantedScopes;
    QDateTime m_expiresAt;
    QString m_fingerprint;
    int m_refreshCount = 0;
    Error m_lastError = Error::NoError;
    //! The whole last error, for describe(const ErrorInfo &) ("your session is kept" or not).
    ErrorInfo m_lastErrorInfo;
    QString m_deviceUserCode;
    QUrl m_deviceVerificationUri;
    QUrl m_deviceVerificationUriComplete;
    QDateTime m_deviceCodeExpiresAt;
    //! The scheme this controller is the QDesktopServices URL handler of, during a sign-in.
    QString m_urlHandlerScheme;
    bool m_redirectSignInStarted = false; //!< the session reached SigningIn since
};

} // namespace SecureTokens::Qml
