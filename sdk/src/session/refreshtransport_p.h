// SPDX-License-Identifier: MIT
#pragma once

#include "apiresources_p.h"
#include "tokenclient_p.h"

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>

#include <functional>
#include <memory>

class QNetworkAccessManager;
class QNetworkReply;
class QObject;

namespace SecureTokens {

/*!
    \internal
    How a stored refresh credential becomes fresh tokens, and how it is revoked.
    The Session's state machine (single flight, store before use, error
    classification) is the same whatever the transport:

    - OAuthRefreshTransport: RFC 6749 §6 refresh_token grant, RFC 7009 revocation;
    - a cookie transport (web-app style backends) implements the same interface.

    The credential is whatever the transport needs to refresh, as one secret:
    an OAuth refresh token, or an envelope holding a cookie and a CSRF token.
*/
class RefreshTransport
{
public:
    using TokenCallback = TokenEndpointClient::TokenCallback;
    using DoneCallback = TokenEndpointClient::DoneCallback;

    virtual ~RefreshTransport();

    //! Configuration problems that make refresh impossible (checked before each use).
    virtual ErrorInfo check() const = 0;
    //! Exchanges \a credential for new tokens; \a done runs exactly once unless \a context dies.
    virtual QNetworkReply *refresh(const SecretBytes &credential, QObject *context,
                                   TokenCallback done)
            = 0;
    /*!
        Like refresh(), for one API's access token (SessionConfig::apiResources):
        the grant names \a target's resource, audience and scopes. The default
        answers InvalidConfiguration (later): a transport without per-API
        tokens.
    */
    virtual QNetworkReply *refreshForResource(const SecretBytes &credential,
                                              const ApiResourceMap::Slot &target, QObject *context,
                                              TokenCallback done);
    //! Whether revoke() can tell the server (false: sign-out is local only).
    virtual bool canRevoke() const = 0;
    //! Revokes \a credential server-side; \a done runs exactly once unless \a context dies.
    virtual QNetworkReply *revoke(const SecretBytes &credential, QObject *context,
                                  DoneCallback done)
            = 0;

protected:
    RefreshTransport() = default;

private:
    Q_DISABLE_COPY_MOVE(RefreshTransport)
};

//! RFC 6749 §6 refresh and RFC 7009 revocation against the configured endpoints.
class OAuthRefreshTransport final : public RefreshTransport
{
public:
    OAuthRefreshTransport(TokenEndpointClient *client, const SessionConfig *config);

    ErrorInfo check() const override;
    QNetworkReply *refresh(const SecretBytes &credential, QObject *context,
                           TokenCallback done) override;
    QNetworkReply *refreshForResource(const SecretBytes &credential,
                                      const ApiResourceMap::Slot &target, QObject *context,
                                      TokenCallback done) override;
    bool canRevoke() const override;
    QNetworkReply *revoke(const SecretBytes &credential, QObject *context,
                          DoneCallback done) override;

private:
    TokenEndpointClient *m_client;
    const SessionConfig *m_config;
};

} // namespace SecureTokens
