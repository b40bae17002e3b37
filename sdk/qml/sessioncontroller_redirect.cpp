// SPDX-License-Identifier: MIT
// SessionController as the app's QDesktopServices URL handler while a browser
// sign-in with SessionConfig::redirectUri waits: Qt hands an Android, iOS or
// macOS app the URL the OS opened it with (a private-use scheme, RFC 8252
// §7.1, or a claimed https link, §7.2) through that handler. The core has no
// QtGui, so the routing to Session::handleRedirect() lives here.
#include <securetokens/qml/sessioncontroller.h>

#include <QDesktopServices>
#include <QLoggingCategory>

namespace SecureTokens::Qml {

namespace {

Q_LOGGING_CATEGORY(lcRedirect, "securetokens.qml.redirect")

//! \a url is the redirect URI with a response: scheme and host without case, port, path.
bool isResponseTo(const QUrl &redirectUri, const QUrl &url)
{
    return url.hasQuery() && url.scheme().compare(redirectUri.scheme(), Qt::CaseInsensitive) == 0
            && url.host().compare(redirectUri.host(), Qt::CaseInsensitive) == 0
            && url.port(443) == redirectUri.port(443)
            && url.path(QUrl::FullyEncoded) == redirectUri.path(QUrl::FullyEncoded);
}

} // namespace

void SessionController::beginRedirectHandling()
{
    const QUrl redirectUri = currentConfig().redirectUri;
    if (redirectUri.isEmpty() || redirectUri.scheme().isEmpty())
        return;
    const QString scheme = redirectUri.scheme().toLower();
    if (!m_urlHandlerScheme.isEmpty() && m_urlHandlerScheme != scheme)
        QDesktopServices::unsetUrlHandler(m_urlHandlerScheme);
    // Replaces the app's own handler of the scheme, if any, for the sign-in.
    QDesktopServices::setUrlHandler(scheme, this, "openRedirectUrl");
    m_urlHandlerScheme = scheme;
    m_redirectSignInStarted = false;
}

void SessionController::endRedirectHandling()
{
    if (m_urlHandlerScheme.isEmpty())
        return;
    QDesktopServices::unsetUrlHandler(m_urlHandlerScheme);
    m_urlHandlerScheme.clear();
    m_redirectSignInStarted = false;
}

void SessionController::openRedirectUrl(const QUrl &url)
{
    if (m_session && isResponseTo(currentConfig().redirectUri, url)) {
        // The session checks state, iss and the rest (RFC 6749 §10.12, RFC
        // 9207); a refused URL is dropped, the sign-in keeps waiting. Never
        // log the URL: its query holds the authorization code.
        if (!m_session->handleRedirect(url))
            qCWarning(lcRedirect,
                      "A redirect to the sign-in's redirect URI was refused "
                      "(not this sign-in's response, or a second one).");
        return;
    }
    // Any other URL of the scheme (the authorization URL itself, when the
    // redirect URI is https): to the system, as without this handler. Called
    // from inside the handler, openUrl() goes to the platform.
    QDesktopServices::openUrl(url);
}

} // namespace SecureTokens::Qml
