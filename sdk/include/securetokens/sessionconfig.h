// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <memory>

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

/*!
    Everything a Session needs to know. A plain value type: fill it in, hand it
    to Session's constructor.

    Minimal configuration: tokenEndpoint (or issuer, from which
    "<issuer>/oauth/token" style endpoints are *not* guessed: set them) and clientId.
*/
struct SECURETOKENS_EXPORT SessionConfig
{
    //! The authorization server's issuer identifier. Used as the default API origin.
    QUrl issuer;
    //! RFC 6749 §3.2 token endpoint (password, refresh_token and authorization_code grants).
    QUrl tokenEndpoint;
    //! RFC 7009 revocation endpoint; when empty, signOut() only wipes locally.
    QUrl revocationEndpoint;

    //! The public client's id (RFC 6749 §2.2). No client secret: native apps are public clients.
    QString clientId;
    //! Requested scopes; sent space-separated (RFC 6749 §3.3). Empty: the server's default.
    QStringList scopes;

    /*!
        Origins (scheme, host, port; path ignored) that receive the bearer token.
        A request to any other origin is sent untouched. Empty: the origin of
        the issuer, or of the token endpoint when there is no issuer.
    */
    QList<QUrl> apiOrigins;

    //! Secure-storage namespace, e.g. the application's reverse-DNS id.
    QString storageService = QStringLiteral("SecureTokens");
    //! Account name inside storageService; one stored session per account.
    QString account = QStringLiteral("default");
    StoragePolicy storagePolicy = StoragePolicy::Required;
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
    */
    std::chrono::seconds refreshLeadTime {0};

    //! Time limit for one request to the authorization server.
    std::chrono::milliseconds requestTimeout {30000};
    //! Largest token-endpoint response body accepted (bytes).
    qint64 maxResponseBytes = 64 * 1024;

    //! The origins that receive the bearer token, after applying the defaults above.
    QList<QUrl> effectiveApiOrigins() const;
};

/*!
    True when \a url is plain http to a host that is not a loopback address
    (127.0.0.0/8, ::1, "localhost"): the SDK refuses to send credentials there.
*/
SECURETOKENS_EXPORT bool isInsecureTransport(const QUrl &url);

//! scheme://host:port of \a url, with the scheme's default port filled in; lower-case host.
SECURETOKENS_EXPORT QString originOf(const QUrl &url);

} // namespace SecureTokens
