// SPDX-License-Identifier: MIT
// Qt Quick Test entry point for tst_qmlcontroller.qml: an in-process mock
// server, and nothing else from C++. The QML creates and configures its own
// SessionController, which also authenticates the engine's XMLHttpRequest.
#include "mockauthserver.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QQmlContext>
#include <QTimer>
#include <QUrlQuery>
#include <QQmlEngine>
#include <QtQuickTest/quicktest.h>

#include <memory>

//! The person approving a device sign-in elsewhere: the /device form, posted without the SDK.
class DeviceUser : public QObject
{
    Q_OBJECT
public:
    //! The HTTP status of the approval (0: no answer within 15 s).
    Q_INVOKABLE int approve(const QUrl &verificationUri, const QString &userCode)
    {
        QUrlQuery form;
        form.addQueryItem(QStringLiteral("user_code"), userCode);
        form.addQueryItem(QStringLiteral("username"), QStringLiteral("alice"));
        form.addQueryItem(QStringLiteral("password"), QStringLiteral("wonderland"));
        form.addQueryItem(QStringLiteral("action"), QStringLiteral("allow"));
        QNetworkRequest request(verificationUri);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/x-www-form-urlencoded"));
        QNetworkReply *reply = m_nam.post(request, form.toString(QUrl::FullyEncoded).toUtf8());
        QEventLoop loop;
        connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(15000, &loop, &QEventLoop::quit);
        loop.exec();
        const int status = reply->isFinished()
                ? reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()
                : 0;
        reply->deleteLater();
        return status;
    }

private:
    QNetworkAccessManager m_nam;
};

class QmlControllerSetup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void applicationAvailable()
    {
        SecureTokens::Mock::ServerConfig config;
        config.signing = SecureTokens::Mock::ServerConfig::Signing::HS256; // no RSA key generation
        config.idTokenAlg = SecureTokens::Mock::ServerConfig::IdTokenAlg::ES256;
        config.deviceInterval = 1; // RFC 8628 §3.2: the server sets the polling interval
        m_server = std::make_unique<SecureTokens::Mock::MockAuthServer>(config);
        if (!m_server->listen())
            qFatal("mock server: %s", qPrintable(m_server->errorString()));
    }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        // The build tree's module directory (qmldir, plugin): this executable
        // uses nothing of libsecuretokensqml itself, so the engine loads the
        // module as a QML-only app's engine would.
        engine->addImportPath(QStringLiteral(QML_MODULES_DIR));
        engine->rootContext()->setContextProperty(QStringLiteral("serverUrl"), m_server->baseUrl());
        engine->rootContext()->setContextProperty(QStringLiteral("deviceUser"), &m_deviceUser);
    }

    void cleanupTestCase() { m_server.reset(); }

private:
    DeviceUser m_deviceUser;
    std::unique_ptr<SecureTokens::Mock::MockAuthServer> m_server;
};

QUICK_TEST_MAIN_WITH_SETUP(qmlcontroller, QmlControllerSetup)

#include "tst_qmlcontroller.moc"
