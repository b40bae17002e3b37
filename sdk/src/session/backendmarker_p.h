// SPDX-License-Identifier: MIT
#pragma once

// Which storage backend holds an account's record, kept outside that backend.
//
// On a Linux desktop QtKeychain picks KWallet or the Secret Service from the
// session it finds (XDG_CURRENT_DESKTOP, QTKEYCHAIN_BACKEND, which daemon
// answers); a start under another desktop, or after an update that changed
// the choice, looks into an empty backend (QtKeychain issues #99 and #242).
// Without a note of where the record went that looks like "signed out", and
// the user signs in again while the old record lies unused in the other
// backend. The note cannot live in the backend itself (the other backend
// cannot be asked), so it is a small file per storage namespace and account:
//
//   <GenericDataLocation>/securetokens/backends/<SHA-256 of namespace and account, hex>
//
// holding only the backend's name ("kwallet", "secret-service", ...): no
// token, no account name (the file name is a hash), directory 0700, file
// 0600. A neighbour who can write there is the same user, who can delete the
// keyring entry anyway: the worst a forged note does is report
// StorageBackendChanged instead of "signed out" (docs/security-model.md).
// Stores whose records do not outlive the process ("memory") get no note.

#include <securetokens/securetokens_export.h>

#include <QString>

namespace SecureTokens::Internal {

//! The note's path for \a storageNamespace (refreshLockNamespace) and \a account.
QString backendMarkerPath(const QString &storageNamespace, const QString &account);

//! The backend named in the note; empty when there is none or it is unreadable.
//! (Exported for the CLI's `status`, which reads the record without a Session.)
SECURETOKENS_EXPORT QString readBackendMarker(const QString &storageNamespace,
                                              const QString &account);

/*!
    Notes that \a backend holds the record (after a successful write); does
    nothing for "memory" or when the note says so already. False (and a
    warning, the path only) when the file could not be written: the record is
    stored all the same, only a later backend change would read as signed out.
*/
bool writeBackendMarker(const QString &storageNamespace, const QString &account,
                        const QString &backend);

//! Removes the note (the record was removed, or is known to be gone).
void removeBackendMarker(const QString &storageNamespace, const QString &account);

} // namespace SecureTokens::Internal
