// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace SecureTokens {

class SecretStore;

/*!
    Where the refresh token is kept. Secure storage failures are never silently
    downgraded: a weaker mode has to be chosen here.
*/
enum class StoragePolicy : quint8 {
    Required, //!< platform secure storage (QtKeychain); sign-in fails with StorageUnavailable without it
    SessionOnly, //!< memory only, for this process: the user signs in again next start
    /*!
        Opt-in for headless Linux without a Secret Service: an AES-256-GCM file
        whose key is derived from an application-supplied passphrase with a
        memory-hard KDF (see encryptedFilePath and encryptedFilePassphrase).
    */
    EncryptedFile,
};

//! How the refresh credential is exchanged and revoked (see SessionConfig::transport).
enum class RefreshTransportKind : quint8 {
    OAuth, //!< RFC 6749 §6 refresh_token grant and RFC 7009 revocation (default)
    /*!
        A web-app style backend: the refresh token travels in a cookie, renewed
        with a CSRF header (cookieLoginUrl, cookieRefreshUrl, cookieLogoutUrl).
    */
    Cookie,
};

/*!
    Whether sign-ins are bound to a DPoP key (RFC 9449; see SessionConfig::dpop).
    A bound refresh token is useless without the private key, which stays in
    the account's secure record.
*/
enum class DpopMode : quint8 {
    Off, //!< bearer tokens only; no DPoP header is ever sent
    /*!
        DPoP when the provider's metadata lists ES256 in
        dpop_signing_alg_values_supported (RFC 9449 §5.1), bearer otherwise.
    */
    IfSupported,
    /*!
        Always DPoP: a sign-in fails with InvalidConfiguration when the
        provider's metadata does not list ES256, and with UnsupportedTokenType
        when the server answers with a bearer token anyway.
    */
    Required,
};

/*!
    Where the DPoP key made at sign-in is kept (SessionConfig::dpopKeyStore).
    A stored session keeps using the kind of key it was signed in with.
*/
struct DpopKeyStore
{
    //! The kinds of key store.
    enum class Kind : quint8 {
        /*!
            In this process (OpenSSL), the private key in the account's secure
            record beside the refresh token (the default).
        */
        Software,
        /*!
            Generated on a PKCS#11 token (TPM, smart card, HSM; SoftHSM2 in the
            tests) and never readable outside it: the record holds only an
            RFC 7512 URI naming the module, the token and the key. Needs a
            build with SECURETOKENS_PKCS11 (else a sign-in fails with
            InvalidConfiguration). Each proof is one synchronous signature on
            the token, on the Session's thread.
        */
        Pkcs11,
    };
    Kind kind = Kind::Software; //!< which store
    //! Pkcs11: the module's file, e.g. /usr/lib/softhsm/libsofthsm2.so.
    QString pkcs11ModulePath;
    //! Pkcs11: the label of the token a new key is made on.
    QString pkcs11TokenLabel;
    /*!
        Pkcs11: asked for the token's user PIN whenever a key is made or
        opened (sign-in, restore, sign-out). The PIN comes from the app (a
        dialog, the platform's own PIN prompt): it is never read from the
        command line, the environment or a file, never stored in the record,
        and wiped after the login. An empty PIN is passed on as is (tokens
        with a protected authentication path ignore it).
    */
    std::function<SecretBytes()> pkcs11Pin;
};

//! The loopback interface the browser redirect listener binds to (RFC 8252 §7.3).
enum class LoopbackRedirectHost : quint8 {
    IPv4, //!< http://127.0.0.1:PORT/callback (default; works everywhere)
    IPv6, //!< http://[::1]:PORT/callback
    /*!
        http://localhost:PORT/callback, for providers that register only
        "localhost" (Entra ID, MSAL). The listener binds every address the
        name resolves to here (127.0.0.1 and ::1 on most systems) on one
        port, and refuses a "localhost" that is not loopback. RFC 8252 §8.3
        prefers the IP literals: the browser resolves the name itself, and a
        firewall or a hosts file may send it elsewhere.
    */
    Localhost,
};

