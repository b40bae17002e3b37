// SPDX-License-Identifier: MIT
#pragma once

// Shared by the libFuzzer harnesses: FUZZ_CHECK states a property the code
// under test must keep for every input. A violation traps, which libFuzzer
// reports as a crash with the input that caused it (kept as a regression row
// in tests/unit/tst_fuzzregressions.cpp once fixed).

#include <QByteArrayView>

#include <cstddef>
#include <cstdint>

#define FUZZ_CHECK(cond) \
    do { \
        if (!(cond)) \
            __builtin_trap(); \
    } while (false)

//! The fuzzer's input as bytes.
inline QByteArrayView fuzzInput(const std::uint8_t *data, std::size_t size)
{
    return {reinterpret_cast<const char *>(data), qsizetype(size)};
}
