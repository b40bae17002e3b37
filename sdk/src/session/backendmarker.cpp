// SPDX-License-Identifier: MIT
// The note of which storage backend holds an account's record (see
// backendmarker_p.h for why it exists and why it is safe to keep in a file).
// Written by hand: a dozen lines of QSaveFile, no library does this.
#include "backendmarker_p.h"

#include "core/logging.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

#include <algorithm>
#include <array>

namespace SecureTokens::Internal {

namespace {

constexpr QFileDevice::Permissions ownerOnlyDir
        = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner;
constexpr QFileDevice::Permissions ownerOnlyFile = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
// A backend's name is a short word; anything longer is not our note.
constexpr qint64 maxNoteSize = 64;

QString sdkDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
            + QStringLiteral("/securetokens");
}

QString markerDirectory()
{
    return sdkDirectory() + QStringLiteral("/backends");
}

// securetokens/ and securetokens/backends/, each made 0700 from the start
// (QDir::mkpath() would make them with the umask's bits first), and kept so.
bool makeOwnerOnlyDirectories()
{
    if (!QDir().mkpath(QFileInfo(sdkDirectory()).path())) // the user's own data directory
        return false;
    const std::array<QString, 2> directories {sdkDirectory(), markerDirectory()};
    return std::all_of(directories.begin(), directories.end(), [](const QString &directory) {
        return (QFileInfo::exists(directory) || QDir().mkdir(directory, ownerOnlyDir))
                && QFile::setPermissions(directory, ownerOnlyDir);
    });
}

bool persists(const QString &backend)
{
    return !backend.isEmpty() && backend != QLatin1String("memory");
}

} // namespace

QString backendMarkerPath(const QString &storageNamespace, const QString &account)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(storageNamespace.toUtf8());
    hash.addData(QByteArrayView("\n", 1));
    hash.addData(account.toUtf8());
    return markerDirectory() + QLatin1Char('/') + QString::fromLatin1(hash.result().toHex());
}

QString readBackendMarker(const QString &storageNamespace, const QString &account)
{
    QFile file(backendMarkerPath(storageNamespace, account));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray note = file.read(maxNoteSize + 1).trimmed();
    if (note.isEmpty() || note.size() > maxNoteSize)
        return {};
    return QString::fromUtf8(note);
}

bool writeBackendMarker(const QString &storageNamespace, const QString &account,
                        const QString &backend)
{
    if (!persists(backend) || readBackendMarker(storageNamespace, account) == backend)
        return true;
    const QString directory = markerDirectory();
    if (!makeOwnerOnlyDirectories()) {
        qCWarning(lcStorage) << "could not create" << directory
                             << "; a later change of storage backend will read as signed out";
        return false;
    }
    QSaveFile file(backendMarkerPath(storageNamespace, account));
    if (!file.open(QIODevice::WriteOnly) || !file.setPermissions(ownerOnlyFile)
        || file.write(backend.toUtf8() + '\n') < 0 || !file.commit()) {
        qCWarning(lcStorage) << "could not write" << file.fileName()
                             << "; a later change of storage backend will read as signed out";
        return false;
    }
    return true;
}

void removeBackendMarker(const QString &storageNamespace, const QString &account)
{
    QFile::remove(backendMarkerPath(storageNamespace, account));
}

} // namespace SecureTokens::Internal
