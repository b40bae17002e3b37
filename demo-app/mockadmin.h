// SPDX-License-Identifier: MIT
#pragma once

#include <QJSValue>
#include <QObject>
#include <QUrl>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

class QNetworkAccessManager;

namespace SecureTokensDemo {

/*!
    The mock server's admin API (/admin/stats, /admin/faults), for the demo's
    "act it out" buttons. It uses its own plain QNetworkAccessManager on
    purpose: admin calls are not the user's requests, carry no bearer token,
    and must work while the session is offline or has ended.
*/
class MockAdmin : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QUrl serverUrl READ serverUrl WRITE setServerUrl NOTIFY serverUrlChanged FINAL)
    //! The last /admin/stats answer (counters only: no token, no user data).
    Q_PROPERTY(QVariantMap stats READ stats NOTIFY statsChanged FINAL)
    //! Whether the server answered the admin API (it needs --admin).
    Q_PROPERTY(bool available READ isAvailable NOTIFY availableChanged FINAL)

public:
    explicit MockAdmin(QObject *parent = nullptr);
    ~MockAdmin() override;

    QUrl serverUrl() const;
    void setServerUrl(const QUrl &url);
    QVariantMap stats() const;
    bool isAvailable() const;

    //! POST /admin/faults; \a done (optional JS function) is called with a bool.
    Q_INVOKABLE void setFaults(const QVariantMap &faults, const QJSValue &done = QJSValue());
    //! DELETE /admin/faults.
    Q_INVOKABLE void clearFaults(const QJSValue &done = QJSValue());
    //! GET /admin/stats into stats.
    Q_INVOKABLE void refreshStats(const QJSValue &done = QJSValue());

Q_SIGNALS:
    void serverUrlChanged();
    void statsChanged();
    void availableChanged();

private:
    QUrl adminUrl(const QString &path) const;
    void setAvailable(bool available);
    static void call(QJSValue done, bool ok);

    QNetworkAccessManager *m_nam;
    QUrl m_serverUrl;
    QVariantMap m_stats;
    bool m_available = false;
};

} // namespace SecureTokensDemo
