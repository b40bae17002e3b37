// SPDX-License-Identifier: MIT
#pragma once

#include <QLoggingCategory>

// Storage events ("securetokens.storage", warnings and up by default). Log what
// happened and the status, never the secret and never the value's bytes.
Q_DECLARE_LOGGING_CATEGORY(lcKeychain)