/*!
    One API and the access token it gets (SessionConfig::apiResources): RFC
    8707 resource indicators, Auth0's audience. Requests to \a origin carry
    an access token obtained for this resource alone, with resource= (and
    audience=, scope= when set) on the refresh_token grant (RFC 8707 §2.2,
    RFC 6749 §6), so the token one API receives is refused by the others
    (RFC 9700 §2.3).
*/
struct SECURETOKENS_EXPORT ApiResource
{
    //! The API's origin (scheme, host, port; a path is ignored).
    QUrl origin;
    /*!
        The RFC 8707 resource indicator: an absolute URI without a fragment
        (§2). Empty: the origin URL without its path ("https://api.example.com"),
        unless an audience is set.
    */
    QString resource;
    //! Auth0's audience, sent on the refresh grant too; empty: not sent.
    QString audience;
    /*!
        Scopes for this API's token, sent on its refresh grant (RFC 6749 §6:
        at most those granted). Empty: the grant's scope.
    */
    QStringList scopes;
};

/*!
    Everything a Session needs to know. A plain value type: fill it in, hand it
    to Session's constructor.

    Minimal configuration: issuer and clientId. Endpoints left empty are
    taken from the issuer's discovery document (OpenID Connect Discovery 1.0,
    RFC 8414), fetched once per Session before the first operation that needs
    one; endpoints set here always win. Without an issuer, set tokenEndpoint
    (and the others the flows you use need).
*/
struct SECURETOKENS_EXPORT SessionConfig
{
    //! The authorization server's issuer identifier. Used as the default API origin.
    QUrl issuer;
    //! RFC 6749 §3.2 token endpoint (password, refresh_token and authorization_code grants).
    QUrl tokenEndpoint;
    //! RFC 7009 revocation endpoint; when empty, signOut() only wipes locally.
    QUrl revocationEndpoint;
    //! RFC 6749 §3.1 authorization endpoint, for Session::signInWithBrowser().
    QUrl authorizationEndpoint;
    //! RFC 8628 §3.1 device authorization endpoint, for Session::signInWithDeviceCode().
    QUrl deviceAuthorizationEndpoint;
    //! The provider's JWK Set (RFC 7517), used to verify OpenID Connect ID tokens.
    QUrl jwksUri;

    // --- Identity (OpenID Connect) ------------------------------------------
    /*!
        OpenID Connect Core §5.3 UserInfo endpoint; filled from discovery
        ("userinfo_endpoint") when empty. When known, a sign-in that verified
        an ID token asks it for the user's claims (Session::fetchUserInfo());
        empty: the ID token's claims are all there is.
    */
    QUrl userinfoEndpoint;
    /*!
        OpenID Connect RP-Initiated Logout 1.0 end_session_endpoint; filled
        from discovery when empty. Used by Session::signOutWithOptions()
        with Session::SignOutOption::EndProviderSession.
    */
    QUrl endSessionEndpoint;

    //! The client's id (RFC 6749 §2.2).
    QString clientId;
    /*!
        A client secret, for providers that issue one to native apps although
        an app cannot keep it secret (Google's "Desktop app" clients; RFC 8252
        §8.5) and refuse the app without it. Empty (the default): a public
        client. Sent on token, revocation and device-authorization requests
        with client_secret_basic or client_secret_post (RFC 6749 §2.3.1),
        chosen from tokenEndpointAuthMethods. Kept with the refresh token in
        the account's secure record at sign-in, so a later restore() needs it
        no more; never logged, never in a property.
    */
    std::shared_ptr<const SecretBytes> clientSecret;
    /*!
        The provider's token_endpoint_auth_methods_supported (RFC 8414 §2),
        filled from discovery when empty. With a clientSecret the SDK uses
        client_secret_basic when listed or when the list is empty (the RFC
        8414 default), else client_secret_post. Also used for the device
        authorization endpoint (RFC 8628 §3.1).
    */
    QStringList tokenEndpointAuthMethods;
    /*!
        revocation_endpoint_auth_methods_supported (RFC 8414 §2), filled from
        discovery when empty; empty: as tokenEndpointAuthMethods. When it
        lacks "none" and there is no clientSecret, signOut() does not send the
        refresh token (the server would refuse it) and reports InvalidClient.
    */
    QStringList revocationEndpointAuthMethods;
    /*!
        The provider's dpop_signing_alg_values_supported (RFC 9449 §5.1),
        filled from discovery when empty; empty: not advertised.
    */
    QStringList dpopSigningAlgValues;
    //! Where a sign-in's DPoP key is made and kept (see DpopKeyStore).
    DpopKeyStore dpopKeyStore;
    //! Requested scopes; sent space-separated (RFC 6749 §3.3). Empty: the server's default.
    QStringList scopes;

