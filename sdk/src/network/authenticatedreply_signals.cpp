// SPDX-License-Identifier: MIT
// Which signals of an inner reply reach the application, and how: the one
// connection every attempt has (finished()), the relays wired only when this
// reply's signal has a listener, and TLS state set on every attempt. The rest
// of AuthenticatedReply decides which attempt is the answer (authenticatedreply.cpp).
#include "authenticatedreply_p.h"

#include <QMetaMethod>

namespace SecureTokens {

void AuthenticatedReply::attach(QNetworkReply *inner)
{
    m_inner = inner;
    m_disposition = Disposition::Undecided;
    m_metaForwarded = false;
    m_relaysWired = 0;
    // TLS signals cannot come from a plain-http attempt (Qt has no https proxies).
    m_innerTls = inner->url().scheme() == QLatin1String("https");
    // Set only when it differs (it rarely does: 0, unlimited, on both): on
    // Qt's HTTP reply the setter posts an event to the HTTP thread.
    if (inner->readBufferSize() != readBufferSize())
        inner->setReadBufferSize(readBufferSize());
#if QT_CONFIG(ssl)
    if (m_sslConfiguration)
        inner->setSslConfiguration(*m_sslConfiguration);
    if (m_ignoreAllSslErrors)
        inner->ignoreSslErrors();
    if (!m_ignoredSslErrors.isEmpty())
        inner->ignoreSslErrors(m_ignoredSslErrors);
#endif
    // The one connection every exchange needs: finished() decides and
    // forwards whatever has not been yet. The other signals are relayed only
    // when this reply's have a listener (connectNotify()): each connection
    // costs an allocation and its share of the teardown, on every request.
    connect(inner, &QNetworkReply::finished, this, &AuthenticatedReply::onInnerFinished);
    wire(m_relaysWanted);
}

void AuthenticatedReply::wire(quint16 relays)
{
    QNetworkReply *inner = m_inner;
    relays &= ~m_relaysWired;
    if (!m_innerTls)
        relays &= ~(RelaySslErrors | RelayEncrypted | RelayPreSharedKey);
    if (!inner || !relays)
        return;
    m_relaysWired |= relays;
    if (relays & RelayMetaData)
        connect(inner, &QNetworkReply::metaDataChanged, this,
                &AuthenticatedReply::onInnerMetaDataChanged);
    if (relays & RelayReadyRead)
        connect(inner, &QNetworkReply::readyRead, this, &AuthenticatedReply::onInnerReadyRead);
    if (relays & RelayUploadProgress)
        connect(inner, &QNetworkReply::uploadProgress, this, [this](qint64 sent, qint64 total) {
            const InnerSignalScope scope;
            Q_EMIT uploadProgress(sent, total);
        });
    if (relays & RelayDownloadProgress)
        connect(inner, &QNetworkReply::downloadProgress, this,
                [this](qint64 received, qint64 total) {
                    const InnerSignalScope scope;
                    if (m_disposition == Disposition::Forward)
                        Q_EMIT downloadProgress(received, total);
                });
    if (relays & RelaySocketStartedConnecting)
        connect(inner, &QNetworkReply::socketStartedConnecting, this, [this] {
            const InnerSignalScope scope;
            Q_EMIT socketStartedConnecting();
        });
    if (relays & RelayRequestSent)
        connect(inner, &QNetworkReply::requestSent, this, [this] {
            const InnerSignalScope scope;
            Q_EMIT requestSent();
        });
#if QT_CONFIG(ssl)
    if (relays & RelaySslErrors)
        connect(inner, &QNetworkReply::sslErrors, this, [this](const QList<QSslError> &errors) {
            const InnerSignalScope scope;
            Q_EMIT sslErrors(errors);
        });
    if (relays & RelayEncrypted)
        connect(inner, &QNetworkReply::encrypted, this, [this] {
            const InnerSignalScope scope;
            Q_EMIT encrypted();
        });
    if (relays & RelayPreSharedKey)
        connect(inner, &QNetworkReply::preSharedKeyAuthenticationRequired, this,
                [this](QSslPreSharedKeyAuthenticator *authenticator) {
                    const InnerSignalScope scope;
                    Q_EMIT preSharedKeyAuthenticationRequired(authenticator);
                });
#endif
}

void AuthenticatedReply::connectNotify(const QMetaMethod &signal)
{
    // Called for every connect() to this reply, the application's included
    // (and QNetworkAccessManager's own, for its sslErrors() and the like),
    // before its first signal can arrive (get() returns first): what is
    // connected later, on a retry or a redirect hop, is wired in attach().
    static const QMetaMethod readyReadSignal = QMetaMethod::fromSignal(&QIODevice::readyRead);
    static const QMetaMethod metaDataChangedSignal
            = QMetaMethod::fromSignal(&QNetworkReply::metaDataChanged);
    static const QMetaMethod uploadProgressSignal
            = QMetaMethod::fromSignal(&QNetworkReply::uploadProgress);
    static const QMetaMethod downloadProgressSignal
            = QMetaMethod::fromSignal(&QNetworkReply::downloadProgress);
    static const QMetaMethod socketStartedConnectingSignal
            = QMetaMethod::fromSignal(&QNetworkReply::socketStartedConnecting);
    static const QMetaMethod requestSentSignal
            = QMetaMethod::fromSignal(&QNetworkReply::requestSent);
    quint16 relay = 0;
    if (signal == readyReadSignal)
        relay = RelayReadyRead;
    else if (signal == metaDataChangedSignal)
        relay = RelayMetaData;
    else if (signal == uploadProgressSignal)
        relay = RelayUploadProgress;
    else if (signal == downloadProgressSignal)
        relay = RelayDownloadProgress | RelayMetaData; // progress only once it is the answer
    else if (signal == socketStartedConnectingSignal)
        relay = RelaySocketStartedConnecting;
    else if (signal == requestSentSignal)
        relay = RelayRequestSent;
#if QT_CONFIG(ssl)
    static const QMetaMethod sslErrorsSignal = QMetaMethod::fromSignal(&QNetworkReply::sslErrors);
    static const QMetaMethod encryptedSignal = QMetaMethod::fromSignal(&QNetworkReply::encrypted);
    static const QMetaMethod preSharedKeySignal
            = QMetaMethod::fromSignal(&QNetworkReply::preSharedKeyAuthenticationRequired);
    if (signal == sslErrorsSignal)
        relay = RelaySslErrors;
    else if (signal == encryptedSignal)
        relay = RelayEncrypted;
    else if (signal == preSharedKeySignal)
        relay = RelayPreSharedKey;
#endif
    if (!relay)
        return;
    m_relaysWanted |= relay;
    wire(relay);
}

} // namespace SecureTokens
