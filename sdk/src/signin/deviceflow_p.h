// SPDX-License-Identifier: MIT
#pragma once

// The device authorization grant (RFC 8628).

#include "session/tokenresponse_p.h"

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArrayView>
#include <QDateTime>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>

namespace SecureTokens {

class SessionPrivate;
class SignInFlows;

//! An RFC 8628 §3.2 device authorization response.
struct DeviceAuthorization
{
    SecretBytes deviceCode; //!< the secret the client polls with
    QString userCode; //!< shown to the user
    QUrl verificationUri;
    QUrl verificationUriComplete; //!< may be empty
    qint64 expiresIn = 0; //!< seconds
    qint64 interval = 5; //!< seconds between polls (default 5, §3.2)
};

/*!
    Parses a device authorization response body (JSON, at most 64 KiB):
    device_code, user_code, verification_uri (or Google's older
    "verification_url"), expires_in required; verification_uri_complete and
    interval optional. Verification URIs must be absolute https URLs (http on
    loopback only). Pure; a fuzz target. Returns MalformedResponse on failure.
*/
SECURETOKENS_EXPORT ErrorInfo parseDeviceAuthorization(QByteArrayView body,
                                                       DeviceAuthorization *out);

/*!
    \internal
    One device sign-in: device authorization request, deviceCodeReady(), then
    polling the token endpoint (§3.4) with the interval, slow_down (+5 s,
    §3.5), expiry and cancel. Ends through SessionPrivate.
*/
class DeviceFlow : public QObject
{
    Q_OBJECT
public:
    DeviceFlow(SessionPrivate *d, SignInFlows *flows, quint64 epoch);
    void start();
    void cancel();

private:
    void requestCode();
    void poll();
    void schedulePoll();
    void fail(const ErrorInfo &error);
    bool stale() const;

    SessionPrivate *const d;
    SignInFlows *const m_flows;
    const quint64 m_epoch;
    SecretBytes m_deviceCode;
    qint64 m_intervalMs = 5000;
    QDateTime m_expiresAt;
    QTimer m_pollTimer;
    bool m_finished = false;
};

} // namespace SecureTokens