    /*!
        Origins (scheme, host, port; path ignored) that receive the bearer token.
        A request to any other origin is sent untouched. Empty: the origin of
        the issuer, or of the token endpoint when there is no issuer.
    */
    QList<QUrl> apiOrigins;

    /*!
        Per-API access tokens (docs/networking.md, "Per-API tokens"). Empty
        (the default): one access token for every origin of apiOrigins, as
        described there. Not empty: each listed origin gets the access token
        of its own resource, fetched on first use and renewed on its own, and
        every other origin (apiOrigins and the issuer included) gets no token
        at all. One refresh token serves them all. The resources are added to
        \c resources, so that the authorization request names them (RFC 8707
        §2.1; Session::config() shows them there), and the first audience
        fills \c audience when that is empty. A resource that is not an
        absolute URI without a fragment makes the requests to its origin fail
        with InvalidConfiguration; the server's invalid_target (RFC 8707 §2)
        fails them with Error::InvalidTarget, and the session is kept.
        OAuth transport only (RefreshTransportKind::Cookie refuses them).
    */
    QList<ApiResource> apiResources;

    /*!
        Secure-storage namespace, e.g. the application's reverse-DNS id. Empty
        (the default): a name derived from the client id and the issuer (or
        token endpoint), so that no two applications share one by accident
        (effectiveStorageService()). Set it to keep sessions an earlier
        release stored under a name of your choosing.
    */
    QString storageService;
    //! Account name inside storageService; one stored session per account.
    QString account = QStringLiteral("default");
    //! Where the refresh token is kept; platform secure storage unless the app opts out.
    StoragePolicy storagePolicy = StoragePolicy::Required;
    /*!
        What a sign-in does when the server signed the user in but the record
        cannot be written where storagePolicy says (no Secret Service, a
        locked or refusing keychain). StoragePolicy::Required (the default):
        the sign-in fails with the storage error and the refresh token is
        revoked, so nothing live is left anywhere. StoragePolicy::SessionOnly:
        the session is kept in memory for this process instead (the user
        signs in again next start), reported with errorOccurred() (the
        storage error, ErrorInfo::sessionKept true) before SignedIn;
        storageBackend() then says "memory". Never a silent downgrade: the
        application asks for it here.
    */
    StoragePolicy storageFallback = StoragePolicy::Required;
    /*!
        A store to use instead of the one storagePolicy selects (tests, custom
        backends). Shared so that it outlives every call the session makes.
    */
    std::shared_ptr<SecretStore> secretStore;
    //! StoragePolicy::EncryptedFile: the file (created with mode 0600).
    QString encryptedFilePath;
    //! StoragePolicy::EncryptedFile: the passphrase the file key is derived from.
    std::shared_ptr<const SecretBytes> encryptedFilePassphrase;

    /*!
        How long before expiry the access token is renewed. Zero (default):
        a quarter of the token's lifetime, at least 5 s and at most 5 minutes.
        Whatever is set, the lead is at most half the lifetime.

        The lead is the time a failed renewal has to be retried while the
        current access token still works; its cost is renewals: about
        lifetime / (lifetime - lead) refresh grants per token lifetime.
        Sub-second values are allowed for short-lived tokens. An access token
        is not sent in its last second, or in its last lead time when that is
        shorter; a lead below the round trip to the resource server lets
        requests meet 401s (each still absorbed by one shared refresh and a
        retry). `std::chrono::seconds` converts implicitly.
    */
    std::chrono::milliseconds refreshLeadTime {0};

