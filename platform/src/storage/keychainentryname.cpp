// SPDX-License-Identifier: MIT
#include "keychainentryname.h"

namespace SecureTokens::Internal {

namespace {

//! '%' first, so that the escapes added for '/' are not escaped again.
QString escapeSeparator(QString part)
{
    part.replace(QLatin1Char('%'), QLatin1String("%25"));
    part.replace(QLatin1Char('/'), QLatin1String("%2F"));
    return part;
}

} // namespace

QString flatEntryName(const QString &service, const QString &account)
{
    return escapeSeparator(service) + QLatin1Char('/') + escapeSeparator(account);
}

} // namespace SecureTokens::Internal
