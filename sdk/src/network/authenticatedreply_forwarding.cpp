// SPDX-License-Identifier: MIT
// What the application sees of the inner reply that ends an exchange: its
// metadata (copied once it is the answer), its body bytes (read through) and
// its TLS state (set on every attempt). The rest of AuthenticatedReply decides
// which attempt that is (authenticatedreply.cpp).
#include "authenticatedreply_p.h"

#include <array>

namespace SecureTokens {

void AuthenticatedReply::forwardMetaData()
{
    QNetworkReply *inner = m_inner;
    m_metaForwarded = true;
    const QList<QNetworkReply::RawHeaderPair> headers = inner->rawHeaderPairs();
    for (const QNetworkReply::RawHeaderPair &header : headers)
        setRawHeader(header.first, header.second);
    // The attributes a reply itself carries (Qt's own, never the
    // application's: it never sees the inner reply). The request-side ones
    // (cache and redirect policy, HTTP/2 switches...) stay on the request.
    // Looking each of Qt's 28 up instead cost some 4 000 instructions a request.
    static constexpr std::array replyAttributes = {
            QNetworkRequest::HttpStatusCodeAttribute,
            QNetworkRequest::HttpReasonPhraseAttribute,
            QNetworkRequest::RedirectionTargetAttribute,
            QNetworkRequest::ConnectionEncryptedAttribute,
            QNetworkRequest::SourceIsFromCacheAttribute,
            QNetworkRequest::HttpPipeliningWasUsedAttribute,
            QNetworkRequest::DownloadBufferAttribute,
            QNetworkRequest::Http2WasUsedAttribute,
            QNetworkRequest::OriginalContentLengthAttribute,
    };
    for (const QNetworkRequest::Attribute attribute : replyAttributes) {
        const QVariant value = inner->attribute(attribute);
        if (value.isValid())
            setAttribute(attribute, value);
    }
    setUrl(inner->url());
}

qint64 AuthenticatedReply::bytesAvailable() const
{
    qint64 available = QNetworkReply::bytesAvailable();
    if (m_inner && m_disposition == Disposition::Forward)
        available += m_inner->bytesAvailable();
    return available;
}

qint64 AuthenticatedReply::readData(char *data, qint64 maxSize)
{
    if (m_inner && m_disposition == Disposition::Forward) {
        const qint64 n = m_inner->read(data, maxSize);
        if (n > 0)
            return n;
    }
    return m_done ? -1 : 0;
}

void AuthenticatedReply::setReadBufferSize(qint64 size)
{
    QNetworkReply::setReadBufferSize(size);
    if (m_inner)
        m_inner->setReadBufferSize(size);
}

void AuthenticatedReply::ignoreSslErrors()
{
#if QT_CONFIG(ssl)
    m_ignoreAllSslErrors = true;
    if (m_inner)
        m_inner->ignoreSslErrors();
#endif
}

#if QT_CONFIG(ssl)
void AuthenticatedReply::ignoreSslErrorsImplementation(const QList<QSslError> &errors)
{
    m_ignoredSslErrors = errors;
    if (m_inner)
        m_inner->ignoreSslErrors(errors);
}

void AuthenticatedReply::setSslConfigurationImplementation(const QSslConfiguration &configuration)
{
    m_sslConfiguration = configuration;
    if (m_inner)
        m_inner->setSslConfiguration(configuration);
}

void AuthenticatedReply::sslConfigurationImplementation(QSslConfiguration &configuration) const
{
    if (m_inner)
        configuration = m_inner->sslConfiguration();
    else if (m_sslConfiguration)
        configuration = *m_sslConfiguration;
}
#endif

} // namespace SecureTokens