    /*!
        Opens the authorization URL in the user's browser for
        Session::signInWithBrowser(); returns false when no browser could be
        started. The core library does not link QtGui: a GUI application sets
        it to QDesktopServices::openUrl. The URL carries one-time values
        (state, nonce, PKCE challenge): hand it to the browser, do not log it.
    */
    std::function<bool(const QUrl &authorizationUrl)> openBrowser;
    //! Where the browser is sent back to: a listener on this loopback interface.
    LoopbackRedirectHost redirectHost = LoopbackRedirectHost::IPv4;
    /*!
        Ports the redirect listener tries in order, for providers that compare
        redirect URIs as exact strings (Keycloak, "web" clients): a port that
        another program holds is skipped; when every one is taken the sign-in
        fails with NetworkError naming them. Empty (the default): an
        ephemeral port (RFC 8252 §7.3).
    */
    QList<quint16> redirectPorts;
    /*!
        The path of the redirect URI ("/callback" by default): "/" and then
        letters, digits and - . _ ~ / only (InvalidConfiguration otherwise).
    */
    QString redirectPath = QStringLiteral("/callback");
    /*!
        A private-use URI scheme redirect (RFC 8252 §7.1) instead of the
        loopback listener: `com.example.app:/callback`, a reverse-DNS scheme
        with a period and a single slash (checkPrivateUseRedirectUri() in
        <securetokens/schemeredirect.h>; InvalidConfiguration otherwise).
        The browser sign-in then sends it as redirect_uri and waits for the
        redirect URL to reach Session::handleRedirect(): from
        QDesktopServices::setUrlHandler on Android, iOS and macOS, or, on
        Linux and Windows, from a second instance of the app through
        forwardRedirect() (the sign-in listens for it on a local socket
        private to the user). redirectHost, redirectPorts and redirectPath
        are then unused. Empty (the default): the loopback listener.
    */
    QUrl redirectUri;

