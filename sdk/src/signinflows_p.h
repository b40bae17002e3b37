// SPDX-License-Identifier: MIT
#pragma once

namespace SecureTokens {

/*!
    \internal
    Per-session state of the interactive sign-in flows (browser + PKCE with a
    loopback redirect, device authorization grant, cookie login). Owned by
    SessionPrivate::m_flows.
*/
class SignInFlows
{
public:
    virtual ~SignInFlows() = default;
};

} // namespace SecureTokens
