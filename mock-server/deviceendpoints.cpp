// SPDX-License-Identifier: MIT
// The device authorization grant (RFC 8628): the device authorization
// endpoint, the device_code grant of the token endpoint, and the /device page
// where the user enters the code and signs in.
#include "mockauthserver_p.h"

#include "crypto_p.h"
#include "logging_p.h"

namespace SecureTokens::Mock {

namespace {

// RFC 8628 §6.1: a short code from a reduced alphabet (no vowels, no look-alikes).
QString newUserCode()
{
    static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";
    const QByteArray random = Crypto::randomBytes(8);
    QString code;
    for (int i = 0; i < 8; ++i)
        code += QLatin1Char(alphabet[static_cast<unsigned char>(random[i]) % 20]);
    return code;
}

QString normaliseUserCode(const QString &entered)
{
    QString out;
    for (const QChar c : entered) {
        if (c.isLetterOrNumber())
            out += c.toUpper();
    }
    return out;
}

QString displayUserCode(const QString &code)
{
    return code.left(4) + QLatin1Char('-') + code.mid(4);
}

Response page(const QString &title, const QString &body, int status = 200)
{
    return Response::html(QStringLiteral("<!doctype html><html><head><meta charset=\"utf-8\">"
                                         "<title>%1</title></head><body><h1>%1</h1>%2"
                                         "</body></html>")
                                  .arg(title.toHtmlEscaped(), body),
                          status);
}

} // namespace

Response MockAuthServerPrivate::deviceAuthorization(const Request &request)
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
    const QUrlQuery form = parseForm(request.body(), &ok);
    if (!ok)
        return Response::error(400, QStringLiteral("invalid_request"),
                               QStringLiteral("repeated parameter"));
    // RFC 8628 §3.1: a confidential client authenticates as at the token endpoint.
    ClientAuthentication client;
    Response refusal;
    if (!identifiesClient(request, form))
        return Response::error(401, QStringLiteral("invalid_client"),
                               QStringLiteral("unknown client"));
    if (!authenticateClient(request, form, &client, &refusal))
        return refusal;
    const QString clientId = client.clientId;
    QString scope;
    if (!resolveScope(formValue(form, QStringLiteral("scope")), &scope))
        return Response::error(400, QStringLiteral("invalid_scope"),
                               QStringLiteral("unknown scope"));
    // Forget expired grants so the table stays small.
    const qint64 now = nowMs();
    for (auto it = deviceGrants.begin(); it != deviceGrants.end();) {
        if (it->expiresAtMs < now)
            it = deviceGrants.erase(it);
        else
            ++it;
    }
    const QByteArray deviceCode = Crypto::newOpaqueToken();
    DeviceGrant grant;
    grant.clientId = clientId;
    grant.scope = scope;
    grant.userCode = newUserCode();
    grant.expiresAtMs = now + config.deviceCodeTtl * 1000;
    deviceGrants.insert(Crypto::sha256(deviceCode), grant);
    count(QStringLiteral("device_authorizations"));
    qCInfo(lcMockServer, "device code issued");
    const QString verification = issuer() + QStringLiteral("/device");
    return Response::json(
                   QJsonObject {{QStringLiteral("device_code"), QString::fromLatin1(deviceCode)},
                                {QStringLiteral("user_code"), displayUserCode(grant.userCode)},
                                {QStringLiteral("verification_uri"), verification},
                                {QStringLiteral("verification_uri_complete"),
                                 verification + QStringLiteral("?user_code=")
                                         + displayUserCode(grant.userCode)},
                                {QStringLiteral("expires_in"), config.deviceCodeTtl},
                                {QStringLiteral("interval"), config.deviceInterval}})
            .noStore();
}

