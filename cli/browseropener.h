// SPDX-License-Identifier: MIT
#pragma once

#include <QUrl>

namespace Cli {

/*!
    Opens \a url in the user's browser the way git and gh do: with the command
    in $BROWSER when it is set (split like a command line, never run through a
    shell, the URL as its last argument), else xdg-open (open on macOS).
    Always prints the URL to stderr too, for terminals without a browser.
    The URL carries one-time values (state, PKCE challenge); it is shown to the
    user, never logged.
*/
bool openInBrowser(const QUrl &url);

/*!
    Opens \a url like openInBrowser(), but prints \a shown instead: the
    provider sign-out URL is printed without its id_token_hint (the user's
    identity document), which the provider does not need to sign out.
*/
bool openInBrowserShowing(const QUrl &url, const QUrl &shown);

} // namespace Cli
