// SPDX-License-Identifier: MIT
#pragma once

// The device authorization response (RFC 8628 §3.2), parsed by a pure function
// over untrusted input with a size limit (a fuzz target).

#include <securetokens/error.h>
#include <securetokens/secretbytes.h>
#include <securetokens/securetokens_export.h>

#include <QByteArrayView>
#include <QString>
#include <QUrl>

namespace SecureTokens {

//! Largest device authorization response accepted, in bytes.
inline constexpr qint64 maxDeviceAuthorizationBytes = qint64(64) * 1024;

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

} // namespace SecureTokens
