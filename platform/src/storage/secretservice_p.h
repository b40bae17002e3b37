// SPDX-License-Identifier: MIT
#pragma once

// Linux (and other freedesktop Unix) helpers for the keychain backend: facts
// QtKeychain does not report by itself. Only built where QtKeychain talks to
// the Secret Service or KWallet over the D-Bus session bus.

#include <QString>

#include <functional>

namespace SecureTokens::Internal {

class PendingCall;

//! Whether the D-Bus session bus can be reached at all.
bool sessionBusConnected();

//! "kwallet" when QtKeychain will pick KWallet (KDE session with kwalletd running),
//! otherwise "secret-service". Mirrors QtKeychain 0.13's detection.
QString unixBackendName();

/*!
    Asks the Secret Service whether the default collection (where QtKeychain
    stores its items) is locked, and calls \a done with the answer. Used
    because gnome-keyring answers a lookup in a locked collection with "not
    found" (the unlock prompt is dismissed or cannot be shown) and a delete
    there with success. \a done is not called once \a call has finished or is
    gone; on any D-Bus error the answer is "not locked".
*/
void probeDefaultCollectionLocked(PendingCall *call, std::function<void(bool locked)> done);

/*!
    Asks kwalletd which wallet QtKeychain will use (networkWallet) and whether
    it is open, and calls \a done with "closed". A closed wallet makes
    kwalletd ask the user for its password; until someone answers, the
    QtKeychain job does not finish. \a done is not called once \a call has
    finished or is gone; on any D-Bus error the answer is "not closed".
*/
void probeKWalletClosed(PendingCall *call, std::function<void(bool closed)> done);

} // namespace SecureTokens::Internal
