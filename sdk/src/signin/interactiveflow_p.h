// SPDX-License-Identifier: MIT
#pragma once

#include "idtokenverification_p.h"

#include "session/tokenresponse_p.h"

#include <securetokens/error.h>

#include <QByteArray>
#include <QObject>
#include <QVariantMap>

namespace SecureTokens {

class SignInFlows;
class SignInHost;

/*!
    \internal
    One interactive sign-in (browser or device code): the life cycle both
    share, as KDE's KJob shapes a job.

    \list
    \li start() runs begin() from the event loop, after discovery when the
        endpoints must come from it — never inside the call;
    \li the flow ends exactly once: fail() with an error (Cancelled for
        cancel()), or succeed() with the token response once its ID token is
        verified; either way release() runs, SignInFlows forgets the flow
        (it is deleted later) and the session hears the outcome;
    \li when the session moves on (sign-out, destruction: its epoch changes)
        the flow is stale(): it stops at once and reports nothing.
    \endlist
*/
class InteractiveFlow : public QObject
{
    Q_OBJECT
public:
    InteractiveFlow(SignInHost *host, SignInFlows *flows);
    ~InteractiveFlow() override;

    void start();
    //! Ends the flow with Cancelled.
    void cancel();

protected:
    //! The flow's own first step, once the endpoints are known.
    virtual void begin() = 0;
    //! Stops timers and listeners and wipes one-time secrets; called once, when the flow ends.
    virtual void release() { }

    //! The flow has ended, or the sign-in it belongs to was abandoned.
    bool stale() const;
    //! Ends the flow with \a error (an empty error: abandoned, the session reports nothing).
    void fail(const ErrorInfo &error);
    /*!
        Verifies the ID token in \a response (OpenID Connect Core §3.1.3.7;
        required when \a openIdRequested; \a nonce checked when not empty;
        auth_time and acr as \a requirements say)
        against the provider's keys, then ends the flow: signed in with the
        verified claims, or failed with why.
    */
    void succeed(TokenResponse response, bool openIdRequested, const QByteArray &nonce,
                 const QString &issuerHint = {},
                 const AuthenticationRequirements &requirements = {});

    SignInHost *host() const { return m_host; }
    SignInFlows *flows() const { return m_flows; }

private:
    Q_DISABLE_COPY_MOVE(InteractiveFlow)

    void end(const ErrorInfo &error, TokenResponse response, const QVariantMap &claims);

    SignInHost *const m_host;
    SignInFlows *const m_flows;
    const quint64 m_epoch;
    bool m_finished = false;
};

//! Whether \a scopes asks for OpenID Connect (contains "openid").
bool requestsOpenId(const QStringList &scopes);

} // namespace SecureTokens
