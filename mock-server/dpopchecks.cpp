// SPDX-License-Identifier: MIT
// Where the server checks DPoP proofs (RFC 9449): at its token, revocation
// and PAR endpoints (errors per RFC 6749 §5.2: 400 invalid_dpop_proof or
// use_dpop_nonce, §5 and §8) and at its resources (401 with a DPoP
// challenge, §7.1 and §9), with the dpop_reject fault and the counters.
#include "mockauthserver_p.h"

#include "logging_p.h"

namespace SecureTokens::Mock {

namespace {
const QString asContext = QStringLiteral("as");
const QString useNonce = QStringLiteral("use_dpop_nonce");
const QString invalidProof = QStringLiteral("invalid_dpop_proof");
} // namespace

QList<QByteArray> MockAuthServerPrivate::dpopHeaders(const Request &request)
{
    QList<QByteArray> values;
    for (const auto &h : request.headers()) {
        if (h.first.compare("DPoP", Qt::CaseInsensitive) != 0)
            continue;
        // A proof never holds a comma: a comma means two headers folded into one.
        for (const QByteArray &part : h.second.split(','))
            values.append(part.trimmed());
    }
    return values;
}

QUrl MockAuthServerPrivate::requestUri(const Request &request) const
{
    // Qt builds it from the Host header, which is what the client addressed.
    QUrl url = request.raw.url();
    if (url.host().isEmpty()) {
        url = baseUrl();
        url.setPath(request.path);
    }
    return url;
}

QString MockAuthServerPrivate::nonceContext(const ResourceServer &server)
{
    return QStringLiteral("rs:") + server.audience;
}

MockAuthServerPrivate::DpopResult MockAuthServerPrivate::checkServerProof(const Request &request,
                                                                          QByteArray *jkt,
                                                                          Response *refusal,
                                                                          bool *nonceProblem)
{
    const QList<QByteArray> headers = dpopHeaders(request);
    if (headers.isEmpty())
        return DpopResult::Absent;
    const auto refuse = [&](const QString &error, const QString &why) {
        count(QStringLiteral("dpop_rejected"));
        qCInfo(lcMockServer, "DPoP proof refused: %ls", qUtf16Printable(why));
        *refusal = Response::error(400, error, why);
        const bool nonce = error == useNonce;
        if (nonce)
            count(QStringLiteral("dpop_nonce_challenges"));
        // §8: the nonce to use next comes with the error.
        if (nonce || config.dpopNonce)
            refusal->setHeader("DPoP-Nonce", dpop.nonce(asContext));
        if (nonceProblem)
            *nonceProblem = nonce;
        return DpopResult::Refused;
    };
    if (const QString forced = faults.takeDpopReject(); !forced.isEmpty()) {
        count(QStringLiteral("faults_applied"));
        return refuse(forced, QStringLiteral("DPoP proof refused (injected fault)"));
    }
    DpopVerifier::Expectation expected;
    expected.method = request.method;
    expected.uri = requestUri(request);
    expected.nonceContext = asContext;
    expected.requireNonce = config.dpopNonce;
    expected.nowMs = nowMs();
    expected.iatWindowSeconds = config.dpopIatWindow;
    DpopVerifier::Proof proof;
    QString why;
    switch (dpop.check(headers, expected, &proof, &why)) {
    case DpopVerifier::Verdict::Valid:
        count(QStringLiteral("dpop_proofs"));
        *jkt = proof.jkt;
        return DpopResult::Valid;
    case DpopVerifier::Verdict::UseNonce:
        return refuse(useNonce, why);
    case DpopVerifier::Verdict::Invalid:
        break;
    }
    return refuse(invalidProof, why);
}

MockAuthServerPrivate::DpopResult
MockAuthServerPrivate::checkResourceProof(const Request &request, const QByteArray &token,
                                          const ResourceServer &server, QByteArray *jkt,
                                          Response *refusal)
{
    const QString context = nonceContext(server);
    const auto refuse = [&](const QString &error, const QString &why) {
        count(QStringLiteral("dpop_rejected"));
        qCInfo(lcMockServer, "DPoP proof refused at a resource: %ls", qUtf16Printable(why));
        *refusal = resourceError("DPoP", 401, error, why);
        const bool nonce = error == useNonce;
        if (nonce)
            count(QStringLiteral("dpop_nonce_challenges"));
        // §9: as at the authorization server, the nonce comes with the challenge.
        if (nonce || config.dpopNonce)
            refusal->setHeader("DPoP-Nonce", dpop.nonce(context));
        return DpopResult::Refused;
    };
    const QList<QByteArray> headers = dpopHeaders(request);
    // §7.1: a DPoP-bound token needs its proof.
    if (headers.isEmpty())
        return refuse(invalidProof, QStringLiteral("a DPoP proof is required with this token"));
    if (const QString forced = faults.takeDpopReject(); !forced.isEmpty()) {
        count(QStringLiteral("faults_applied"));
        return refuse(forced, QStringLiteral("DPoP proof refused (injected fault)"));
    }
    DpopVerifier::Expectation expected;
    expected.method = request.method;
    expected.uri = requestUri(request);
    expected.accessToken = token;
    expected.nonceContext = context;
    expected.requireNonce = config.dpopNonce;
    expected.nowMs = nowMs();
    expected.iatWindowSeconds = config.dpopIatWindow;
    DpopVerifier::Proof proof;
    QString why;
    switch (dpop.check(headers, expected, &proof, &why)) {
    case DpopVerifier::Verdict::Valid:
        count(QStringLiteral("dpop_proofs"));
        *jkt = proof.jkt;
        return DpopResult::Valid;
    case DpopVerifier::Verdict::UseNonce:
        return refuse(useNonce, why);
    case DpopVerifier::Verdict::Invalid:
        break;
    }
    return refuse(invalidProof, why);
}

} // namespace SecureTokens::Mock
