// SPDX-License-Identifier: MIT
#pragma once

#include "session/refreshtransport_p.h"

#include <QString>
#include <QUrl>

namespace SecureTokens {

/*!
    \internal
    Refresh and revocation for web-app style backends that keep the refresh
    token in an HttpOnly cookie and protect state-changing calls with a CSRF
    header. The stored credential is an envelope (cookietransportparsing_p.h)
    holding the cookie value and the current CSRF token; every refresh returns
    a new envelope as TokenResponse::refreshToken, so the Session stores the
    rotated cookie before it uses the new access token.

    Cookies never go through a QNetworkCookieJar: the Cookie header is built
    here and Set-Cookie parsed here (the jar would keep the secret in memory
    outside SecretBytes, and would not send a Secure cookie over loopback http).
*/
class CookieRefreshTransport final : public RefreshTransport
{
public:
    CookieRefreshTransport(QNetworkAccessManager *nam, const SessionConfig *config);

    ErrorInfo check() const override;
    QNetworkReply *refresh(const SecretBytes &credential, QObject *context,
                           TokenCallback done) override;
    bool canRevoke() const override;
    QNetworkReply *revoke(const SecretBytes &credential, QObject *context,
                          DoneCallback done) override;

    //! POSTs JSON {username, password} to the login URL.
    QNetworkReply *login(const QString &username, const SecretBytes &password, QObject *context,
                         TokenCallback done);

    QUrl loginUrl() const;
    QUrl refreshUrl() const;
    QUrl logoutUrl() const;

private:
    QNetworkReply *send(const QUrl &url, const QByteArray &jsonBody, const SecretBytes *credential,
                        QObject *context, TokenCallback done, bool expectTokens);

    QNetworkAccessManager *m_nam;
    const SessionConfig *m_config;
};

} // namespace SecureTokens