Response MockAuthServerPrivate::deviceCodeGrant(const TokenRequest &request)
{
    const QUrlQuery &form = request.form;
    const QString &clientId = request.clientId();
    const QByteArray deviceCode = formValue(form, QStringLiteral("device_code")).toLatin1();
    if (deviceCode.isEmpty())
        return Response::error(400, QStringLiteral("invalid_request"),
                               QStringLiteral("missing device_code"));
    const auto it = deviceGrants.find(Crypto::sha256(deviceCode));
    if (it == deviceGrants.end() || it->clientId != clientId)
        return Response::error(400, QStringLiteral("invalid_grant"),
                               QStringLiteral("unknown device code"));
    count(QStringLiteral("device_polls"));
    const qint64 now = nowMs();
    // RFC 8628 §3.5.
    if (now >= it->expiresAtMs)
        return Response::error(400, QStringLiteral("expired_token"),
                               QStringLiteral("the device code expired"));
    const bool tooFast
            = it->lastPollMs > 0 && now - it->lastPollMs < config.deviceInterval * 1000 / 2;
    it->lastPollMs = now;
    if (faults.takeDeviceSlowDown() || tooFast) {
        count(QStringLiteral("device_slow_downs"));
        return Response::error(400, QStringLiteral("slow_down"),
                               QStringLiteral("polling too often"));
    }
    switch (it->status) {
    case DeviceGrant::Status::Pending:
        return Response::error(400, QStringLiteral("authorization_pending"),
                               QStringLiteral("the user has not answered yet"));
    case DeviceGrant::Status::Denied:
        return Response::error(400, QStringLiteral("access_denied"),
                               QStringLiteral("the user denied the request"));
    case DeviceGrant::Status::Used:
        return Response::error(400, QStringLiteral("invalid_grant"),
                               QStringLiteral("device code already used"));
    case DeviceGrant::Status::Approved:
        break;
    }
    IssueOptions issue;
    issue.openIdGrant = true;
    Response refusal;
    if (!resolveAudience({}, form, &issue.audience, &refusal))
        return refusal;
    it->status = DeviceGrant::Status::Used;
    TokenFamily family;
    family.user = it->user;
    family.clientId = clientId;
    family.scope = it->scope;
    family.origin = QStringLiteral("device_code");
    family.resources = issue.audience;
    issue.dpopJkt = request.dpopJkt; // RFC 9449 §5
    if (!request.client.authenticated)
        family.dpopJkt = request.dpopJkt;
    const QByteArray refresh = refreshTokens.createFamily(family, now);
    saveState();
    count(QStringLiteral("device_grants"));
    qCInfo(lcMockServer, "device code exchanged: tokens issued");
    return tokenResponse(*refreshTokens.familyOf(refresh), refresh, issue);
}

Response MockAuthServerPrivate::devicePage(const Request &request)
{
    if (request.method != "GET" && request.method != "POST") {
        Response r = page(QStringLiteral("Method not allowed"), QString(), 405);
        r.setHeader("Allow", "GET, POST");
        return r;
    }
    QString entered;
    QString notice;
    int status = 200;
    if (request.method == "GET") {
        const QUrlQuery query(request.raw.url());
        entered = query.queryItemValue(QStringLiteral("user_code"), QUrl::FullyDecoded);
    } else {
        if (request.mediaType() != "application/x-www-form-urlencoded")
            return page(QStringLiteral("Error"), QStringLiteral("<p>Expected a form.</p>"), 400);
        bool ok = false;
        const QUrlQuery form = parseForm(request.body(), &ok);
        if (!ok)
            return page(QStringLiteral("Error"), QStringLiteral("<p>Repeated field.</p>"), 400);
        entered = formValue(form, QStringLiteral("user_code"));
        const QString code = normaliseUserCode(entered);
        DeviceGrant *grant = nullptr;
        for (auto &candidate : deviceGrants) {
            if (candidate.userCode == code && candidate.status == DeviceGrant::Status::Pending
                && candidate.expiresAtMs > nowMs())
                grant = &candidate;
        }
        const QString user = formValue(form, QStringLiteral("username"));
        if (!grant) {
            notice = QStringLiteral("Unknown or expired code.");
            status = 400;
        } else if (formValue(form, QStringLiteral("action")) == QLatin1String("deny")) {
            grant->status = DeviceGrant::Status::Denied;
            qCInfo(lcMockServer, "device code denied by the user");
            return page(QStringLiteral("Request denied"),
                        QStringLiteral("<p>The device was not signed in.</p>"));
        } else if (const qint64 wait = loginRetryAfter(user, grant->clientId)) {
            count(QStringLiteral("rate_limited"));
            notice = QStringLiteral("Too many failed attempts. Try again in %1 s.").arg(wait);
            status = 429;
        } else if (checkPassword(user, formValue(form, QStringLiteral("password")))) {
            recordLogin(user, grant->clientId, true);
            grant->status = DeviceGrant::Status::Approved;
            grant->user = user;
            count(QStringLiteral("device_approvals"));
            qCInfo(lcMockServer, "device code approved");
            return page(QStringLiteral("Device approved"),
                        QStringLiteral("<p>You can return to your device.</p>"));
        } else {
            recordLogin(user, grant->clientId, false);
            notice = QStringLiteral("Invalid username or password.");
            status = 401;
        }
    }
    const QString error = notice.isEmpty()
            ? QString()
            : QStringLiteral("<p class=\"error\" role=\"alert\">%1</p>")
                      .arg(notice.toHtmlEscaped());
    return page(QStringLiteral("Connect a device"),
                error
                        + QStringLiteral(
                                  "<form method=\"post\" action=\"/device\">"
                                  "<label>Code <input name=\"user_code\" value=\"%1\" "
                                  "required></label>"
                                  "<label>Username <input name=\"username\" "
                                  "autocomplete=\"username\"></label>"
                                  "<label>Password <input name=\"password\" type=\"password\" "
                                  "autocomplete=\"current-password\"></label>"
                                  "<button type=\"submit\" name=\"action\" value=\"allow\">Approve"
                                  "</button><button type=\"submit\" name=\"action\" value=\"deny\" "
                                  "formnovalidate>Deny</button></form>")
                                  .arg(entered.left(32).toHtmlEscaped()),
                status);
}

} // namespace SecureTokens::Mock
