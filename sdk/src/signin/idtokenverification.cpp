// SPDX-License-Identifier: MIT
#include "idtokenverification_p.h"

#include "discovery_p.h"
#include "idtoken_p.h"
#include "jwkscache_p.h"
#include "signinflows_p.h"

#include "core/invokelater.h"
#include "session/signinhost_p.h"

#include <QDateTime>

#include <memory>

namespace SecureTokens {

void verifyIdToken(SignInHost *host, SignInFlows *flows, const TokenResponse &response,
                   bool required, const QByteArray &nonce, QObject *context,
                   std::function<void(const ErrorInfo &error, const QVariantMap &claims)> done,
                   const QString &issuerHint, const AuthenticationRequirements &requirements)
{
    if (response.idToken.isEmpty()) {
        const ErrorInfo error = required
                ? ErrorInfo::make(Error::MalformedResponse,
                                  QStringLiteral("OpenID Connect was requested but the provider "
                                                 "sent no ID token."))
                : ErrorInfo();
        invokeLater(context, [done = std::move(done), error] { done(error, {}); });
        return;
    }
    const SessionConfig &config = host->config();
    EndpointDiscovery *discovery = flows->discovery();
    if (config.jwksUri.isEmpty() && discovery && discovery->pending()) {
        // The keys' location (and the issuer to expect) come from discovery.
        auto copy = std::make_shared<TokenResponse>();
        copy->idToken = response.idToken.clone();
        discovery->ensure(context, [=, done = std::move(done)](const ErrorInfo &error) mutable {
            if (error.isError()) {
                done(error, {});
                return;
            }
            verifyIdToken(host, flows, *copy, required, nonce, context, std::move(done), issuerHint,
                          requirements);
        });
        return;
    }
    auto token = std::make_shared<SecretBytes>(response.idToken.clone());
    IdTokenExpectations expected;
    expected.issuer = discovery && discovery->succeeded() ? discovery->metadata().issuer
                                                          : issuerString(config.issuer);
    // Endpoints set by hand, no issuer: the one the authorization response
    // named (RFC 9207) is the only issuer this sign-in knows of.
    if (expected.issuer.isEmpty())
        expected.issuer = issuerHint;
    expected.clientId = config.clientId;
    expected.trustedAudiences = config.trustedAudiences;
    expected.nonce = nonce;
    expected.skew = qint64(config.idTokenClockSkew.count());
    expected.maxAge = requirements.maxAge;
    expected.requiredAcr = requirements.requiredAcr;
    const QUrl jwksUri = config.jwksUri;
    JwksCache *jwks = flows->jwks();
    auto finish = std::make_shared<std::function<void(const ErrorInfo &, const QVariantMap &)>>(
            std::move(done));
    auto attempt = std::make_shared<std::function<void(bool)>>();
    *attempt = [=](bool refetch) {
        jwks->keys(jwksUri, refetch, context, [=](const ErrorInfo &error, const QList<Jwk> &keys) {
            if (error.isError()) {
                token->clear();
                (*finish)(error, {});
                *attempt = nullptr; // break the cycle
                return;
            }
            IdTokenExpectations now = expected;
            now.now = QDateTime::currentSecsSinceEpoch();
            const IdTokenResult result = validateIdToken(token->view(), keys, now);
            // A key id we do not know: the provider may have rotated its
            // keys; fetch the set again, once.
            if (result.unknownKey && !refetch) {
                (*attempt)(true);
                return;
            }
            token->clear();
            QVariantMap claims;
            if (!result.error.isError()) {
                // Plain identity data only: the spent one-time nonce and the
                // token hashes are not for display.
                claims = result.claims.toVariantMap();
                for (const char *hidden : {"nonce", "at_hash", "c_hash"})
                    claims.remove(QLatin1String(hidden));
            }
            (*finish)(result.error, claims);
            *attempt = nullptr;
        });
    };
    (*attempt)(false);
}

} // namespace SecureTokens
