// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>
#include <securetokens/sessionconfig.h>

#include <QDateTime>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QVariantMap>

#include <memory>

class QNetworkAccessManager;

namespace SecureTokens {

class SessionPrivate;
class SecretStore;

/*!
    A signed-in user, kept signed in.

    The access token is held in memory only (SecretBytes); the refresh token is
    kept in secure storage (SessionConfig::storagePolicy). Neither is reachable
    through a property, a signal argument or a log line: what a Session exposes
    is state. Applications that must hand the access token to a foreign HTTP
    stack call accessTokenForExternalUse(), the single explicit way out.

    Asynchronous contract: signInWithPassword(), restore(), refresh() and
    signOut() return at once; the outcome arrives later as a stateChanged()
    and, on failure, one errorOccurred(). A call never completes inside itself.

    A Session lives in one thread and is used from it.
*/
class SECURETOKENS_EXPORT Session : public QObject
{
    Q_OBJECT
    //! state(); stateChanged() tells of every change.
    Q_PROPERTY(SecureTokens::Session::State state READ state NOTIFY stateChanged FINAL)
    //! isSignedIn(): SignedIn or Refreshing.
    Q_PROPERTY(bool signedIn READ isSignedIn NOTIFY stateChanged FINAL)
    //! isRefreshing(): a restore or a refresh is under way.
    Q_PROPERTY(bool refreshing READ isRefreshing NOTIFY stateChanged FINAL)
    //! isOffline(): the authorization server could not be reached last time.
    Q_PROPERTY(bool offline READ isOffline NOTIFY offlineChanged FINAL)
    //! subject(): the verified "sub" claim.
    Q_PROPERTY(QString subject READ subject NOTIFY userChanged FINAL)
    //! accessTokenExpiresAt(): when the in-memory access token expires.
    Q_PROPERTY(QDateTime accessTokenExpiresAt READ accessTokenExpiresAt NOTIFY accessTokenChanged
                       FINAL)
    //! accessTokenFingerprint(): safe to show; not the token.
    Q_PROPERTY(QString accessTokenFingerprint READ accessTokenFingerprint NOTIFY accessTokenChanged
                       FINAL)
    //! refreshCount(): successful refresh grants so far.
    Q_PROPERTY(int refreshCount READ refreshCount NOTIFY accessTokenChanged FINAL)
    //! storageBackend(): the SecretStore backend's name.
    Q_PROPERTY(QString storageBackend READ storageBackend CONSTANT FINAL)
    //! lastError(): what the last errorOccurred() reported.
    Q_PROPERTY(SecureTokens::ErrorInfo lastError READ lastError NOTIFY errorOccurred FINAL)
    //! idTokenClaims(): the verified ID token's identity claims.
    Q_PROPERTY(QVariantMap idTokenClaims READ idTokenClaims NOTIFY userChanged FINAL)
    //! grantedScopes(): the scopes the server granted.
    Q_PROPERTY(QStringList grantedScopes READ grantedScopes NOTIFY grantedScopesChanged FINAL)
    //! isRefreshable(): a refresh token is held.
    Q_PROPERTY(bool refreshable READ isRefreshable NOTIFY stateChanged FINAL)

public:
    //! Where the session is in its life; the value of the state property.
    enum class State : quint8 {
        SignedOut, //!< no session
        Restoring, //!< restore() is reading secure storage / refreshing
        SigningIn, //!< a sign-in grant is under way
        SignedIn, //!< a refresh token is held; requests can be authorized
        Refreshing, //!< signed in, and the access token is being renewed
        ReauthenticationRequired, //!< the server ended the session; sign in again
    };
    Q_ENUM(State)

    /*!
        How far signOutWithOptions() reaches. Whatever is chosen, the local
        copies are wiped and the refresh token revoked (RFC 7009) when a
        revocation endpoint is known, as signOut() does.
    */
    enum class SignOutOption : quint8 {
        /*!
            Also end the user's session at the provider (OpenID Connect
            RP-Initiated Logout 1.0): the browser is opened at
            SessionConfig::endSessionEndpoint with id_token_hint, client_id,
            post_logout_redirect_uri (a loopback listener with the sign-in's
            settings: SessionConfig::redirectHost, redirectPorts,
            redirectPath) and state, and the sign-out completes when the
            browser comes back with that state.
        */
        EndProviderSession = 0x1,
    };
    Q_DECLARE_FLAGS(SignOutOptions, SignOutOption)
    Q_FLAG(SignOutOptions)

