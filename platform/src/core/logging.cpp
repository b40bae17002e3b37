// SPDX-License-Identifier: MIT
#include "logging.h"

Q_LOGGING_CATEGORY(lcSession, "securetokens.session", QtWarningMsg)
Q_LOGGING_CATEGORY(lcRefresh, "securetokens.refresh", QtWarningMsg)
Q_LOGGING_CATEGORY(lcStorage, "securetokens.storage", QtWarningMsg)
Q_LOGGING_CATEGORY(lcNetwork, "securetokens.network", QtWarningMsg)
