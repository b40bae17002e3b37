// SPDX-License-Identifier: MIT
#pragma once

// The name of a QtKeychain entry where the backend has one flat namespace.
// Platform independent on purpose, so that the rule is tested on every build
// (the only backend that needs it, Windows Credential Manager, is not run here).

#include <QString>

namespace SecureTokens::Internal {

/*!
    The Windows Credential Manager TargetName for (\a service, \a account).
    QtKeychain uses the key alone as the TargetName (keychain_win.cpp), so the
    service has to be part of it. Both parts are percent-escaped ('%' as "%25",
    '/' as "%2F") before they are joined with '/': the name then holds exactly
    one unescaped '/', and no two pairs share one ("a/b" + "c" and "a" + "b/c"
    did before; security review, finding 10). Names without '%' and '/' are
    unchanged, so the default configuration keeps its stored entries.
*/
QString flatEntryName(const QString &service, const QString &account);

} // namespace SecureTokens::Internal
