// SPDX-License-Identifier: MIT
#pragma once

// A real SoftHSM2 token in a temporary directory for the PKCS#11 DPoP key
// tests: its own softhsm2.conf (SOFTHSM2_CONF) with directories.tokendir
// inside the directory, initialized with softhsm2-util. Missing SoftHSM2 is
// a failure of the suite, never a skip (it is built only with
// SECURETOKENS_PKCS11).

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>

class SoftHsmToken
{
public:
    static inline const QString label = QStringLiteral("securetokens-it");
    // A throwaway token's PIN made for this run (softhsm2-util takes it on its
    // command line; the SDK gets it from SessionConfig's PIN provider only).
    static inline const QByteArray pin = "4321-test";

    //! Writes the configuration and makes the token; false with \a why.
    bool create(QString *why)
    {
        for (const char *path : {"/usr/lib/softhsm/libsofthsm2.so",
                                 "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"})
            if (QFile::exists(QLatin1String(path)))
                m_module = QLatin1String(path);
        if (m_module.isEmpty()
            || QStandardPaths::findExecutable(QStringLiteral("softhsm2-util")).isEmpty()) {
            *why = QStringLiteral("SoftHSM2 not found (Debian: apt install softhsm2)");
            return false;
        }
        const QString conf = m_dir.filePath(QStringLiteral("softhsm2.conf"));
        QFile file(conf);
        if (!m_dir.isValid() || !file.open(QIODevice::WriteOnly)) {
            *why = QStringLiteral("no temporary directory");
            return false;
        }
        file.write("directories.tokendir = " + tokenDir().toUtf8()
                   + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        file.close();
        qputenv("SOFTHSM2_CONF", conf.toLocal8Bit());
        return reset(why);
    }

    //! Removes every token (as if the card were pulled) and makes a fresh one.
    bool reset(QString *why)
    {
        remove();
        QProcess util;
        util.start(QStringLiteral("softhsm2-util"),
                   {QStringLiteral("--init-token"), QStringLiteral("--free"),
                    QStringLiteral("--label"), label, QStringLiteral("--pin"),
                    QString::fromLatin1(pin), QStringLiteral("--so-pin"),
                    QStringLiteral("so-4321-test")});
        if (!util.waitForFinished(30000) || util.exitCode() != 0) {
            *why = QString::fromLocal8Bit(util.readAllStandardError());
            return false;
        }
        return true;
    }

    //! Deletes the token directory's contents: the token is gone.
    void remove()
    {
        QDir(tokenDir()).removeRecursively();
        QDir().mkpath(tokenDir());
    }

    QString module() const { return m_module; }
    QString tokenDir() const { return m_dir.filePath(QStringLiteral("tokens")); }

private:
    QTemporaryDir m_dir;
    QString m_module;
};
