// SPDX-License-Identifier: MIT
// SessionController's apiResources property: SessionConfig::apiResources
// (per-API access tokens, RFC 8707 resource indicators, Auth0's audience)
// declared in QML as a list of plain objects, checked entry by entry.
#include <securetokens/qml/sessioncontroller.h>

#include <QQmlInfo>
#include <QSet>

namespace SecureTokens::Qml {

namespace {

const QStringList knownKeys {QStringLiteral("origin"), QStringLiteral("resource"),
                             QStringLiteral("audience"), QStringLiteral("scopes")};

//! A string, or empty with \a why set.
QString stringValue(const QVariant &value, const QString &key, QString *why)
{
    if (!value.isValid() || value.isNull())
        return {};
    if (value.typeId() == QMetaType::QUrl)
        return value.toUrl().toString(QUrl::FullyEncoded);
    if (value.typeId() != QMetaType::QString) {
        *why = QStringLiteral("\"%1\" must be a string").arg(key);
        return {};
    }
    return value.toString();
}

//! A list of strings (a JS array of strings), or empty with \a why set.
QStringList scopeList(const QVariant &value, QString *why)
{
    if (!value.isValid() || value.isNull())
        return {};
    if (value.typeId() == QMetaType::QStringList)
        return value.toStringList();
    if (value.typeId() != QMetaType::QVariantList) {
        *why = QStringLiteral("\"scopes\" must be a list of strings, e.g. [\"api:read\"]");
        return {};
    }
    QStringList scopes;
    for (const QVariant &scope : value.toList()) {
        const QString s = scope.toString();
        // RFC 6749 §3.3: scope-token is one or more printable characters, no space.
        if (scope.typeId() != QMetaType::QString || s.isEmpty() || s.contains(QLatin1Char(' '))
            || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\\'))) {
            *why = QStringLiteral("\"scopes\" must be a list of scope names (RFC 6749 §3.3: "
                                  "no spaces, quotes or backslashes)");
            return {};
        }
        scopes.append(s);
    }
    return scopes;
}

/*!
    One entry of the property: {origin, resource, audience, scopes}. Returns
    false with \a why for anything else, so that a typo ("audiance") or a
    wrong type never configures an API silently without its token rules.
*/
bool parseEntry(const QVariant &entry, ApiResource *out, QString *why)
{
    if (entry.typeId() != QMetaType::QVariantMap) {
        *why = QStringLiteral("must be an object {origin, resource, audience, scopes}");
        return false;
    }
    const QVariantMap map = entry.toMap();
    for (auto it = map.cbegin(); it != map.cend(); ++it) {
        if (!knownKeys.contains(it.key())) {
            *why = QStringLiteral("unknown key \"%1\" (known: origin, resource, audience, scopes)")
                           .arg(it.key().left(40));
            return false;
        }
    }
    const QString origin
            = stringValue(map.value(QStringLiteral("origin")), QStringLiteral("origin"), why);
    if (!why->isEmpty())
        return false;
    const QUrl url(origin, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (origin.isEmpty() || !url.isValid() || url.host().isEmpty()
        || (scheme != QLatin1String("https") && scheme != QLatin1String("http"))
        || !url.userInfo().isEmpty()) {
        *why = QStringLiteral("\"origin\" must be an http or https URL with a host and no "
                              "user info, e.g. \"https://api.example.com\"");
        return false;
    }
    out->origin = url;
    out->resource
            = stringValue(map.value(QStringLiteral("resource")), QStringLiteral("resource"), why);
    if (!why->isEmpty())
        return false;
    // RFC 8707 §2: an absolute URI without a fragment.
    if (!out->resource.isEmpty()) {
        const QUrl resource(out->resource, QUrl::StrictMode);
        if (!resource.isValid() || resource.isRelative() || resource.hasFragment()) {
            *why = QStringLiteral("\"resource\" must be an absolute URI without a fragment "
                                  "(RFC 8707 §2)");
            return false;
        }
    }
    out->audience
            = stringValue(map.value(QStringLiteral("audience")), QStringLiteral("audience"), why);
    if (!why->isEmpty())
        return false;
    out->scopes = scopeList(map.value(QStringLiteral("scopes")), why);
    return why->isEmpty();
}

QString originKey(const QUrl &url)
{
    return url.scheme().toLower() + QStringLiteral("://") + url.host().toLower() + QLatin1Char(':')
            + QString::number(
                    url.port(url.scheme().toLower() == QLatin1String("https") ? 443 : 80));
}

} // namespace

QVariantList SessionController::apiResources() const
{
    QVariantList list;
    for (const ApiResource &api : currentConfig().apiResources) {
        QVariantMap entry {{QStringLiteral("origin"), api.origin.toString()}};
        if (!api.resource.isEmpty())
            entry.insert(QStringLiteral("resource"), api.resource);
        if (!api.audience.isEmpty())
            entry.insert(QStringLiteral("audience"), api.audience);
        if (!api.scopes.isEmpty())
            entry.insert(QStringLiteral("scopes"), api.scopes);
        list.append(entry);
    }
    return list;
}

void SessionController::setApiResources(const QVariantList &resources)
{
    if (!m_madeInQml || m_ownedSession) {
        qmlWarning(this) << "SessionController: the configuration is fixed once the session "
                            "exists (set it where the controller is declared)";
        return;
    }
    QList<ApiResource> parsed;
    QSet<QString> origins;
    QString why;
    for (qsizetype i = 0; i < resources.size() && why.isEmpty(); ++i) {
        ApiResource api;
        if (parseEntry(resources.at(i), &api, &why) && !origins.contains(originKey(api.origin))) {
            origins.insert(originKey(api.origin));
            parsed.append(api);
        } else if (why.isEmpty()) {
            why = QStringLiteral("\"origin\" %1 is listed twice").arg(api.origin.toString());
        }
        if (!why.isEmpty())
            why = QStringLiteral("apiResources[%1]: %2").arg(i).arg(why);
    }
    // Fail closed: a rejected list leaves no session to send a token with a
    // rule the app did not ask for (the operations report InvalidConfiguration).
    m_apiResourcesError = why;
    if (!why.isEmpty()) {
        qmlWarning(this) << "SessionController: " << why;
        parsed.clear();
    }
    const QVariantList before = apiResources();
    m_config.apiResources = parsed;
    if (apiResources() != before)
        Q_EMIT configurationChanged();
}

bool SessionController::refuseInvalidConfiguration()
{
    if (m_apiResourcesError.isEmpty())
        return false;
    ErrorInfo error;
    error.code = Error::InvalidConfiguration;
    error.message = QStringLiteral("SessionController: %1; no session was created.")
                            .arg(m_apiResourcesError);
    onError(error);
    return true;
}

} // namespace SecureTokens::Qml
