// SPDX-License-Identifier: MIT
#include <securetokens/processhardening.h>

#include <QtGlobal>

#if defined(Q_OS_LINUX)
#    include <sys/prctl.h>
#    include <sys/resource.h>
#endif

namespace SecureTokens {

bool hardenProcessMemory()
{
#if defined(Q_OS_LINUX)
    // Not dumpable: the kernel writes no core file and refuses same-user
    // ptrace and /proc/PID/mem (ptrace_may_access() wants CAP_SYS_PTRACE).
    const bool notDumpable = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
    // A core-dump handler (systemd-coredump, apport) may still ask; no size is allowed.
    const rlimit none {0, 0};
    const bool noCore = setrlimit(RLIMIT_CORE, &none) == 0;
    return notDumpable && noCore;
#else
    return false;
#endif
}

} // namespace SecureTokens
