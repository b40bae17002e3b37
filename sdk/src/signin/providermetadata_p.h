// SPDX-License-Identifier: MIT
#pragma once

// Authorization server metadata (OpenID Connect Discovery 1.0, RFC 8414):
// parseProviderMetadata() is a pure function over untrusted input with a size
// limit (a fuzz target).

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace SecureTokens {

//! Largest metadata document accepted, in bytes.
inline constexpr qint64 maxMetadataBytes = qint64(64) * 1024;

//! The fields of a provider's metadata the SDK uses.
struct ProviderMetadata
{
    QString issuer;
    QUrl authorizationEndpoint;
    QUrl tokenEndpoint;
    QUrl revocationEndpoint;
    QUrl deviceAuthorizationEndpoint;
    QUrl jwksUri;
    QUrl userinfoEndpoint; //!< OpenID Connect Core §5.3; empty: not advertised
    QUrl endSessionEndpoint; //!< RP-Initiated Logout 1.0 §2.1; empty: not advertised
    QUrl pushedAuthorizationRequestEndpoint; //!< RFC 9126 §5
    //! RFC 9126 §5: authorization requests are accepted only when pushed.
    bool requirePushedAuthorizationRequests = false;
    QStringList codeChallengeMethods; //!< empty: not advertised
    QStringList idTokenSigningAlgs; //!< empty: not advertised
    QStringList tokenEndpointAuthMethods; //!< RFC 8414 §2; empty: not advertised
    QStringList revocationEndpointAuthMethods; //!< RFC 8414 §2; empty: not advertised
    QStringList dpopSigningAlgValues; //!< RFC 9449 §5.1; empty: not advertised
    //! RFC 9207 §3: the provider adds "iss" to authorization responses.
    bool issParameterSupported = false;
};

/*!
    Parses a metadata document. Rules (OpenID Connect Discovery 1.0 §4.3,
    RFC 8414 §3.3): a JSON object of at most maxMetadataBytes; "issuer" equal
    to \a expectedIssuer character for character; a token_endpoint; every
    endpoint an absolute https URL, or http on a loopback address only.
    Returns the error (InvalidConfiguration, InsecureTransport or
    MalformedResponse) and leaves \a out untouched on failure.
*/
SECURETOKENS_EXPORT ErrorInfo parseProviderMetadata(QByteArrayView body,
                                                    const QString &expectedIssuer,
                                                    ProviderMetadata *out);

/*!
    The URLs where \a issuer's metadata may be found, in the order they are
    tried: "<issuer>/.well-known/openid-configuration" (OIDC Discovery §4.1),
    then "<origin>/.well-known/oauth-authorization-server<issuer path>"
    (RFC 8414 §3.1).
*/
SECURETOKENS_EXPORT QList<QUrl> metadataUrlsFor(const QUrl &issuer);

//! The issuer as compared with the document's "issuer" (its string form, unchanged).
SECURETOKENS_EXPORT QString issuerString(const QUrl &issuer);

} // namespace SecureTokens
