// SPDX-License-Identifier: MIT
#pragma once

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the browser
// goes to the provider's end_session_endpoint and comes back to a loopback
// listener with the state it was given.

#include "loopbackredirectlistener_p.h"

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>

#include <QObject>
#include <QTimer>

#include <functional>

namespace SecureTokens {

class SignInHost;
class SignInFlows;

/*!
    \internal
    One provider sign-out, after the local one (Session::signOutWithOptions()
    with EndProviderSession). Ends exactly once through its callback: {} when
    the browser came back with our state, else why not (InvalidConfiguration:
    no end_session_endpoint or no way to open a browser; StateMismatch;
    Timeout). Deletes itself afterwards. Unlike a sign-in it does not stop
    when the session moves on: the local sign-out is already complete.
*/
class EndSessionFlow final : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const ErrorInfo &error)>;

    EndSessionFlow(SignInHost *host, SignInFlows *flows, SecretBytes idToken, Done done);
    ~EndSessionFlow() override;

    //! Discovery when the endpoint must come from it, then the browser; never inside the call.
    void start();

private:
    Q_DISABLE_COPY_MOVE(EndSessionFlow)

    void begin();
    LoopbackRedirectListener::Verdict onCallback(const RedirectRequest &request);
    void finish(const ErrorInfo &error);

    SignInHost *const m_host;
    SignInFlows *const m_flows;
    SecretBytes m_idToken;
    SecretBytes m_state;
    Done m_done;
    LoopbackRedirectListener m_listener;
    QTimer m_timeout;
    bool m_finished = false;
};

} // namespace SecureTokens
