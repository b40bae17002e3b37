// SPDX-License-Identifier: MIT
#pragma once

#include <QLoggingCategory>

// Quiet by default (warnings and up). Log events, never tokens, URLs with
// queries, headers or bodies (docs/conventions.md §6).
Q_DECLARE_LOGGING_CATEGORY(lcSession)
Q_DECLARE_LOGGING_CATEGORY(lcRefresh)
Q_DECLARE_LOGGING_CATEGORY(lcStorage)
Q_DECLARE_LOGGING_CATEGORY(lcNetwork)
