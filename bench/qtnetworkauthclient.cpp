// SPDX-License-Identifier: MIT
#include "qtnetworkauthclient.h"

#include "benchutil.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QUrlQuery>

#include <functional>

namespace Bench {

QtNetworkAuthClient::QtNetworkAuthClient(const QUrl &base) : m_base(base)
{
    m_flow.setNetworkAccessManager(&m_flowNam);
    m_flow.setReplyHandler(&m_replyHandler);
    m_flow.setAccessTokenUrl(base.resolved(QUrl(QStringLiteral("/oauth/token"))));
    m_flow.setClientIdentifier(QStringLiteral("demo"));
}

QtNetworkAuthClient::~QtNetworkAuthClient() = default;

QNetworkRequest QtNetworkAuthClient::apiRequest() const
{
    QNetworkRequest request(m_base.resolved(QUrl(QStringLiteral("/api/me"))));
    request.setRawHeader(QByteArrayLiteral("Authorization"),
                         QByteArrayLiteral("Bearer ") + m_flow.token().toUtf8());
    return request;
}

bool QtNetworkAuthClient::signIn()
{
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("grant_type"), QStringLiteral("password"));
    form.addQueryItem(QStringLiteral("username"), QStringLiteral("alice"));
    form.addQueryItem(QStringLiteral("password"), QStringLiteral("wonderland"));
    form.addQueryItem(QStringLiteral("client_id"), QStringLiteral("demo"));
    QNetworkRequest request(m_flow.accessTokenUrl());
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    QNetworkReply *reply = m_api.post(request, form.toString(QUrl::FullyEncoded).toUtf8());
    waitUntil([reply]() { return reply->isFinished(); }, 30000);
    const QJsonObject json = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    const QString access = json.value(QStringLiteral("access_token")).toString();
    const QString refresh = json.value(QStringLiteral("refresh_token")).toString();
    if (access.isEmpty() || refresh.isEmpty())
        return false;
    m_flow.setToken(access);
    m_flow.setRefreshToken(refresh);
    return true;
}

double QtNetworkAuthClient::refreshRoundTripMs()
{
    bool changed = false;
    const auto connection = QObject::connect(&m_flow, &QAbstractOAuth::tokenChanged, &m_flow,
                                             [&changed]() { changed = true; });
    QElapsedTimer clock;
    clock.start();
    m_flow.refreshAccessToken();
    const bool ok = waitUntil([&changed]() { return changed; }, 10000);
    const double ms = double(clock.nsecsElapsed()) / 1e6;
    QObject::disconnect(connection);
    return ok ? ms : -1;
}

bool QtNetworkAuthClient::sessionAlive()
{
    if (refreshRoundTripMs() < 0)
        return false;
    QNetworkReply *reply = m_api.get(apiRequest());
    waitUntil([reply]() { return reply->isFinished(); }, 10000);
    const bool ok = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    reply->deleteLater();
    return ok;
}

double QtNetworkAuthClient::baselineMs(int count)
{
    const LoadResult r = runClosedLoop(count, count, [this]() { return m_api.get(apiRequest()); });
    return r.elapsedMs;
}

QtNetworkAuthClient::StormResult QtNetworkAuthClient::storm(int count, int timeoutMs)
{
    StormResult result;
    const int tokenRequestsBefore = m_flowNam.requests;
    int done = 0;
    int waitingForToken = 0; // requests that saw a 401 and wait for tokenChanged()
    QList<QNetworkReply *> open;

    std::function<void(int)> send = [&](int attempt) {
        QNetworkReply *reply = m_api.get(apiRequest());
        open.append(reply);
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply, attempt]() {
            open.removeOne(reply);
            reply->deleteLater();
            reply->readAll();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status == 401 && attempt == 0) {
                // What an app does with QtNetworkAuth: ask for a new token, retry when it comes.
                ++waitingForToken;
                ++result.refreshCalls;
                m_flow.refreshAccessToken();
                return;
            }
            if (status == 200)
                ++result.ok;
            else
                ++result.failed;
            ++done;
        });
    };
    const auto retryAll = [&]() {
        const int n = waitingForToken;
        waitingForToken = 0;
        for (int i = 0; i < n; ++i)
            send(1);
    };
    // An app surfaces a failed refresh as an error for the requests waiting on it.
    const auto failAll = [&]() {
        ++result.flowErrors;
        result.failed += waitingForToken;
        done += waitingForToken;
        waitingForToken = 0;
    };
    const auto c1 = QObject::connect(&m_flow, &QAbstractOAuth::tokenChanged, &m_flow, retryAll);
    const auto c2 = QObject::connect(&m_flow, &QAbstractOAuth2::error, &m_flow, failAll);
    const auto c3 = QObject::connect(&m_flow, &QAbstractOAuth::requestFailed, &m_flow, failAll);

    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < count; ++i)
        send(0);
    waitUntil([&]() { return done >= count; }, timeoutMs);
    result.elapsedMs = double(clock.nsecsElapsed()) / 1e6;
    // Whatever is still waiting for a token that never came has hung.
    result.hung = count - done;
    QObject::disconnect(c1);
    QObject::disconnect(c2);
    QObject::disconnect(c3);
    for (QNetworkReply *reply : std::as_const(open)) {
        reply->disconnect();
        reply->abort();
        reply->deleteLater();
    }
    result.tokenRequests = m_flowNam.requests - tokenRequestsBefore;
    return result;
}

} // namespace Bench
