// SPDX-License-Identifier: MIT
#pragma once

#include "tokenresponse_p.h"

#include <securetokens/error.h>
#include <securetokens/session.h>

#include <QVariantMap>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace SecureTokens {

class RefreshTransport;
class TokenEndpointClient;

/*!
    \internal
    What a sign-in flow (signin/) may do with the session it signs in to: the
    narrow interface SessionPrivate offers the sign-in layer, so that no flow
    reaches into the session's state. Called on the session's thread only.

    Every sign-in goes beginSignIn() → (requests, with setInFlightReply()) →
    finishSignIn(), exactly once, with the epoch() it began in. When the epoch
    has moved on (sign-out, cancel, destruction), the session ignores the
    finish and the flow stops.
*/
class SignInHost
{
public:
    virtual ~SignInHost() = default;

    //! The Session's own configuration; discovery fills its empty endpoints.
    virtual SessionConfig &config() = 0;
    //! Talks to the authorization server (never the application's manager).
    virtual QNetworkAccessManager *network() const = 0;
    virtual TokenEndpointClient &tokenEndpoint() = 0;
    //! The refresh transport (OAuth, or the cookie transport's login).
    virtual RefreshTransport &refreshTransport() = 0;
    //! The public object, for its state and its signals (stateChanged(), deviceCodeReady()).
    virtual Session *session() const = 0;
    //! Moves on whenever an operation is abandoned (sign-out, cancel, destruction).
    virtual quint64 epoch() const = 0;

    /*!
        Common entry of every sign-in: checks the state and \a configError
        (reported later, never inside the call) and moves to SigningIn.
        Returns false when the sign-in must not start.
    */
    virtual bool beginSignIn(const ErrorInfo &configError) = 0;
    /*!
        Entry of a sign-in that adds to the session held (Session::stepUp(),
        requestScopes()): the session must be signed in with a refresh
        token and no other interactive sign-in may run; it stays SignedIn
        and its requests go on meanwhile. \a scopes are the ones requested
        (the record's scope when the answer names none). finishSignIn() then
        replaces the record (same user only) or reports the error and keeps
        the old one. Returns false (the error reported later) when it must
        not start.
    */
    virtual bool beginReauthentication(const ErrorInfo &configError, const QStringList &scopes) = 0;
    //! A sign-in begun with beginReauthentication() is under way.
    virtual bool isReauthenticating() const = 0;
    //! The request now on the wire for the sign-in (aborted when it is abandoned).
    virtual void setInFlightReply(QNetworkReply *reply) = 0;
    virtual QNetworkReply *inFlightReply() const = 0;
    /*!
        Common exit of every sign-in: stores the refresh credential (store
        before use; a storage failure fails the sign-in and revokes it),
        installs the access token and \a idTokenClaims (verified) and ends in
        SignedIn, or reports \a error. Ignored when \a epoch is not current.
    */
    virtual void finishSignIn(quint64 epoch, const ErrorInfo &error, TokenResponse response,
                              const QVariantMap &idTokenClaims = {})
            = 0;
    //! Abandons the sign-in under way: nothing still on the wire may complete it.
    virtual void abandonSignIn() = 0;
    //! Reports \a error through errorOccurred(), later (never inside the calling function).
    virtual void reportErrorLater(const ErrorInfo &error) = 0;
    virtual void reportError(const ErrorInfo &error) = 0;

    //! The sign-in layer's per-session state, owned by the session, opaque to it.
    class Extension
    {
    public:
        Extension() = default;
        virtual ~Extension();
        Q_DISABLE_COPY_MOVE(Extension)
    };
    //! Where the sign-in layer keeps its Extension (empty until it creates one).
    virtual std::unique_ptr<Extension> &signInExtension() = 0;

protected:
    SignInHost() = default;
    Q_DISABLE_COPY_MOVE(SignInHost)
};

} // namespace SecureTokens
