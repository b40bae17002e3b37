// SPDX-License-Identifier: MIT
#pragma once

// The mock authorization server as a child process (securetokens-mock-server
// --port 0 --admin). A separate process keeps the server's CPU time, heap and
// instruction counts out of what the benchmark measures on the client side.

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QStringList>
#include <QUrl>

namespace Bench {

class MockServerProcess
{
public:
    MockServerProcess() = default;
    ~MockServerProcess();
    MockServerProcess(const MockServerProcess &) = delete;
    MockServerProcess &operator=(const MockServerProcess &) = delete;

    /*!
        Starts \a program with --port 0 --admin --signing HS256 plus \a extraArgs
        and reads the port from its first stdout line. Returns false (with
        \a error) when it did not come up within 30 s.
    */
    bool start(const QString &program, const QStringList &extraArgs, QString *error);
    void stop();

    QUrl baseUrl() const { return m_base; }
    QUrl url(const QString &path) const { return m_base.resolved(QUrl(path)); }

    //! GET /admin/stats (blocks in a local event loop); empty on failure.
    QJsonObject stats();
    //! POST /admin/faults.
    bool setFaults(const QJsonObject &faults);
    //! DELETE /admin/faults.
    bool clearFaults();

    //! stats()[name] now minus in \a before.
    static qint64 delta(const QJsonObject &before, const QJsonObject &after, const QString &name);

private:
    QProcess m_process;
    QNetworkAccessManager m_admin;
    QUrl m_base;
};

} // namespace Bench
