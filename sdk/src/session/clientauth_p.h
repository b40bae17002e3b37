// SPDX-License-Identifier: MIT
#pragma once

// Client authentication for clients that hold a secret (RFC 6749 §2.3.1),
// chosen from what the provider advertises (RFC 8414 §2). Native apps are
// public clients; some providers still hand them a secret that is not one
// (Google's "Desktop app" clients; RFC 8252 §8.5), and refuse them without it.

#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace SecureTokens {

//! How a request to the token, revocation or device endpoint authenticates the client.
enum class ClientAuthMethod : quint8 {
    None, //!< a public client: client_id in the body only
    SecretBasic, //!< client_secret_basic: HTTP Basic with the form-encoded id and secret
    SecretPost, //!< client_secret_post: client_secret in the form body
};

/*!
    \internal
    The method for a client with or without a secret. Without one: None.
    With one: client_secret_basic when \a advertised lists it or is empty
    (RFC 8414 §2: the default when the provider says nothing), else
    client_secret_post when listed, else client_secret_basic (the method every
    server must support, RFC 6749 §2.3.1; the server's refusal then says why).
*/
SECURETOKENS_EXPORT ClientAuthMethod chooseClientAuth(const QStringList &advertised,
                                                      bool hasSecret);

/*!
    \internal
    The Authorization header value for client_secret_basic: "Basic " and the
    base64 of the form-encoded id, ":" and the form-encoded secret (RFC 6749
    §2.3.1, Appendix B). It holds the secret: the caller wipes it (secureWipe).
*/
SECURETOKENS_EXPORT QByteArray basicAuthorization(const QString &clientId,
                                                  const SecretBytes &secret);

/*!
    \internal
    Appends \a value form-encoded (RFC 6749 Appendix B: unreserved characters
    as they are, the rest percent-encoded) to \a out, byte by byte, with no
    temporary copy: usable for secrets when \a out has room reserved.
*/
SECURETOKENS_EXPORT void appendFormEncoded(QByteArray &out, QByteArrayView value);

/*!
    \internal
    Whether a client without a secret can use an endpoint whose advertised
    methods are \a advertised: true when the list is empty (unknown) or has "none".
*/
SECURETOKENS_EXPORT bool acceptsPublicClients(const QStringList &advertised);

} // namespace SecureTokens
