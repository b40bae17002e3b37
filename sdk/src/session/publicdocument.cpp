// SPDX-License-Identifier: MIT
#include "publicdocument_p.h"
#include "endpointcheck_p.h"

#include "core/invokelater.h"
#include "tokenclient_p.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace SecureTokens {

QNetworkReply *fetchPublicDocument(QNetworkAccessManager *nam, const QUrl &url, qint64 maxBytes,
                                   std::chrono::milliseconds timeout, QObject *context,
                                   std::function<void(ErrorInfo error, QByteArray body)> done,
                                   const QByteArray *form, const QByteArray &authorization,
                                   const QByteArray &dpopProof,
                                   std::function<void(const QNetworkReply &reply)> onReply)
{
    QPointer<QObject> guard(context);
    const ErrorInfo check = checkEndpoint(url, u"provider endpoint");
    if (check.isError()) {
        invokeLater(context, [done = std::move(done), check] { done(check, {}); });
        return nullptr;
    }
    // Metadata decides where credentials go: it must come from exactly this
    // URL (no redirect to another host), fresh, without cookies.
    QNetworkRequest request = credentialRequest(url);
    if (!authorization.isEmpty())
        request.setRawHeader(QByteArrayLiteral("Authorization"), authorization);
    if (!dpopProof.isEmpty())
        request.setRawHeader(QByteArrayLiteral("DPoP"), dpopProof); // RFC 9449 §7.1, §10
    QNetworkReply *reply = nullptr;
    if (form) {
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/x-www-form-urlencoded"));
        reply = nam->post(request, *form);
    } else {
        reply = nam->get(request);
    }

    struct State
    {
        QByteArray body;
        bool tooLarge = false;
        bool timedOut = false;
        bool done = false;
    };
    auto state = std::make_shared<State>();
    auto *deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    QObject::connect(deadline, &QTimer::timeout, reply, [reply, state] {
        state->timedOut = true;
        reply->abort();
    });
    deadline->start(timeout);
    QObject::connect(reply, &QIODevice::readyRead, reply, [reply, state, maxBytes] {
        if (state->tooLarge)
            return;
        if (state->body.size() + reply->bytesAvailable() > maxBytes) {
            state->tooLarge = true;
            state->body.clear();
            reply->abort();
            return;
        }
        state->body.append(reply->readAll());
    });
    QObject::connect(
            reply, &QNetworkReply::finished, reply,
            [=, done = std::move(done), onReply = std::move(onReply)] {
                if (state->done)
                    return;
                state->done = true;
                deadline->stop();
                reply->deleteLater();
                if (!state->tooLarge && reply->bytesAvailable() > 0) {
                    if (state->body.size() + reply->bytesAvailable() > maxBytes)
                        state->tooLarge = true;
                    else
                        state->body.append(reply->readAll());
                }
                const int status
                        = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                ErrorInfo error;
                if (state->tooLarge) {
                    error = ErrorInfo::make(
                            Error::ResponseTooLarge,
                            QStringLiteral("The answer exceeds %1 bytes.").arg(maxBytes));
                } else if (state->timedOut) {
                    error = ErrorInfo::make(Error::Timeout,
                                            QStringLiteral("The server did not answer in time."));
                } else if (status == 0) {
                    error = errorFromNetworkReply(reply);
                } else if (status != 200) {
                    // A 4xx (403 from a JWKS or metadata URL, say) will not pass by
                    // itself: MalformedResponse, which the CLI reports with exit 1;
                    // only 5xx and 429 are the server's passing trouble.
                    error = ErrorInfo::make(status >= 500           ? Error::ServerError
                                                    : status == 429 ? Error::RateLimited
                                                                    : Error::MalformedResponse,
                                            QStringLiteral("%1%2 answered HTTP %3.")
                                                    .arg(url.host(), url.path())
                                                    .arg(status));
                }
                error.httpStatus = status;
                if (!guard)
                    return;
                if (onReply)
                    onReply(*reply);
                done(error, state->tooLarge ? QByteArray() : std::move(state->body));
            });
    return reply;
}

} // namespace SecureTokens
