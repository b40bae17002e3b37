// SPDX-License-Identifier: MIT
#pragma once

// The interop harness (tests/interop/) from Qt Test suites: node's
// oidc-provider as a third-party provider, the resource servers and the
// scripted browser, each a child process on loopback.
//
//   InteropProvider provider;
//   QVERIFY2(provider.start(QStringLiteral("public-native")), provider.failure());
//   provider.issuer();                   // http://127.0.0.1:PORT
//   provider.stats();                    // GET /_interop/stats: event counts, live tokens
//
// Paths come from compile definitions (SECURETOKENS_NODE, SECURETOKENS_INTEROP_DIR:
// the build-tree copy of tests/interop with its node_modules), else from the
// environment variables of the same names.

#include <QByteArray>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <QStringList>
#include <QUrl>

namespace Interop {

inline QString node()
{
#ifdef SECURETOKENS_NODE
    return QStringLiteral(SECURETOKENS_NODE);
#else
    const QString fromEnv = qEnvironmentVariable("SECURETOKENS_NODE");
    return fromEnv.isEmpty() ? QStringLiteral("node") : fromEnv;
#endif
}

inline QString dir()
{
    const QString fromEnv = qEnvironmentVariable("SECURETOKENS_INTEROP_DIR");
#ifdef SECURETOKENS_INTEROP_DIR
    if (fromEnv.isEmpty())
        return QStringLiteral(SECURETOKENS_INTEROP_DIR);
#endif
    return fromEnv;
}

inline QString script(const QString &name)
{
    return QDir(dir()).filePath(name);
}

//! Whether the node packages are installed (the interop_npm_ci fixture ran).
inline bool installed()
{
    return QFileInfo::exists(
            QDir(dir()).filePath(QStringLiteral("node_modules/oidc-provider/package.json")));
}

//! The $BROWSER command line for `securetokens login --browser` (split by
//! QProcess::splitCommand in the CLI: paths are double-quoted).
inline QString browserCommand()
{
    const auto quoted = [](const QString &arg) {
        return QLatin1Char('"') + arg + QLatin1Char('"');
    };
    return quoted(node()) + QLatin1Char(' ') + quoted(script(QStringLiteral("browser.mjs")));
}

//! One JSON exchange with a harness process over loopback (event loop runs).
inline QJsonObject exchange(const QUrl &url, const QByteArray &verb = "GET",
                            const QByteArray &body = {}, int timeoutMs = 10000)
{
    QNetworkAccessManager nam;
    QNetworkRequest request(url);
    request.setTransferTimeout(timeoutMs);
    if (!body.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("text/plain"));
    QNetworkReply *reply = nam.sendCustomRequest(request, verb, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(timeoutMs + 1000);
    const QJsonObject json = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return json;
}

/*!
    A node script of the harness as a child process: start() waits, with a
    deadline, for its first stdout line "listening on URL"; the lines after it
    (one JSON object each: the script's event log) are kept for lines().
    The script gets --exit-on-stdin-close, so it also ends if the test dies.
*/
class NodeProcess
{
public:
    NodeProcess() = default;
    NodeProcess(const NodeProcess &) = delete;
    NodeProcess &operator=(const NodeProcess &) = delete;
    ~NodeProcess() { stop(); }

    bool start(const QString &scriptName, const QStringList &arguments, int timeoutMs = 20000)
    {
        m_failure.clear();
        if (!installed()) {
            m_failure = QStringLiteral("the interop node packages are missing in %1 (run the "
                                       "interop_npm_ci test or `cmake --build build --target "
                                       "interop-npm`)")
                                .arg(dir());
            return false;
        }
        QDeadlineTimer deadline(timeoutMs);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start(node(),
                        QStringList {script(scriptName), QStringLiteral("--exit-on-stdin-close")}
                                + arguments);
        if (!m_process.waitForStarted(int(deadline.remainingTime()))) {
            m_failure = QStringLiteral("%1 did not start: %2").arg(node(), m_process.errorString());
            return false;
        }
        while (!m_process.canReadLine()) {
            if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning) {
                m_failure = QStringLiteral("%1 printed no listening line: %2")
                                    .arg(scriptName,
                                         QString::fromUtf8(m_process.readAllStandardError()));
                return false;
            }
            m_process.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        }
        const QString line = QString::fromUtf8(m_process.readLine()).trimmed();
        static const QString prefix = QStringLiteral("listening on ");
        m_url = QUrl(line.mid(prefix.size()));
        if (!line.startsWith(prefix) || !m_url.isValid() || m_url.port() <= 0) {
            m_failure = QStringLiteral("unexpected first line from %1: %2").arg(scriptName, line);
            return false;
        }
        return true;
    }

    //! Closes stdin and sends SIGTERM; true if the script exited 0 in time.
    bool stop(int timeoutMs = 10000)
    {
        if (m_process.state() == QProcess::NotRunning)
            return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
        m_process.closeWriteChannel();
        m_process.terminate();
        if (!m_process.waitForFinished(timeoutMs)) {
            m_process.kill();
            m_process.waitForFinished(timeoutMs);
            return false;
        }
        return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
    }

    //! The event log so far (stdout after the listening line), one object a line.
    QList<QJsonObject> lines()
    {
        m_pending += m_process.readAllStandardOutput();
        qsizetype newline;
        while ((newline = m_pending.indexOf('\n')) >= 0) {
            const QByteArray line = m_pending.left(newline);
            m_pending.remove(0, newline + 1);
            m_lines.append(QJsonDocument::fromJson(line).object());
        }
        return m_lines;
    }
    QByteArray standardError() { return m_stderr += m_process.readAllStandardError(); }

    QUrl url() const { return m_url; }
    QString failure() const { return m_failure; }
    QByteArray failureText() const { return m_failure.toUtf8(); }

protected:
    QProcess m_process;
    QUrl m_url;
    QString m_failure;
    QByteArray m_pending;
    QByteArray m_stderr;
    QList<QJsonObject> m_lines;
};

//! tests/interop/provider.mjs: oidc-provider with one profile of profiles.json.
class InteropProvider : public NodeProcess
{
public:
    //! Extra arguments: e.g. {"--access-ttl", "5"} or {"--host", "::1"}.
    bool start(const QString &profile, const QStringList &extra = {}, int timeoutMs = 20000)
    {
        return NodeProcess::start(QStringLiteral("provider.mjs"),
                                  QStringList {QStringLiteral("--profile"), profile} + extra,
                                  timeoutMs);
    }
    //! The issuer exactly as the discovery document names it (no trailing slash).
    QString issuer() const { return m_url.toString(); }
    QUrl endpoint(const QString &path) const
    {
        QUrl url = m_url;
        url.setPath(path);
        return url;
    }
    //! {"profile", "events": {name: count}, "live": {Model: count}, "issued": {...}}
    QJsonObject stats() const { return exchange(endpoint(QStringLiteral("/_interop/stats"))); }
    //! How often the provider emitted an event, e.g. "grant.success:refresh_token".
    int events(const QString &name) const
    {
        return stats().value(QLatin1String("events")).toObject().value(name).toInt();
    }
    //! Stored tokens of a kind that are not expired, consumed or revoked ("RefreshToken").
    int live(const QString &model) const
    {
        return stats().value(QLatin1String("live")).toObject().value(model).toInt();
    }
    //! The kinds of provider credential found in text (empty: none leaked).
    QStringList leaks(const QByteArray &text) const
    {
        QStringList out;
        const QJsonArray found = exchange(endpoint(QStringLiteral("/_interop/leak-check")), "POST",
                                          text.isEmpty() ? QByteArrayLiteral(" ") : text)
                                         .value(QLatin1String("leaked"))
                                         .toArray();
        for (const QJsonValue &v : found)
            out.append(v.toString());
        return out;
    }
};

//! tests/interop/resource-server.mjs: an API accepting JWT access tokens for one audience.
class InteropResourceServer : public NodeProcess
{
public:
    bool start(const QString &issuer, const QString &audience, const QString &name,
               bool dpop = false, int timeoutMs = 20000)
    {
        QStringList args {QStringLiteral("--issuer"),   issuer,
                          QStringLiteral("--audience"), audience,
                          QStringLiteral("--name"),     name};
        if (dpop)
            args.append(QStringLiteral("--dpop"));
        return NodeProcess::start(QStringLiteral("resource-server.mjs"), args, timeoutMs);
    }
    QString origin() const { return m_url.toString(); }
    QJsonObject stats() const
    {
        QUrl url = m_url;
        url.setPath(QStringLiteral("/_interop/stats"));
        return exchange(url);
    }
    /*!
        Makes the API refuse every access token it accepted so far (401
        invalid_token, as after a revocation); returns how many (-1: no answer).
    */
    int revokeAccepted() const
    {
        QUrl url = m_url;
        url.setPath(QStringLiteral("/_interop/revoke"));
        return exchange(url, "POST", QByteArrayLiteral("{}"))
                .value(QLatin1String("revoked"))
                .toInt(-1);
    }
    //! The last access token the API accepted, as a thief on the wire would have it.
    QByteArray stolenToken() const
    {
        QUrl url = m_url;
        url.setPath(QStringLiteral("/_interop/stolen-token"));
        return exchange(url).value(QLatin1String("token")).toString().toLatin1();
    }
};

} // namespace Interop
