// SPDX-License-Identifier: MIT
#pragma once

// Runs the `securetokens` CLI in real child processes with an isolated HOME,
// config file and keychain service, without blocking the event loop (the mock
// server the CLI talks to usually lives in the test's own thread).

#include <QByteArray>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

/*!
    Files under \a root that contain \a needle (skipping sockets and files
    over 16 MiB): where a CLI run may have left a secret behind.
*/
inline QStringList filesContaining(const QString &root, const QByteArray &needle)
{
    QStringList hits;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::NoSymLinks,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile file(path);
        if (file.size() > 16 * 1024 * 1024 || !file.open(QIODevice::ReadOnly))
            continue;
        if (file.readAll().contains(needle))
            hits.append(path);
    }
    return hits;
}

class CliProcess
{
public:
    struct Run
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };

    CliProcess(const QString &program, const QString &home, const QString &service)
        : m_program(program), m_home(home), m_service(service)
    { }

    QProcessEnvironment environment(const QProcessEnvironment &extra = {}) const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), m_home);
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home + QStringLiteral("/.config"));
        env.insert(QStringLiteral("SECURETOKENS_SERVICE"), m_service);
        env.remove(QStringLiteral("SECURETOKENS_PASSWORD"));
        for (const QString &key : extra.keys())
            env.insert(key, extra.value(key));
        return env;
    }

    //! Starts the CLI and returns at once; the caller waits for finished().
    std::unique_ptr<QProcess> start(const QStringList &args, const QByteArray &input = {},
                                    const QProcessEnvironment &extra = {}) const
    {
        auto process = std::make_unique<QProcess>();
        process->setProcessEnvironment(environment(extra));
        process->start(m_program, args);
        if (process->waitForStarted()) {
            process->write(input);
            process->closeWriteChannel();
        }
        return process;
    }

    //! Runs the CLI to completion (the event loop keeps running meanwhile).
    Run run(const QStringList &args, const QByteArray &input = {},
            const QProcessEnvironment &extra = {}, int timeoutMs = 60000) const
    {
        std::unique_ptr<QProcess> process = start(args, input, extra);
        if (process->error() == QProcess::FailedToStart)
            return {};
        return finish(process.get(), timeoutMs);
    }

    /*!
        Waits up to \a timeoutMs for a started CLI to end (killed after
        that) and collects what it printed; exitCode -1 when it crashed or
        was killed.
    */
    static Run finish(QProcess *process, int timeoutMs)
    {
        QSignalSpy finished(process, &QProcess::finished);
        if (process->state() != QProcess::NotRunning && !finished.wait(timeoutMs)) {
            process->kill();
            process->waitForFinished();
        }
        return {process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1,
                process->readAllStandardOutput(), process->readAllStandardError()};
    }

private:
    QString m_program;
    QString m_home;
    QString m_service;
};
