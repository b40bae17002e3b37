// SPDX-License-Identifier: MIT
#include "apiresources_p.h"

namespace SecureTokens {

namespace {

//! RFC 8707 §2: "an absolute URI ... MUST NOT include a fragment component".
ErrorInfo checkResource(const QString &resource)
{
    if (resource.isEmpty())
        return {};
    const QUrl url(resource, QUrl::StrictMode);
    if (url.isValid() && !url.isRelative() && !url.hasFragment())
        return {};
    return ErrorInfo::make(Error::InvalidConfiguration,
                           QStringLiteral("SessionConfig::apiResources: \"%1\" is not an absolute "
                                          "URI without a fragment (RFC 8707 §2).")
                                   .arg(resource.left(200)));
}

} // namespace

ApiResourceMap resolveApiResources(const QList<ApiResource> &resources)
{
    ApiResourceMap map;
    for (const ApiResource &entry : resources) {
        if (!entry.origin.isValid() || entry.origin.host().isEmpty())
            continue; // no origin can match it: nothing is ever sent for it
        const QString origin = originOf(entry.origin);
        if (map.slotOfOrigin.contains(origin))
            continue;
        ApiResourceMap::Slot slot;
        slot.audience = entry.audience;
        slot.scopes = entry.scopes;
        // The origin names the API when nothing else does (the CLI's
        // --api-resource ORIGIN); with only an audience (Auth0) no resource is sent.
        slot.resource = !entry.resource.isEmpty() ? entry.resource
                : entry.audience.isEmpty()
                ? entry.origin
                          .adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment
                                    | QUrl::RemoveUserInfo)
                          .toString(QUrl::FullyEncoded)
                : QString();
        slot.error = checkResource(slot.resource);
        int index = -1;
        for (int i = 0; i < map.slots.size(); ++i) {
            const ApiResourceMap::Slot &other = map.slots.at(i);
            if (other.resource == slot.resource && other.audience == slot.audience
                && other.scopes == slot.scopes) {
                index = i; // one token per resource, whatever the number of origins
                break;
            }
        }
        if (index < 0) {
            index = int(map.slots.size());
            map.slots.append(slot);
        }
        map.slotOfOrigin.insert(origin, index);
    }
    return map;
}

void mergeIntoAuthorizationRequest(const ApiResourceMap &map, SessionConfig *config)
{
    for (const ApiResourceMap::Slot &slot : map.slots) {
        if (!slot.resource.isEmpty() && !slot.error.isError()
            && !config->resources.contains(slot.resource))
            config->resources.append(slot.resource);
        if (config->audience.isEmpty() && !slot.audience.isEmpty())
            config->audience = slot.audience;
    }
}

} // namespace SecureTokens
