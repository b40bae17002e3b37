// SPDX-License-Identifier: MIT
// Extra resource servers (--api-listen HOST:PORT=AUDIENCE, addApiListener()):
// the same /api/* on their own port, each accepting only access tokens whose
// aud contains its audience (RFC 8707 §2, RFC 9068 §4), with their own
// counters. The main listener's /api/* keeps accepting every token.
#include "mockauthserver_p.h"

#include "logging_p.h"

namespace SecureTokens::Mock {

QUrl MockAuthServerPrivate::startApiListener(const ServerConfig::ApiListener &listener)
{
    if (listener.audience.isEmpty()) {
        errorString = QStringLiteral("an extra resource server needs an audience");
        return {};
    }
    const ResourceServer server {listener.audience};
    auto *http = new HttpFrontend(
            config.maxBodySize, [this, server](const Request &r) { return routeApi(r, server); },
            q);
    QString why;
    const quint16 apiPort = http->listenOn(listener.bind, listener.port, &why);
    if (apiPort == 0) {
        errorString = QStringLiteral("cannot listen on %1 port %2: %3")
                              .arg(listener.bind.toString())
                              .arg(listener.port)
                              .arg(why);
        delete http;
        return {};
    }
    const QUrl url = urlFor(listener.bind, apiPort);
    apiFrontends.append(ApiFrontend {http, listener.audience, url});
    // Every counter is there from the start, at 0.
    for (const char *name : {"requests", "authorized_requests", "unauthorized"})
        audienceCounters[listener.audience].insert(QLatin1String(name), 0);
    qCInfo(lcMockServer, "resource server listening on port %u", unsigned(apiPort));
    return url;
}

Response MockAuthServerPrivate::routeApi(const Request &request, const ResourceServer &server)
{
    Response r = request.path.startsWith(QLatin1String("/api/"))
            ? api(request, server)
            : Response::error(404, QStringLiteral("not_found"), QStringLiteral("no such endpoint"));
    r.setHeader("Date", httpDate(nowMs())); // RFC 9110 §6.6.1
    return r;
}

QList<QUrl> MockAuthServer::apiBaseUrls() const
{
    QList<QUrl> urls;
    for (const auto &api : d->apiFrontends)
        urls.append(api.baseUrl);
    return urls;
}

QUrl MockAuthServer::apiBaseUrl(const QString &audience) const
{
    for (const auto &api : d->apiFrontends) {
        if (api.audience == audience)
            return api.baseUrl;
    }
    return {};
}

QUrl MockAuthServer::addApiListener(const QString &audience, quint16 port, const QHostAddress &bind)
{
    if (!d->http) {
        d->errorString = QStringLiteral("listen() first");
        return {};
    }
    ServerConfig::ApiListener listener;
    listener.bind = bind;
    listener.port = port;
    listener.audience = audience;
    return d->startApiListener(listener);
}

} // namespace SecureTokens::Mock
