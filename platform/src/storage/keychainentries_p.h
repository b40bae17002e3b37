// SPDX-License-Identifier: MIT
#pragma once

// One QtKeychain entry at a time: reading, writing and removing it with the
// SDK's timeouts (PendingCall), and every QtKeychain error code mapped to a
// SecretStore::Status in one function. KeychainSecretStore builds whole
// values (possibly over several entries) from these steps.

#include <securetokens/secretbytes.h>
#include <securetokens/secretstore.h>

#include <QString>

#include <functional>

namespace SecureTokens::Internal {

class PendingCall;

using ReadStep = std::function<void(SecretStore::Status status, const QString &message,
                                    SecretBytes secret)>;
using Step = std::function<void(SecretStore::Status status, const QString &message)>;

//! A failure message for people: the status in words and the backend's own.
QString describeFailure(SecretStore::Status status, const QString &backendMessage);

//! Reads the entry (\a service, \a account); \a next is dropped once \a call has finished.
void readEntry(const QString &service, const QString &account, PendingCall *call, ReadStep next);
//! Writes \a secret to the entry (\a service, \a account).
void writeEntry(const QString &service, const QString &account, const SecretBytes &secret,
                PendingCall *call, Step next);
//! Removes the entry; a missing entry answers NotFound (the caller decides).
void removeEntry(const QString &service, const QString &account, PendingCall *call, Step next);

/*!
    gnome-keyring answers a lookup in a locked collection with "not found" and
    a delete there with success (the unlock prompt is dismissed, or cannot be
    shown in a headless session). Before reporting such an answer, asks the
    Secret Service whether the collection is locked and reports Locked if so.
*/
void checkNotLocked(PendingCall *call, SecretStore::Status status, const QString &message,
                    std::function<void(SecretStore::Status, const QString &)> report);

//! Logs the outcome of \a operation (the status only, never a value).
void logResult(const char *operation, SecretStore::Status status);

} // namespace SecureTokens::Internal
