// SPDX-License-Identifier: MIT
#pragma once

// The loopback redirect listener of a native app (RFC 8252 §7.3): a tiny
// HTTP/1.1 server on an ephemeral port of 127.0.0.1 or [::1] that receives
// exactly one authorization response from the user's browser.

#include <securetokens/securetokens_export.h>
#include <securetokens/sessionconfig.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QObject>
#include <QPair>
#include <QUrl>

#include <functional>

class QTcpServer;
class QTcpSocket;

namespace SecureTokens {

//! Largest request head (request line + headers) the listener reads, in bytes.
inline constexpr qsizetype maxRedirectRequestBytes = qsizetype(8) * 1024;

//! A parsed browser request to the listener.
struct RedirectRequest
{
    bool ok = false; //!< a well-formed GET (false: answer 400)
    QByteArray method;
    QByteArray path; //!< the target's path, percent-encoded as received
    QByteArray host; //!< the Host header value
    //! Query parameters, percent-decoded, in order; names are unique when ok.
    QList<QPair<QByteArray, QByteArray>> params;
    QByteArray error; //!< why it is not ok (for the error page and logs; never a value)
};

/*!
    Parses an HTTP/1.1 request head (RFC 9112 §3: request line, header fields,
    empty line) of at most maxRedirectRequestBytes. Pure; a fuzz target.
    Refuses: another method than GET, an absolute-form or asterisk target, a
    version other than HTTP/1.0 / HTTP/1.1, header lines without a colon,
    obsolete line folding, several Host headers, a missing Host (HTTP/1.1),
    and repeated query parameters (RFC 6749 §3.1).
*/
SECURETOKENS_EXPORT RedirectRequest parseRedirectRequest(QByteArrayView head);

//! Splits an application/x-www-form-urlencoded query; false on a repeated name.
SECURETOKENS_EXPORT bool parseUrlQuery(QByteArrayView query,
                                       QList<QPair<QByteArray, QByteArray>> *out);

/*!
    \internal
    Listens on one loopback address for the browser's redirect. Each request
    with the right path and Host is handed to the verdict callback, which
    decides whether it is *the* authorization response (accept: a success or
    provider-error page, then the listener closes) or something else (an error
    page; the listener keeps waiting). Requests for other paths get 404.
*/
class LoopbackRedirectListener : public QObject
{
    Q_OBJECT
public:
    //! What the flow says about one callback request.
    struct Verdict
    {
        bool accepted = false; //!< this was the response; close the listener
        bool success = false; //!< show "you can close this tab" (else the error page)
        QString message; //!< shown on the page (plain text, escaped)
    };
    using Handler = std::function<Verdict(const RedirectRequest &request)>;

    explicit LoopbackRedirectListener(QObject *parent = nullptr);
    ~LoopbackRedirectListener() override;

    //! Binds an ephemeral port on \a host; false (with \a error) when impossible.
    bool listen(LoopbackRedirectHost host, QString *error);
    //! http://127.0.0.1:PORT/callback (or http://[::1]:PORT/callback).
    QUrl redirectUri() const;
    void setHandler(Handler handler) { m_handler = std::move(handler); }
    //! Stops listening and drops every connection.
    void close();
    bool isListening() const;

private:
    Q_DISABLE_COPY_MOVE(LoopbackRedirectListener)

    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void respond(QTcpSocket *socket, int status, const QString &title, const QString &message);

    QTcpServer *m_server = nullptr;
    Handler m_handler;
    QByteArray m_expectedHost;
    QUrl m_redirectUri;
    bool m_done = false;
};

} // namespace SecureTokens
