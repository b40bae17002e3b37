// SPDX-License-Identifier: MIT
#pragma once

// A real SoftHSM2 token in a temporary directory for the PKCS#11 DPoP key
// tests: its own softhsm2.conf (SOFTHSM2_CONF) with directories.tokendir
// inside the directory, initialized with softhsm2-util. Missing SoftHSM2 is
// a failure of the suite, never a skip (it is built only with
// SECURETOKENS_PKCS11). keyObjects() counts the keys on the token through
// the PKCS#11 C API (p11-kit loads the module, as the SDK does).

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include <array>
#include <vector>

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

    /*!
        How many key objects (public and private) the token holds, logged in
        as the user so that private ones are seen; -1 with \a why when the
        token cannot be read.
    */
    int keyObjects(QString *why) const
    {
        CK_FUNCTION_LIST *f = p11_kit_module_load(m_module.toLocal8Bit().constData(), 0);
        if (!f || p11_kit_module_initialize(f) != CKR_OK) {
            *why = QStringLiteral("SoftHSM2 does not load");
            if (f)
                p11_kit_module_release(f);
            return -1;
        }
        int count = -1;
        CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
        CK_ULONG slotCount = 0;
        f->C_GetSlotList(CK_TRUE, nullptr, &slotCount);
        std::vector<CK_SLOT_ID> slots(slotCount);
        if (slotCount > 0 && f->C_GetSlotList(CK_TRUE, slots.data(), &slotCount) == CKR_OK) {
            for (const CK_SLOT_ID slot : slots) {
                CK_TOKEN_INFO info {};
                if (f->C_GetTokenInfo(slot, &info) != CKR_OK
                    || QString::fromUtf8(reinterpret_cast<const char *>(info.label),
                                         sizeof info.label)
                                    .trimmed()
                            != label)
                    continue;
                if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session)
                    == CKR_OK)
                    break;
            }
        }
        QByteArray userPin = pin;
        const CK_RV login = session == CK_INVALID_HANDLE
                ? CKR_TOKEN_NOT_PRESENT
                : f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR *>(userPin.data()),
                             CK_ULONG(userPin.size()));
        if (login == CKR_OK || login == CKR_USER_ALREADY_LOGGED_IN) {
            count = 0;
            for (CK_OBJECT_CLASS keyClass : {CKO_PUBLIC_KEY, CKO_PRIVATE_KEY}) {
                CK_ATTRIBUTE match {CKA_CLASS, &keyClass, sizeof keyClass};
                std::array<CK_OBJECT_HANDLE, 64> found {};
                CK_ULONG n = 0;
                if (f->C_FindObjectsInit(session, &match, 1) != CKR_OK
                    || f->C_FindObjects(session, found.data(), CK_ULONG(found.size()), &n)
                            != CKR_OK)
                    count = -1;
                f->C_FindObjectsFinal(session);
                if (count >= 0)
                    count += int(n);
            }
        }
        if (count < 0)
            *why = QStringLiteral("the token %1 cannot be searched").arg(label);
        if (session != CK_INVALID_HANDLE)
            f->C_CloseSession(session);
        p11_kit_module_finalize(f);
        p11_kit_module_release(f);
        return count;
    }

    QString module() const { return m_module; }
    QString tokenDir() const { return m_dir.filePath(QStringLiteral("tokens")); }

private:
    QTemporaryDir m_dir;
    QString m_module;
};
