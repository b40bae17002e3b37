// SPDX-License-Identifier: MIT
// libFuzzer harness: decodeAccountIndex() on the account list read back from
// secure storage (which other processes of the user can write), and the round
// trip of whatever it accepts.
#include "fuzzcheck.h"
#include "session/accountindex_p.h"

using namespace SecureTokens;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView stored = fuzzInput(data, size);
    AccountIndex index;
    AccountIndexEntry untouched;
    untouched.account = QStringLiteral("untouched");
    index.entries.append(untouched);
    bool newer = false;
    const ErrorInfo error = decodeAccountIndex(stored, &index, &newer);
    if (error.isError()) {
        FUZZ_CHECK(error.code == Error::StorageFailed && !error.message.isEmpty());
        FUZZ_CHECK(index.entries.size() == 1
                   && index.entries.at(0).account == QLatin1String("untouched"));
        return 0;
    }
    FUZZ_CHECK(!newer);
    FUZZ_CHECK(stored.size() <= maxAccountIndexBytes);
    FUZZ_CHECK(index.entries.size() <= maxAccountIndexEntries);
    for (qsizetype i = 0; i < index.entries.size(); ++i) {
        const AccountIndexEntry &entry = index.entries.at(i);
        FUZZ_CHECK(!entry.account.isEmpty() && !isReservedAccountName(entry.account));
        FUZZ_CHECK(entry.account.size() <= maxAccountIndexField && entry.updatedAt >= 0);
        // Sorted and unique: what upsert() and remove() rely on.
        FUZZ_CHECK(i == 0 || index.entries.at(i - 1).account < entry.account);
    }
    // What was accepted encodes to a list that decodes to the same entries.
    AccountIndex again;
    FUZZ_CHECK(!decodeAccountIndex(encodeAccountIndex(index), &again).isError());
    FUZZ_CHECK(again.entries.size() == index.entries.size());
    for (qsizetype i = 0; i < index.entries.size(); ++i) {
        FUZZ_CHECK(again.entries.at(i).sameAs(index.entries.at(i)));
        FUZZ_CHECK(again.entries.at(i).updatedAt == index.entries.at(i).updatedAt);
    }
    // Changing it keeps it decodable.
    if (!index.entries.isEmpty()) {
        AccountIndexEntry changed = index.entries.constFirst();
        changed.subject += QLatin1Char('x');
        index.upsert(changed);
        index.remove(index.entries.constLast().account);
        FUZZ_CHECK(!decodeAccountIndex(encodeAccountIndex(index), &again).isError());
    }
    return 0;
}