    /*!
        A signed-out session for \a config. Nothing is read or sent yet: call
        restore() to pick up a stored session, or one of the signIn...() slots.
        A missing or wrong setting is reported by the operation that needs it
        (InvalidConfiguration, InsecureTransport), through errorOccurred().
    */
    explicit Session(const SessionConfig &config, QObject *parent = nullptr);
    ~Session() override;

    //! The configuration, with the endpoints that discovery filled in.
    const SessionConfig &config() const;

    //! The current state; stateChanged() tells of every change.
    State state() const;
    bool isSignedIn() const; //!< SignedIn or Refreshing
    //! True in the Restoring and Refreshing states.
    bool isRefreshing() const;
    /*!
        True while the last attempt to reach the authorization server failed
        transiently (network, timeout, 5xx, 429): the session is kept and will
        be refreshed when the server answers again.
    */
    bool isOffline() const;
    /*!
        The "sub" claim of the verified identity (the ID token's claims, see
        idTokenClaims()); empty when the sign-in brought no ID token. Never
        taken from an access token's payload, which nobody has verified.
    */
    QString subject() const;
    //! When the in-memory access token expires (from expires_in); invalid when there is none.
    QDateTime accessTokenExpiresAt() const;
    //! First 8 hex digits of SHA-256(access token): safe to show, useless to an attacker.
    QString accessTokenFingerprint() const;
    /*!
        The RFC 7638 JWK thumbprint (SHA-256, base64url: the "jkt" of RFC 9449
        §6.1) of the DPoP key this session's tokens are bound to; empty for a
        bearer session. The public key's fingerprint, safe to show; the
        private key never leaves the secure record.
    */
    QString dpopThumbprint() const;
    /*!
        True while a refresh token is held: the session outlives its access
        token (and, with secure storage, the process). False for a sign-in
        whose server issued no refresh token.
    */
    bool isRefreshable() const;
    //! Number of successful refresh grants in this Session's lifetime.
    int refreshCount() const;
    //! SecretStore::backendName() of the store in use.
    QString storageBackend() const;
    //! The error errorOccurred() reported last; a NoError ErrorInfo before the first.
    ErrorInfo lastError() const;

    /*!
        The one explicit way to read the access token, for applications that
        must pass it to an HTTP stack SecureTokens does not control. Returns an
        empty SecretBytes when there is no valid access token. Prefer
        AuthenticatedNetworkAccessManager, which never exposes it.
    */
    SecretBytes accessTokenForExternalUse() const;

    /*!
        Identity claims (sub, name, email, ... and iss, aud, exp, iat; not the
        nonce or token hashes) of the OpenID Connect ID token verified at
        sign-in (signature against the provider's JWKS, issuer, audience,
        expiry, nonce), plus the claims a userinfo answer for the same "sub"
        added (fetchUserInfo(): where both name a claim, the ID token's
        verified value is kept). Kept with the refresh token in the account's
        secure record, so restore() brings them back without a network round
        trip. Plain data for display. Empty when the sign-in was not an
        OpenID Connect one, and after sign-out.
    */
    QVariantMap idTokenClaims() const;

    /*!
        True from the start of a userinfo request (fetchUserInfo(), or the
        one after sign-in) until userInfoReceived() or userInfoFailed().
    */
    bool isFetchingUserInfo() const;

    /*!
        The scopes the authorization server granted (RFC 6749 §3.3, §5.1):
        the token response's "scope", or the requested scopes when it named
        none. Compare with SessionConfig::scopes to notice a downgrade. Kept
        in the secure record; updated when a refresh narrows it.
    */
    QStringList grantedScopes() const;

