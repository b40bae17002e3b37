// SPDX-License-Identifier: MIT
#pragma once

/*!
    \file
    Private-use URI scheme redirects (RFC 8252 §7.1): the app's own scheme
    (`com.example.app:/oauth2redirect`) instead of a loopback listener; and
    claimed https redirects (§7.2: Android App Links, iOS/macOS universal
    links), `https://app.example.com/oauth2redirect`, delivered the same way
    on Android, iOS and macOS.

    Set SessionConfig::redirectUri to such a URI. The browser sign-in then
    sends it as redirect_uri and waits for the redirect URL to be *delivered*
    to Session::handleRedirect():

    \list
    \li Android, iOS, macOS: the OS starts (or wakes) the app with the URL and
        Qt hands it to a handler registered with
        `QDesktopServices::setUrlHandler(scheme, receiver, "method")` (QtGui;
        the core library does not link it). The app's method calls
        `session->handleRedirect(url)`. The scheme must be declared in the
        AndroidManifest intent filter or Info.plist `CFBundleURLTypes`
        (docs/platforms.md).
    \li Linux, Windows: the browser starts a *second instance* of the app with
        the URL as its argument. While a sign-in waits, the first instance
        listens on a local socket private to the user (see forwardRedirect());
        the second instance calls forwardRedirect() first thing in main(),
        which hands the URL over and tells it to exit. The scheme is
        registered with registerUriScheme().
    \endlist
*/

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>

#include <QString>
#include <QStringList>
#include <QUrl>

namespace SecureTokens {

/*!
    Checks that \a uri is a private-use URI scheme redirect as RFC 8252 §7.1
    describes it: a scheme with a period (reverse DNS of a domain the app's
    publisher controls, RFC 3986 §3.1 syntax), then ":/" and a path with a
    single leading slash (no authority), no query and no fragment; at most
    200 characters. Returns InvalidConfiguration with the reason otherwise.
*/
SECURETOKENS_EXPORT ErrorInfo checkPrivateUseRedirectUri(const QUrl &uri);

/*!
    Checks that \a uri is a claimed https redirect as RFC 8252 §7.2 describes
    it: scheme https, a host that is not loopback (127.0.0.0/8, ::1,
    localhost: that is the loopback listener's job, §7.3, with
    SessionConfig::redirectUri left empty), no user information, no query and
    no fragment (RFC 6749 §3.1.2: the response's parameters go in the query);
    at most 200 characters. Returns InvalidConfiguration with the reason
    otherwise. The app must claim the URI with the OS (docs/platforms.md:
    App Links with `android:autoVerify` and assetlinks.json, the
    associated-domains entitlement and apple-app-site-association); Linux
    and Windows have no such claim.
*/
SECURETOKENS_EXPORT ErrorInfo checkClaimedHttpsRedirectUri(const QUrl &uri);

/*!
    The check SessionConfig::redirectUri gets: checkClaimedHttpsRedirectUri()
    for an `https:` URI, checkPrivateUseRedirectUri() for any other.
*/
SECURETOKENS_EXPORT ErrorInfo checkAppRedirectUri(const QUrl &uri);

/*!
    The second instance's side of the Linux and Windows redirect hand-over.

    Looks for an argument in \a arguments (the first one, the program, is
    skipped) that is a URL of a private-use scheme in \a schemes (compared
    case-insensitively; empty: any scheme checkPrivateUseRedirectUri() would
    take) with a query (the response's parameters, RFC 6749 §4.1.2).
    When there is none, returns false at once: start the app as usual.
    Otherwise connects to the local socket the first instance listens on
    during a sign-in with that scheme (named for the scheme and the user,
    in a directory private to the user; on Linux the server's uid is checked
    with SO_PEERCRED), sends the URL, waits at most 5 seconds for the
    verdict and returns true: the process should exit.

    \a outcome, when given, tells what became of the URL: NoError when the
    sign-in took it; StateMismatch when it was refused (not this sign-in's
    state, or the sign-in had its response already); NotSignedIn when no
    sign-in waits for a redirect of that scheme; Timeout, NetworkError.
*/
SECURETOKENS_EXPORT bool forwardRedirect(const QStringList &arguments,
                                         const QStringList &schemes = {},
                                         ErrorInfo *outcome = nullptr);
//! forwardRedirect() with main()'s arguments (decoded as the locale's 8-bit encoding).
SECURETOKENS_EXPORT bool forwardRedirect(int argc, char **argv, const QStringList &schemes = {},
                                         ErrorInfo *outcome = nullptr);

//! What registerUriScheme() registers.
struct SchemeRegistration
{
    //! The private-use scheme, e.g. "com.example.app" (RFC 8252 §7.1).
    QString scheme;
    //! The program the browser starts with the URL (an absolute path).
    QString executable;
    //! Arguments before the URL (e.g. none; the URL is always the last argument).
    QStringList arguments;
    /*!
        Linux: the .desktop file's base name (letters, digits, - _ .), e.g.
        "com.example.app-redirect"; the file is NAME.desktop. Empty: the
        scheme followed by "-redirect".
    */
    QString desktopName;
    //! Shown by desktops in "open with" lists.
    QString displayName;
};

/*!
    Makes the OS start \a registration's executable with URLs of its scheme
    (the second instance, which calls forwardRedirect()). For the user only,
    no administrator rights.

    \list
    \li Linux (freedesktop): writes NAME.desktop with
        `MimeType=x-scheme-handler/SCHEME` and `NoDisplay=true` into
        $XDG_DATA_HOME/applications (default ~/.local/share/applications),
        then runs `xdg-mime default NAME.desktop x-scheme-handler/SCHEME`
        (xdg-utils) and waits at most 10 seconds for it.
    \li Windows: `HKCU\Software\Classes\SCHEME` with "URL Protocol" and
        `shell\open\command` = `"EXE" ARGS "%1"` (not run in CI here).
    \li macOS, iOS, Android: declared in Info.plist / AndroidManifest.xml at
        build time; returns InvalidConfiguration saying so.
    \endlist

    Returns InvalidConfiguration for a scheme checkPrivateUseRedirectUri()
    refuses or a missing executable, StorageFailed when the file or the
    registry could not be written or xdg-mime failed (its message included).
*/
SECURETOKENS_EXPORT ErrorInfo registerUriScheme(const SchemeRegistration &registration);

} // namespace SecureTokens
