// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/sessionconfig.h>

#include <QString>
#include <QStringList>

#include <optional>

namespace Cli {

/*!
    What `securetokens login` remembers about an account, in a plain INI file
    ($SECURETOKENS_CONFIG, else the user's config directory). Only
    configuration lives here; tokens go to secure storage, never to this file.
*/
struct AccountSettings
{
    QString account;
    SecureTokens::SessionConfig config;
    QString store; //!< "keychain" or "memory"
    QString user; //!< the user name given at login, for `status`
    /*!
        A DPoP key on a PKCS#11 token (config.dpopKeyStore: kind, module,
        token label; never the PIN): the key's RFC 7512 URI and RFC 7638
        thumbprint at login, so that `status` shows the jkt without the PIN
        (only while the record still names that key). Public values.
    */
    QString dpopKeyReference;
    QString dpopJkt;
};

/*!
    `--api-resource ORIGIN[=RESOURCE]` (and the settings file's api_resources):
    an API origin (http or https, a host, no path beyond "/", no query) with
    the resource its token is for, the origin itself when none is given.
    Nothing when \a argument does not start with an origin.
*/
std::optional<SecureTokens::ApiResource> apiResourceFromArgument(const QString &argument);

//! The storage service name the CLI's refresh tokens are kept under.
QString storageService();

QString settingsPath();
void save(const AccountSettings &settings);
std::optional<AccountSettings> load(const QString &account);
void forget(const QString &account);
//! The accounts the settings file has settings for ('/' in a name reads back as '_').
QStringList configuredAccounts();

} // namespace Cli
