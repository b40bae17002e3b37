// SPDX-License-Identifier: MIT
#include "dpopkeystore_p.h"

#include "accountrecord_p.h"

#include <securetokens/sessionconfig.h>

#ifdef SECURETOKENS_HAVE_PKCS11
#include "dpopkeypkcs11_p.h"
#endif

namespace SecureTokens::Internal {

namespace {

#ifdef SECURETOKENS_HAVE_PKCS11
// The PIN for one login, from the app; wiped when it goes out of scope.
SecretBytes askPin(const SessionConfig &config)
{
    return config.dpopKeyStore.pkcs11Pin ? config.dpopKeyStore.pkcs11Pin() : SecretBytes();
}
#endif

} // namespace

std::shared_ptr<DpopKey> makeDpopKey(const SessionConfig &config, ErrorInfo *error)
{
    if (config.dpopKeyStore.kind == DpopKeyStore::Kind::Pkcs11) {
#ifdef SECURETOKENS_HAVE_PKCS11
        SecretBytes pin = askPin(config);
        std::shared_ptr<DpopKey> key
                = Pkcs11DpopKey::generate(config.dpopKeyStore.pkcs11ModulePath,
                                          config.dpopKeyStore.pkcs11TokenLabel, pin, error);
        pin.clear();
        return key;
#else
        *error = ErrorInfo::make(Error::InvalidConfiguration,
                                 QStringLiteral("DpopKeyStore::Kind::Pkcs11 needs a SecureTokens "
                                                "built with SECURETOKENS_PKCS11."));
        return nullptr;
#endif
    }
    std::shared_ptr<DpopKey> key = SoftwareDpopKey::generate();
    if (!key)
        *error = ErrorInfo::make(Error::DPoPKeyMissing,
                                 QStringLiteral("No DPoP key could be made (OpenSSL failed)."));
    return key;
}

std::shared_ptr<DpopKey> loadDpopKey(const AccountRecord &record, const SessionConfig &config,
                                     ErrorInfo *error)
{
    if (!record.dpopPrivateKey.isEmpty()) {
        QString why;
        std::shared_ptr<DpopKey> key = SoftwareDpopKey::fromPrivateKey(record.dpopPrivateKey, &why);
        if (!key)
            *error = ErrorInfo::make(Error::DPoPKeyMissing,
                                     QStringLiteral("The stored session's DPoP key cannot be read "
                                                    "(%1); the refresh token bound to it is "
                                                    "useless without it, so the session ends.")
                                             .arg(why));
        return key;
    }
    if (record.dpopKeyReference.isEmpty())
        return nullptr;
#ifdef SECURETOKENS_HAVE_PKCS11
    SecretBytes pin = askPin(config);
    ErrorInfo why;
    std::shared_ptr<DpopKey> key = Pkcs11DpopKey::open(record.dpopKeyReference, pin, &why);
    pin.clear();
    if (!key && why.code == Error::DPoPKeyMissing)
        *error = ErrorInfo::make(Error::DPoPKeyMissing,
                                 QStringLiteral("The stored session's DPoP key is gone (%1); the "
                                                "refresh token bound to it is useless without "
                                                "it, so the session ends.")
                                         .arg(why.message));
    else if (!key)
        *error = why;
    return key;
#else
    Q_UNUSED(config)
    *error = ErrorInfo::make(Error::DPoPKeyMissing,
                             QStringLiteral("The stored session's DPoP key is held in a key "
                                            "store this build cannot reach; the session ends."));
    return nullptr;
#endif
}

bool isRecordDpopKey(const DpopKey &key, const AccountRecord &record)
{
    if (!record.dpopKeyReference.isEmpty())
        return key.reference() == record.dpopKeyReference;
    SecretBytes exported = key.exportPrivateKey();
    const bool same = !exported.isEmpty() && exported.view() == record.dpopPrivateKey.view();
    exported.clear();
    return same;
}

void storeDpopKey(const DpopKey &key, AccountRecord *record)
{
    record->dpopPrivateKey = key.exportPrivateKey();
    record->dpopKeyReference = record->dpopPrivateKey.isEmpty() ? key.reference() : QString();
}

} // namespace SecureTokens::Internal
