// SPDX-License-Identifier: MIT
#pragma once

#include <securetokens/error.h>
#include <securetokens/securetokens_export.h>
#include <securetokens/sessionconfig.h>

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace SecureTokens {

/*!
    \internal
    SessionConfig::apiResources, checked and grouped: one token slot per
    distinct (resource, audience, scopes), and which origin uses which slot.
    A pure function of the configuration (a unit test's subject).
*/
struct ApiResourceMap
{
    struct Slot
    {
        QString resource; //!< sent as resource= (empty: not sent)
        QString audience; //!< sent as audience= (empty: not sent)
        QStringList scopes; //!< sent as scope= (empty: not sent)
        //! InvalidConfiguration for a resource that is not an absolute URI without fragment.
        ErrorInfo error;
    };
    QList<Slot> slots;
    //! originOf() of each mapped origin -> index into slots; the first entry for an origin wins.
    QHash<QString, int> slotOfOrigin;

    bool isEmpty() const { return slots.isEmpty(); }
    //! The slot of \a origin (originOf() form), or -1: that origin gets no token.
    int slotFor(const QString &origin) const { return slotOfOrigin.value(origin, -1); }
};

//! Resolves \a resources (defaults: the resource is the origin unless an audience is set).
SECURETOKENS_EXPORT ApiResourceMap resolveApiResources(const QList<ApiResource> &resources);

/*!
    Adds the slots' resources to \a config's resources (RFC 8707 §2.1: the
    authorization request names every resource the grant is for) and the
    first audience to its audience when that is empty.
*/
SECURETOKENS_EXPORT void mergeIntoAuthorizationRequest(const ApiResourceMap &map,
                                                       SessionConfig *config);

} // namespace SecureTokens
