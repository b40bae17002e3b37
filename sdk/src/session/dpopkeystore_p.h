// SPDX-License-Identifier: MIT
#pragma once

// Where a session's DPoP key comes from and goes to (SessionConfig::dpopKeyStore):
// made at sign-in in the configured store, written into the account record
// (the private key, or a reference to a key that cannot leave its token),
// and found again from the record at restore and sign-out.

#include "dpopkey_p.h"

#include <securetokens/error.h>

#include <memory>

namespace SecureTokens {
struct AccountRecord;
struct SessionConfig;
} // namespace SecureTokens

namespace SecureTokens::Internal {

//! A fresh key in \a config's store; null with \a error set when none can be made.
std::shared_ptr<DpopKey> makeDpopKey(const SessionConfig &config, ErrorInfo *error);

/*!
    The key \a record names, or null: with \a error unset when the record has
    no key, set when it names one that cannot be used (DPoPKeyMissing for a
    damaged, removed or unreachable key; StorageAccessDenied for a refused PIN).
*/
std::shared_ptr<DpopKey> loadDpopKey(const AccountRecord &record, const SessionConfig &config,
                                     ErrorInfo *error);

//! Whether \a key is the one \a record names (the same private key or reference).
bool isRecordDpopKey(const DpopKey &key, const AccountRecord &record);

//! Writes \a key into \a record: its private key, or its reference when it has none.
void storeDpopKey(const DpopKey &key, AccountRecord *record);

} // namespace SecureTokens::Internal
