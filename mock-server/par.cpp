// SPDX-License-Identifier: MIT
// Pushed Authorization Requests (RFC 9126): the client POSTs the authorization
// request to /oauth/par (authenticated like at the token endpoint) and sends
// the browser to /oauth/authorize with only client_id and the request_uri it
// got back. A request_uri is bound to its client, expires, and is used once.
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

namespace SecureTokens::Mock {

namespace {
const QString requestUriPrefix = QStringLiteral("urn:ietf:params:oauth:request_uri:");
}

PushedRequest *MockAuthServerPrivate::pushedRequest(const QString &requestUri,
                                                    const QString &clientId)
{
    const auto it = pushedRequests.find(Crypto::sha256(requestUri.toUtf8()));
    // RFC 9126 §4: the request_uri must be live, unused and pushed by this client.
    if (it == pushedRequests.end() || it->used || it->expiresAtMs <= nowMs()
        || it->clientId != clientId)
        return nullptr;
    return &*it;
}

Response MockAuthServerPrivate::pushedAuthorization(const Request &request)
{
    if (request.method != "POST") {
        Response r = Response::error(405, QStringLiteral("invalid_request"),
                                     QStringLiteral("method not allowed"));
        r.setHeader("Allow", "POST");
        return r;
    }
    if (request.mediaType() != "application/x-www-form-urlencoded")
        return Response::error(400, QStringLiteral("invalid_request"),
                               QStringLiteral("expected application/x-www-form-urlencoded"));
    bool ok = false;
    const QUrlQuery form = parseFormAllowing(request.body(), {QStringLiteral("resource")}, &ok);
    if (!ok)
        return Response::error(400, QStringLiteral("invalid_request"),
                               QStringLiteral("repeated parameter"));
    // RFC 9126 §2.1: the client authenticates as it would at the token endpoint.
    ClientAuthentication client;
    Response refusal;
    if (!authenticateClient(request, form, &client, &refusal))
        return refusal;
    // RFC 9449 §10.1: a proof here binds the code to its key, as dpop_jkt would; both
    // must then name the same key.
    QByteArray jkt;
    if (checkServerProof(request, &jkt, &refusal) == DpopResult::Refused)
        return refusal;
    const QByteArray dpopJkt = formValue(form, QStringLiteral("dpop_jkt")).toLatin1();
    if (!jkt.isEmpty() && !dpopJkt.isEmpty() && jkt != dpopJkt)
        return Response::error(400, QStringLiteral("invalid_dpop_proof"),
                               QStringLiteral("dpop_jkt does not match the DPoP proof's key"));
    if (form.hasQueryItem(QStringLiteral("request_uri")))
        return Response::error(400, QStringLiteral("invalid_request"),
                               QStringLiteral("request_uri cannot be pushed (RFC 9126 §2.1)"));
    QHash<QString, QString> params;
    for (const auto &item : form.queryItems(QUrl::FullyDecoded)) {
        if (item.first != QLatin1String("resource") && item.first != QLatin1String("client_secret"))
            params.insert(item.first, item.second);
    }
    params.insert(QStringLiteral("client_id"), client.clientId); // also with client_secret_basic
    const QStringList resources = formValues(form, QStringLiteral("resource"));
    const AuthorizationCheck check = checkAuthorizationRequest(params, resources);
    if (!check.ok()) {
        // §2.3: the errors of RFC 6749 §4.1.2.1, as a JSON answer.
        qCInfo(lcMockServer, "pushed authorization request refused: %ls",
               qUtf16Printable(check.error));
        return Response::error(400,
                               check.redirectable ? check.error : QStringLiteral("invalid_request"),
                               check.description);
    }
    const qint64 now = nowMs();
    for (auto it = pushedRequests.begin(); it != pushedRequests.end();) {
        if (it->expiresAtMs <= now)
            it = pushedRequests.erase(it);
        else
            ++it;
    }
    PushedRequest pushed;
    pushed.clientId = client.clientId;
    pushed.params = params;
    pushed.resources = resources;
    pushed.expiresAtMs = now + config.parTtl * 1000;
    pushed.dpopJkt = jkt.isEmpty() ? dpopJkt : jkt;
    // §2.2: a reference the client cannot guess or forge.
    const QString requestUri = requestUriPrefix + QString::fromLatin1(Crypto::newOpaqueToken());
    pushedRequests.insert(Crypto::sha256(requestUri.toUtf8()), pushed);
    count(QStringLiteral("par_requests"));
    if (!jkt.isEmpty())
        count(QStringLiteral("par_dpop_proofs")); // RFC 9449 §10.1: pushed with a valid proof
    qCInfo(lcMockServer, "authorization request pushed");
    return Response::json(QJsonObject {{QStringLiteral("request_uri"), requestUri},
                                       {QStringLiteral("expires_in"), config.parTtl}},
                          201)
            .noStore();
}

} // namespace SecureTokens::Mock
