// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/securetokens_export.h>

namespace SecureTokens {

/*!
    Opt-in hardening of this process against readers of its memory, for
    applications that want it (docs/security-model.md, "No SDK-owned copy of
    a token in freed memory"). Call it early in main().

    Linux: prctl(PR_SET_DUMPABLE, 0) — no core dump is written, and no other
    process of the same user may ptrace this one or read /proc/PID/mem (root
    still can) — and RLIMIT_CORE set to 0. It also keeps same-user debuggers
    out, so it is not for debug builds. Elsewhere it does nothing.

    Returns true when every step succeeded (false on other systems).
*/
SECURETOKENS_EXPORT bool hardenProcessMemory();

} // namespace SecureTokens
