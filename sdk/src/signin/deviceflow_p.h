// SPDX-License-Identifier: MIT
#pragma once

// The device authorization grant (RFC 8628).

#include "interactiveflow_p.h"

#include <securetokens/secretbytes.h>

#include <QDateTime>
#include <QTimer>

namespace SecureTokens {

/*!
    \internal
    One device sign-in: device authorization request, deviceCodeReady(), then
    polling the token endpoint (§3.4) with the interval, slow_down (+5 s,
    §3.5), expiry and cancel.
*/
class DeviceFlow final : public InteractiveFlow
{
    Q_OBJECT
public:
    DeviceFlow(SignInHost *host, SignInFlows *flows);
    ~DeviceFlow() override;

protected:
    void begin() override;
    void release() override;

private:
    Q_DISABLE_COPY_MOVE(DeviceFlow)

    void poll();
    void schedulePoll();

    SecretBytes m_deviceCode;
    qint64 m_intervalMs = 5000;
    QDateTime m_expiresAt;
    QTimer m_pollTimer;
};

} // namespace SecureTokens
