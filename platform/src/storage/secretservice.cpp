// SPDX-License-Identifier: MIT
#include "secretservice_p.h"

#include "pendingcall_p.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>

#include <algorithm>

namespace SecureTokens::Internal {

namespace {

// The Secret Service API (freedesktop.org Secret Service specification 0.2).
const QString secretsService = QStringLiteral("org.freedesktop.secrets");
const QString secretsPath = QStringLiteral("/org/freedesktop/secrets");

int dbusTimeout(const PendingCall *call)
{
    return int(std::clamp<qint64>(qint64(call->remaining().count()), 1, qint64(60) * 1000));
}

bool isKdeSession()
{
    // The same environment checks QtKeychain 0.13 makes (keychain_unix.cpp).
    const QByteArray desktop = qgetenv("XDG_CURRENT_DESKTOP");
    const QByteArray session = qgetenv("DESKTOP_SESSION");
    return desktop == "KDE" || session == "kde" || session == "kde4"
            || !qgetenv("KDE_FULL_SESSION").isEmpty();
}

} // namespace

bool sessionBusConnected()
{
    return QDBusConnection::sessionBus().isConnected();
}

QString unixBackendName()
{
    static const QString name = [] {
        if (isKdeSession() && sessionBusConnected()) {
            const QDBusConnectionInterface *bus = QDBusConnection::sessionBus().interface();
            for (const char *wallet : {"org.kde.kwalletd6", "org.kde.kwalletd5"}) {
                if (bus && bus->isServiceRegistered(QLatin1String(wallet)))
                    return QStringLiteral("kwallet");
            }
        }
        return QStringLiteral("secret-service");
    }();
    return name;
}

void probeDefaultCollectionLocked(PendingCall *call, std::function<void(bool locked)> done)
{
    if (call->isFinished())
        return;
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected()) {
        done(false);
        return;
    }
    QDBusMessage readAlias = QDBusMessage::createMethodCall(
            secretsService, secretsPath, QStringLiteral("org.freedesktop.Secret.Service"),
            QStringLiteral("ReadAlias"));
    readAlias << QStringLiteral("default");
    auto *aliasWatcher
            = new QDBusPendingCallWatcher(bus.asyncCall(readAlias, dbusTimeout(call)), call);
    QObject::connect(
            aliasWatcher, &QDBusPendingCallWatcher::finished, call,
            [call, done = std::move(done)](QDBusPendingCallWatcher *watcher) mutable {
                watcher->deleteLater();
                if (call->isFinished())
                    return;
                const QDBusPendingReply<QDBusObjectPath> alias = *watcher;
                const QString path = alias.isError() ? QString() : alias.value().path();
                if (path.isEmpty() || path == QLatin1String("/")) {
                    done(false); // no default collection: nothing can be locked
                    return;
                }
                QDBusMessage get = QDBusMessage::createMethodCall(
                        secretsService, path, QStringLiteral("org.freedesktop.DBus.Properties"),
                        QStringLiteral("Get"));
                get << QStringLiteral("org.freedesktop.Secret.Collection")
                    << QStringLiteral("Locked");
                auto *lockedWatcher = new QDBusPendingCallWatcher(
                        QDBusConnection::sessionBus().asyncCall(get, dbusTimeout(call)), call);
                QObject::connect(lockedWatcher, &QDBusPendingCallWatcher::finished, call,
                                 [call, done = std::move(done)](QDBusPendingCallWatcher *w) {
                                     w->deleteLater();
                                     if (call->isFinished())
                                         return;
                                     const QDBusPendingReply<QDBusVariant> locked = *w;
                                     done(!locked.isError() && locked.value().variant().toBool());
                                 });
            });
}

void probeKWalletClosed(PendingCall *call, std::function<void(bool closed)> done)
{
    if (call->isFinished())
        return;
    QDBusConnection bus = QDBusConnection::sessionBus();
    const QDBusConnectionInterface *interface = bus.isConnected() ? bus.interface() : nullptr;
    QString service;
    QString path;
    for (const char *version : {"6", "5"}) {
        const QString name = QStringLiteral("org.kde.kwalletd") + QLatin1String(version);
        if (interface && interface->isServiceRegistered(name)) {
            service = name;
            path = QStringLiteral("/modules/kwalletd") + QLatin1String(version);
            break;
        }
    }
    if (service.isEmpty()) {
        done(false);
        return;
    }
    // kwalletd's org.kde.KWallet interface (kwallet.xml): QtKeychain opens the
    // "network wallet" (kdewallet unless the user chose another one).
    const QDBusMessage networkWallet = QDBusMessage::createMethodCall(
            service, path, QStringLiteral("org.kde.KWallet"), QStringLiteral("networkWallet"));
    auto *nameWatcher
            = new QDBusPendingCallWatcher(bus.asyncCall(networkWallet, dbusTimeout(call)), call);
    QObject::connect(
            nameWatcher, &QDBusPendingCallWatcher::finished, call,
            [call, service, path,
             done = std::move(done)](QDBusPendingCallWatcher *watcher) mutable {
                watcher->deleteLater();
                if (call->isFinished())
                    return;
                const QDBusPendingReply<QString> wallet = *watcher;
                if (wallet.isError() || wallet.value().isEmpty()) {
                    done(false);
                    return;
                }
                QDBusMessage isOpen = QDBusMessage::createMethodCall(
                        service, path, QStringLiteral("org.kde.KWallet"), QStringLiteral("isOpen"));
                isOpen << wallet.value();
                auto *openWatcher = new QDBusPendingCallWatcher(
                        QDBusConnection::sessionBus().asyncCall(isOpen, dbusTimeout(call)), call);
                QObject::connect(openWatcher, &QDBusPendingCallWatcher::finished, call,
                                 [call, done = std::move(done)](QDBusPendingCallWatcher *w) {
                                     w->deleteLater();
                                     if (call->isFinished())
                                         return;
                                     const QDBusPendingReply<bool> open = *w;
                                     done(!open.isError() && !open.value());
                                 });
            });
}

} // namespace SecureTokens::Internal