    // What the browser sign-in's authorization request carries besides the
    // SDK's own parameters (docs/providers.md, "Extra parameters").
    /*!
        OpenID Connect Core §3.1.2.1 prompt ("login", "consent",
        "select_account", "none"; space-separated). Empty (the default):
        "consent" when scopes holds offline_access (OIDC Core §11: without
        it a provider may issue no refresh token), else none.
    */
    QString prompt;
    //! OIDC Core §3.1.2.1 login_hint: the account to preselect (an email address, say).
    QString loginHint;
    //! OIDC Core §3.1.2.1 acr_values, sent space-separated.
    QStringList acrValues;
    /*!
        OIDC Core §3.1.2.1 max_age in seconds; unset (the default): not sent.
        When set, a browser sign-in's ID token must carry an auth_time at
        most this long ago (plus idTokenClockSkew): OIDC Core §2, §3.1.3.7
        item 13; else IdTokenRejected.
    */
    std::optional<std::chrono::seconds> maxAge;
    //! OIDC Core §3.1.2.1 ui_locales (BCP 47 tags), sent space-separated.
    QStringList uiLocales;
    /*!
        Auth0's "audience": the API the access tokens are for (otherwise
        Auth0 issues opaque userinfo tokens). Sent in the authorization
        request only; the grant keeps it for the code exchange and refreshes.
    */
    QString audience;
    /*!
        RFC 8707 resource indicators (absolute URIs without a fragment): sent
        in the authorization request (§2.1) and the code exchange (§2.2).
        Refresh requests leave them out, so the server applies the grant's.
    */
    QStringList resources;
    /*!
        Any other authorization request parameter, by name. Names the SDK
        sets (state, nonce, code_challenge, code_challenge_method,
        redirect_uri, client_id, response_type, scope, request_uri, request,
        client_secret, dpop_jkt) and those with a field above are refused with
        InvalidConfiguration naming the parameter.
    */
    QMap<QString, QString> extraAuthorizationParameters;
    /*!
        RFC 9126 pushed authorization request endpoint, filled from discovery
        (pushed_authorization_request_endpoint) when empty. When PAR is used
        the parameters above are POSTed there (with client authentication
        when there is a clientSecret) and the browser opens a URL that holds
        only client_id and the request_uri the provider returned.
    */
    QUrl pushedAuthorizationRequestEndpoint;
    /*!
        Push the authorization request whenever an endpoint is known (true,
        the default); false: only when the provider's metadata says
        require_pushed_authorization_requests (RFC 9126 §5), which always wins.
    */
    bool usePushedAuthorizationRequests = true;
    /*!
        DPoP for sign-in, refresh, revocation and pushed authorization requests
        (RFC 9449): a fresh P-256 key per sign-in, kept in the secure record
        with the refresh token and restored with it. A stored session that is
        DPoP-bound keeps using its key whatever this says; DpopMode::Required
        also refuses a stored session without a key (DPoPKeyMissing). (Declared
        beside the other one-byte settings: the struct stays compact.)
    */
    DpopMode dpop = DpopMode::IfSupported;
    //! How long signInWithBrowser() waits for the browser to come back.
    std::chrono::seconds browserTimeout {300};
    //! Allowed difference between this machine's clock and the provider's for ID tokens.
    std::chrono::seconds idTokenClockSkew {120};
    /*!
        Audiences besides clientId that an ID token's "aud" may name. Empty
        (the default): an ID token whose aud holds anything but clientId is
        rejected with IdTokenRejected, whatever its azp says (OpenID Connect
        Core §3.1.3.7 item 3: reject a token with additional audiences the
        client does not trust). List here, for example, the provider's own
        API's client id when the provider adds it.
    */
    QStringList trustedAudiences;

    //! OAuth (default) or a cookie-based web-app backend.
    RefreshTransportKind transport = RefreshTransportKind::OAuth;
    /*!
        RefreshTransportKind::Cookie: the base URL under which "login",
        "refresh" and "logout" live (e.g. https://app.example/auth). The three
        URLs below, when set, override the defaults derived from it.
    */
    QUrl cookieAuthBase;
    QUrl cookieLoginUrl; //!< POST JSON {username, password}; default cookieAuthBase/login
    QUrl cookieRefreshUrl; //!< POST with cookie and CSRF header; default cookieAuthBase/refresh
    QUrl cookieLogoutUrl; //!< POST with cookie and CSRF header; default cookieAuthBase/logout
    //! The header that carries the CSRF token on refresh and logout.
    QByteArray csrfHeaderName = QByteArrayLiteral("X-CSRF-Token");
    //! The name of the refresh cookie the backend sets.
    QByteArray refreshCookieName = QByteArrayLiteral("refresh_token");

    //! Time limit for one request to the authorization server.
    std::chrono::milliseconds requestTimeout {30000};
    //! Largest token-endpoint response body accepted (bytes).
    qint64 maxResponseBytes = qint64(64) * 1024;

    //! The origins that receive the bearer token, after applying the defaults above.
    QList<QUrl> effectiveApiOrigins() const;

    /*!
        storageService, or when it is empty "securetokens-" and 16 hex digits
        of SHA-256 over the transport, the issuer (else the token endpoint or
        the cookie backend) and the client id: distinct per client and
        server, and without either in the clear, since other processes can
        list keyring entry names.
    */
    QString effectiveStorageService() const;
};

/*!
    True when \a url is plain http to a host that is not a loopback address
    (127.0.0.0/8, ::1, "localhost"): the SDK refuses to send credentials there.
*/
SECURETOKENS_EXPORT bool isInsecureTransport(const QUrl &url);

//! scheme://host:port of \a url, with the scheme's default port filled in; lower-case host.
SECURETOKENS_EXPORT QString originOf(const QUrl &url);

} // namespace SecureTokens