    //! The QNetworkAccessManager used to talk to the authorization server.
    QNetworkAccessManager *authorizationNetworkAccessManager() const;

Q_SIGNALS:
    //! The state changed to \a state.
    void stateChanged(SecureTokens::Session::State state);
    /*!
        An operation failed: \a error says what and whether it is transient
        or ended the session. Once per failed operation; never carries a token.
    */
    void errorOccurred(const SecureTokens::ErrorInfo &error);
    /*!
        The in-memory access token was replaced or dropped (a sign-in, a
        refresh, sign-out): accessTokenExpiresAt(), accessTokenFingerprint()
        and refreshCount() may have changed. The token itself is not passed.
    */
    void accessTokenChanged();
    //! The verified identity changed: subject() and idTokenClaims().
    void userChanged();
    //! grantedScopes() changed (a sign-in, a restore, a refresh that narrowed it).
    void grantedScopesChanged();
    //! isOffline() changed to \a offline.
    void offlineChanged(bool offline);
    /*!
        signOut() has completed: the local copies are wiped and the server was
        told, or could not be (then errorOccurred() came first). Emitted once per
        signOut() call, also when the session was already signed out.
    */
    void signedOut();
    //! discoverEndpoints() succeeded (also when the metadata was already there).
    void endpointsDiscovered();
    /*!
        The UserInfo endpoint answered (OpenID Connect Core §5.3) for the
        user of the verified ID token: \a userInfo is its JSON object, as
        sent. The claims it adds are in idTokenClaims() and in the secure
        record by now.
    */
    void userInfoReceived(const QVariantMap &userInfo);
    /*!
        A userinfo request failed: \a error says why (ErrorInfo::operation
        is Operation::UserInfo). The session and its verified claims are
        unchanged. For the request a sign-in makes by itself this is the only
        report (no errorOccurred(): the sign-in succeeded); fetchUserInfo()
        also reports through errorOccurred().
    */
    void userInfoFailed(const SecureTokens::ErrorInfo &error);
    /*!
        A device sign-in started: show \a userCode and \a verificationUri to
        the user (RFC 8628 §3.3), or \a verificationUriComplete (which embeds
        the code; may be empty) e.g. as a QR code. The code is valid until
        \a expiresAt. These values are meant to be shown; none is a token.
    */
    void deviceCodeReady(const QString &userCode, const QUrl &verificationUri,
                         const QUrl &verificationUriComplete, const QDateTime &expiresAt);
    /*!
        An API refused a request through AuthenticatedNetworkAccessManager
        with a step-up challenge (RFC 9470 §3, \c insufficient_user_authentication):
        the user must authenticate again, with one of \a acrValues (the
        acceptable authentication context classes, in order of preference;
        empty when the API named none) and at most \a maxAgeSeconds ago (-1
        when it named no max_age). Once per access token and challenge: ten
        requests refused together give one signal. Nothing was refreshed and
        the session is kept; call stepUp() with these values, then send the
        request again.
    */
    void stepUpRequired(const QStringList &acrValues, int maxAgeSeconds);
    /*!
        An API refused a request through AuthenticatedNetworkAccessManager
        because the access token lacks scope (RFC 6750 §3.1, a 401 or 403
        \c insufficient_scope): \a scopes is what the challenge's \c scope
        attribute asked for (empty when it named none). The request's reply
        reports Error::InsufficientScope with ErrorInfo::requiredScopes.
        Once per access token and challenge: requests refused together with
        the same scope give one signal, another scope asked for gives another.
        Nothing was refreshed (a new token of the same grant would carry the
        same scope) and the session is kept; call requestScopes() with these
        scopes, then send the request again.
    */
    void scopeRequired(const QStringList &scopes);
    /*!
        stepUp() or requestScopes() completed: the user signed in again in
        the browser, the new grant's refresh token replaced the old one in
        secure storage (store before use) and its access token is in use;
        idTokenClaims() and grantedScopes() tell what was granted. Send the
        refused requests again. A failure is an errorOccurred() instead
        (ErrorInfo::operation SignIn), and the session stays as it was.
    */
    void reauthenticated();

public Q_SLOTS:
    /*!
        Resource-owner password grant (RFC 6749 §4.3). Legacy: prefer browser
        sign-in where the provider supports it. The password is not kept.
    */
    void signInWithPassword(const QString &username, const QString &password);
    /*!
        Authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636, RFC 8252):
        listens on an ephemeral loopback port, opens the authorization URL with
        SessionConfig::openBrowser, waits (SessionConfig::browserTimeout) for
        the one redirect that carries the right state, exchanges the code and,
        when "openid" is in scope, verifies the ID token. Ends in SignedIn or
        errorOccurred() (AccessDenied when the user declined, Timeout,
        Cancelled...).
    */
    void signInWithBrowser();
    /*!
        Device authorization grant (RFC 8628) for machines without a browser:
        deviceCodeReady() tells what to show the user, then the token endpoint
        is polled at the interval the server asks for until the user approves,
        denies (AccessDenied) or the code expires (Timeout).
    */
    void signInWithDeviceCode();
    /*!
        Step-up authentication (RFC 9470 §4) for a signed-in session, as
        stepUpRequired() asks for it: the browser sign-in of
        signInWithBrowser() with \a acrValues as acr_values and \a
        maxAgeSeconds as max_age (OpenID Connect Core §3.1.2.1; -1: none; 0
        also sends prompt=login unless SessionConfig::prompt is set), for the
        scopes already granted. The session stays SignedIn meanwhile and its
        requests go on with the current token. The new ID token must be the
        same user's ("sub"; else AccountMismatch), name one of \a acrValues
        as its "acr" when any were given, and have an "auth_time" at most
        \a maxAgeSeconds (plus SessionConfig::idTokenClockSkew) ago; else
        IdTokenRejected. Completes with reauthenticated() or errorOccurred()
        (NotSignedIn, OperationInProgress, AccessDenied, Timeout, Cancelled
        by cancelSignIn()...), after which the old session is unchanged.
        Needs the OAuth transport, the "openid" scope for the checks, and
        SessionConfig::openBrowser.
    */
    void stepUp(const QStringList &acrValues, int maxAgeSeconds = -1);
    /*!
        Incremental authorization: asks the user, in the browser, for \a
        scopes on top of those already granted (grantedScopes(), else
        SessionConfig::scopes), like stepUp() without its checks. The grant's
        new refresh token replaces the old one as one unit (or, when the
        provider issues none, the old one is kept) and grantedScopes() shows
        the new scope. Google needs include_granted_scopes=true in
        SessionConfig::extraAuthorizationParameters to merge the grants
        (docs/providers.md). Completes with reauthenticated() or
        errorOccurred(); scopes already granted alone complete at once.
    */
    void requestScopes(const QStringList &scopes);
    /*!
        Signs in to a cookie-based backend (SessionConfig::transport Cookie):
        POSTs JSON {username, password} to the login URL. The refresh cookie
        and CSRF token are kept in secure storage like a refresh token.
    */
    void signInWithCookieLogin(const QString &username, const QString &password);
    /*!
        Stops a browser or device sign-in under way (the listener is closed,
        polling ends); errorOccurred() reports Cancelled and the state returns
        to SignedOut. Does nothing when no interactive sign-in runs.
    */
    void cancelSignIn();
    /*!
        Delivers the redirect URL of a browser sign-in with a private-use
        scheme (SessionConfig::redirectUri, RFC 8252 §7.1): wire
        `QDesktopServices::setUrlHandler(scheme, ...)` to it on Android, iOS
        and macOS; on Linux and Windows forwardRedirect() in the second
        instance reaches it by itself. The URL is checked as the loopback
        listener's request is: the redirect URI's scheme and path, the state
        (RFC 6749 §10.12), iss (RFC 9207), then the code is exchanged with
        the PKCE verifier. Returns true when it was this sign-in's response
        (the sign-in goes on to SignedIn or errorOccurred()); false, and the
        sign-in keeps waiting, for anything else: no such sign-in, another
        path, a wrong state, a second URL after the first was taken (the
        first one wins: a forged URL must not end the user's real sign-in).
    */
    bool handleRedirect(const QUrl &url);
    /*!
        Fetches the issuer's discovery metadata now (OpenID Connect Discovery,
        RFC 8414) and fills the endpoints left empty in config(). Operations
        that need an endpoint do this by themselves; call it to learn early
        whether the issuer is reachable and valid. Completes with
        endpointsDiscovered() or errorOccurred() (InvalidConfiguration when
        the document names another issuer, InsecureTransport for plain http
        endpoints off loopback...).
    */
    void discoverEndpoints();
    /*!
        Reads the stored refresh token and refreshes. Ends in SignedIn, in
        SignedOut when nothing is stored (no error), or in an error.
        A locked or unavailable keychain is an error, not "signed out".
    */
    void restore();
    //! Renews the access token now (joins a refresh already under way).
    void refresh();
    /*!
        Revokes the refresh token server-side (RFC 7009) when a revocation
        endpoint is configured, and wipes the local copies in any case, also
        when the server cannot be reached. Ends in SignedOut.
    */
    void signOut();
    /*!
        signOut(), reaching as far as \a options say: with
        SignOutOption::EndProviderSession it then ends the provider's session
        too (OpenID Connect RP-Initiated Logout 1.0) through the browser
        (SessionConfig::openBrowser, SessionConfig::browserTimeout), when an
        end_session_endpoint is known (else errorOccurred() with
        InvalidConfiguration, after the local sign-out). The local sign-out
        always happens first and is never undone: a redirect with the wrong
        state reports StateMismatch, a browser that does not come back
        Timeout. signedOut() is emitted once, when all of it is over.
        A separate name, not an overload, so that \c &Session::signOut stays
        unambiguous in connect().
    */
    void signOutWithOptions(SecureTokens::Session::SignOutOptions options);
    /*!
        Asks the provider's UserInfo endpoint (OpenID Connect Core §5.3,
        SessionConfig::userinfoEndpoint, from discovery when empty) for the
        signed-in user's claims, with the access token (one refresh and one
        retry after a 401, like API requests; not for the request a sign-in
        makes by itself, whose token is new). The answer's "sub" must equal
        the verified ID token's (§5.3.2), else it is refused with
        IdTokenRejected. Claims the ID token does not carry are added to
        idTokenClaims() and kept in the secure record; the ID token's own
        verified values win where the two disagree. Completes with
        userInfoReceived() or userInfoFailed() (and errorOccurred()):
        NotSignedIn, InvalidConfiguration (no endpoint, no verified ID
        token), the transport errors. A sign-in that verified an ID token
        does this by itself when the endpoint is known.
    */
    void fetchUserInfo();
    /*!
        Tells the session where the application is in its lifecycle; a QML
        app's SessionController forwards QGuiApplication::applicationState()
        by itself, a widgets app connects
        QGuiApplication::applicationStateChanged to this slot (the core does
        not link QtGui).

        While \a state is Qt::ApplicationSuspended (iOS, Android: the app is
        in the background and may be frozen at any point) the refresh timers
        start no grant: one cut off by the freeze would leave the rotated
        refresh token's fate unknown. Requests still refresh when they need
        to. On Qt::ApplicationActive the access token is checked: one refresh
        (joined by the requests that arrive meanwhile) when it expired or its
        proactive refresh is due, by the monotonic clock or by the wall
        clock, which keeps counting while the machine sleeps. Coming back from
        Suspended while offline also ends the backoff and tries at once.
        Inactive and Hidden change nothing.
    */
    void setApplicationState(Qt::ApplicationState state);
    /*!
        Tells the session whether the network is reachable. When it returns
        (\a reachable true) while the session is offline after a transient
        failure, the refresh is retried at once instead of after the rest of
        the backoff; false changes nothing (requests report the failure as
        they meet it, and a change of network never drops the session).
        A session follows QNetworkInformation by itself when the application
        loaded a backend (QNetworkInformation::loadDefaultBackend()) before
        creating it; this slot is for other sources (an app's own signal, a
        test).
    */
    void setNetworkReachable(bool reachable);

private:
    Q_DISABLE_COPY_MOVE(Session)

    friend class AuthenticatedNetworkAccessManager;
    friend class AuthenticatedNetworkAccessManagerPrivate;
    Q_DECLARE_PRIVATE(Session)
    std::unique_ptr<SessionPrivate> const d_ptr;
};

Q_DECLARE_OPERATORS_FOR_FLAGS(Session::SignOutOptions)

} // namespace SecureTokens
