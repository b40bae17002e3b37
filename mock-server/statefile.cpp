// SPDX-License-Identifier: MIT
// --state FILE: refresh-token families (hashes only) and the signing key
// survive a restart. Written atomically (QSaveFile) with mode 0600.
#include "mockauthserver_p.h"

#include "logging_p.h"

#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

namespace SecureTokens::Mock {

namespace {
constexpr int stateVersion = 1;
}

bool MockAuthServerPrivate::loadState(QString *error)
{
    if (config.stateFile.isEmpty() || !QFile::exists(config.stateFile))
        return true;
    QFile file(config.stateFile);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the state file: ") + file.errorString();
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()
        || doc.object().value(QStringLiteral("version")).toInt() != stateVersion) {
        *error = QStringLiteral("the state file is not a version %1 mock-server state")
                         .arg(stateVersion);
        return false;
    }
    const QJsonObject state = doc.object();
    const auto algorithm = config.signing == ServerConfig::Signing::RS256
            ? JwtSigner::Algorithm::RS256
            : JwtSigner::Algorithm::HS256;
    // A key of another algorithm is ignored: a new one is made (and saved) instead.
    if (!signer
        && state.value(QStringLiteral("signing")).toString()
                == (algorithm == JwtSigner::Algorithm::RS256 ? QLatin1String("RS256")
                                                             : QLatin1String("HS256"))) {
        signer = JwtSigner::fromExportedKey(
                algorithm, state.value(QStringLiteral("key")).toString().toLatin1());
        if (!signer) {
            *error = QStringLiteral("the state file holds an unreadable signing key");
            return false;
        }
    }
    refreshTokens.loadJson(state);
    qCInfo(lcMockServer, "state loaded: %d refresh-token families", refreshTokens.familyCount());
    return true;
}

void MockAuthServerPrivate::saveState()
{
    if (config.stateFile.isEmpty() || !signer)
        return;
    QJsonObject state = refreshTokens.toJson();
    state.insert(QStringLiteral("version"), stateVersion);
    state.insert(QStringLiteral("signing"), signer->algorithmName());
    state.insert(QStringLiteral("key"), QString::fromLatin1(signer->exportKey()));
    QSaveFile file(config.stateFile);
    if (!file.open(QIODevice::WriteOnly)) {
        qCWarning(lcMockServer, "cannot write the state file: %ls",
                  qUtf16Printable(file.errorString()));
        return;
    }
    // The file holds the private signing key: owner-only, before any byte is written.
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(state).toJson(QJsonDocument::Compact));
    if (!file.commit())
        qCWarning(lcMockServer, "cannot write the state file: %ls",
                  qUtf16Printable(file.errorString()));
}

} // namespace SecureTokens::Mock
