// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/securetokens_export.h>

#include <QtGlobal>

namespace SecureTokens::Internal {

/*!
    Test support (not installed, never called by the SDK): KeychainSecretStore
    objects created from now on split values over entries of at most \a limit
    bytes (at least 64), to exercise chunking on a backend without a small
    limit; 0 restores the platform's limit (docs/platforms.md).
*/
SECURETOKENS_EXPORT void setKeychainEntryLimitForTesting(qsizetype limit);

} // namespace SecureTokens::Internal
