// SPDX-License-Identifier: MIT
// libFuzzer harness: decodeAccountRecord() on values read back from secure
// storage (which other processes of the user can write), and the round trip
// of whatever it accepts.
#include "fuzzcheck.h"
#include "session/accountrecord_p.h"

#include <securetokens/sessionconfig.h>

using namespace SecureTokens;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView stored = fuzzInput(data, size);
    AccountRecord record;
    record.clientId = QStringLiteral("untouched");
    const ErrorInfo error = decodeAccountRecord(stored, &record);
    if (error.isError()) {
        FUZZ_CHECK(error.code == Error::StorageFailed && !error.message.isEmpty());
        FUZZ_CHECK(record.clientId == QLatin1String("untouched") && record.refreshToken.isEmpty());
        return 0;
    }
    FUZZ_CHECK(stored.size() <= maxAccountRecordBytes);
    FUZZ_CHECK(!record.refreshToken.isEmpty());
    if (record.legacy) {
        FUZZ_CHECK(record.refreshToken.equals(stored));
        return 0;
    }
    // What was accepted encodes to a record that decodes to the same fields.
    const SecretBytes again = encodeAccountRecord(record);
    AccountRecord second;
    FUZZ_CHECK(!decodeAccountRecord(again.view(), &second).isError());
    FUZZ_CHECK(!second.legacy);
    FUZZ_CHECK(second.refreshToken.equals(record.refreshToken));
    FUZZ_CHECK(second.clientSecret.equals(record.clientSecret));
    FUZZ_CHECK(second.idToken.equals(record.idToken));
    FUZZ_CHECK(second.dpopPrivateKey.equals(record.dpopPrivateKey));
    FUZZ_CHECK(second.clientId == record.clientId && second.issuer == record.issuer);
    FUZZ_CHECK(second.claimsJson == record.claimsJson && second.scope == record.scope);
    FUZZ_CHECK(second.updatedAt == record.updatedAt && second.kind == record.kind);
    // The binding check never fails on it for its own configuration.
    SessionConfig config;
    config.issuer = QUrl(record.issuer);
    config.tokenEndpoint = QUrl(record.tokenEndpoint);
    config.clientId = record.clientId;
    (void)checkAccountBinding(record, config);
    return 0;
}
