// SPDX-License-Identifier: MIT
#include "invokelater.h"

#include <QTimer>

namespace SecureTokens {

void invokeLater(const QObject *context, std::function<void()> fn, std::chrono::milliseconds delay)
{
    // Qt owns the slot object that singleShot allocates and deletes it once it
    // has run or context is gone. clang-analyzer takes the static
    // QTimer::singleShotImpl (system header) for a function that never frees,
    // and so reports a leak at every call; hence this single call site.
    // NOLINTNEXTLINE(clang-analyzer-cplusplus.NewDeleteLeaks): owned by Qt, see above
    QTimer::singleShot(delay, context, std::move(fn));
}

} // namespace SecureTokens
