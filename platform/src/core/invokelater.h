// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>

class QObject;

namespace SecureTokens {

/*!
    \internal
    Runs \a fn from the event loop of \a context's thread after \a delay: never
    inside the calling function, and not at all once \a context is destroyed
    (QTimer::singleShot with a context object). This is how start-like calls of
    the SDK and its storage backends deliver a completion later (docs/conventions.md §4,
    secretstore.h).

    Qt's functor overloads of QTimer::singleShot and QMetaObject::invokeMethod
    are called here only: clang-analyzer reports each of those calls as a leak
    (see the definition), and one call site keeps that to one annotated line.
*/
void invokeLater(const QObject *context, std::function<void()> fn,
                 std::chrono::milliseconds delay = std::chrono::milliseconds(0));

} // namespace SecureTokens
