// SPDX-License-Identifier: MIT
#pragma once

// The comparison client for the 401 storm: QtNetworkAuth's
// QOAuth2AuthorizationCodeFlow wired the way its documentation suggests an
// application do it: requests go through a plain QNetworkAccessManager with
// "Authorization: Bearer <flow.token()>"; a 401 calls refreshAccessToken()
// and the request is retried once when tokenChanged() reports a new token.
// QtNetworkAuth is used here only, never in the SDK.

#include <QNetworkAccessManager>
#include <QOAuth2AuthorizationCodeFlow>
#include <QOAuthOobReplyHandler>
#include <QUrl>

namespace Bench {

//! A QNetworkAccessManager that counts what it sends (the flow's token requests).
class CountingNetworkAccessManager : public QNetworkAccessManager
{
public:
    int requests = 0;

protected:
    QNetworkReply *createRequest(Operation op, const QNetworkRequest &request,
                                 QIODevice *outgoingData) override
    {
        ++requests;
        return QNetworkAccessManager::createRequest(op, request, outgoingData);
    }
};

class QtNetworkAuthClient
{
public:
    explicit QtNetworkAuthClient(const QUrl &base);
    ~QtNetworkAuthClient();
    QtNetworkAuthClient(const QtNetworkAuthClient &) = delete;
    QtNetworkAuthClient &operator=(const QtNetworkAuthClient &) = delete;

    /*!
        Obtains tokens with a password grant sent by hand (the flow has no
        password grant) and hands them to the flow with setToken() and
        setRefreshToken(). False when the grant failed.
    */
    bool signIn();

    /*!
        One refreshAccessToken() on its own: the milliseconds until tokenChanged(),
        or -1 when no new token came within 10 s.
    */
    double refreshRoundTripMs();

    struct StormResult
    {
        int ok = 0;
        int failed = 0; //!< ended with something other than 200
        int hung = 0; //!< never answered (a retry waiting for a token that never came)
        int refreshCalls = 0; //!< refreshAccessToken() calls the app made
        int tokenRequests = 0; //!< requests the flow put on the wire to the token endpoint
        int flowErrors = 0; //!< QAbstractOAuth2::error() + requestFailed() emissions
        double elapsedMs = 0;
    };
    //! Sends \a count GETs at once; each 401 refreshes and retries once.
    StormResult storm(int count, int timeoutMs);

    //! 1000 GETs at once without any fault (time baseline).
    double baselineMs(int count);

    //! Whether a fresh refreshAccessToken() still yields a token (the session survived).
    bool sessionAlive();

    QNetworkRequest apiRequest() const;

private:
    QUrl m_base;
    QNetworkAccessManager m_api; // the application's own manager
    CountingNetworkAccessManager m_flowNam; // the flow's, to count what it sends
    // Parses token responses for the flow (an app signing in through the browser
    // would use QOAuthHttpServerReplyHandler, which parses them the same way).
    QOAuthOobReplyHandler m_replyHandler;
    QOAuth2AuthorizationCodeFlow m_flow;
};

} // namespace Bench
