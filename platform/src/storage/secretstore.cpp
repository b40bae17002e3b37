// SPDX-License-Identifier: MIT
#include <securetokens/secretstore.h>

#include "storagelogging_p.h"

Q_LOGGING_CATEGORY(lcKeychain, "securetokens.storage", QtWarningMsg)

namespace SecureTokens {

SecretStore::SecretStore(QObject *parent) : QObject(parent) { }

SecretStore::~SecretStore() = default;

Error SecretStore::toError(Status status)
{
    switch (status) {
    case Status::Ok:
        return Error::NoError;
    case Status::NotFound:
        return Error::NotSignedIn;
    case Status::Unavailable:
        return Error::StorageUnavailable;
    case Status::Locked:
        return Error::StorageLocked;
    case Status::AccessDenied:
        return Error::StorageAccessDenied;
    case Status::TooLarge:
        return Error::StorageTooLarge;
    case Status::Timeout:
        return Error::StorageTimeout;
    case Status::Failed:
        return Error::StorageFailed;
    }
    return Error::StorageFailed;
}

} // namespace SecureTokens
