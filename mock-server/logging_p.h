// SPDX-License-Identifier: MIT
#pragma once

#include <QLoggingCategory>

// Events only: never a token, password, code, cookie, or a URL with its query
// (docs/conventions.md §6). Enable with QT_LOGGING_RULES="securetokens.mockserver.info=true".
Q_DECLARE_LOGGING_CATEGORY(lcMockServer)
