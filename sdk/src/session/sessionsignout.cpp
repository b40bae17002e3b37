// SPDX-License-Identifier: MIT
// Sign-out: the local wipe, RFC 7009 revocation (best effort, with the
// stored record read first when no session was restored), and the hand-over
// to RP-Initiated Logout when the provider's session is to end too.
#include "session_p.h"

#include "dpopkeystore_p.h"

#include "core/invokelater.h"
#include "core/logging.h"

namespace SecureTokens {

void SessionPrivate::startSignOut(bool atProvider)
{
    Q_Q(Session);
    abortInFlight();
    m_signingOut = true;
    const quint64 epoch = m_epoch;
    auto token = std::make_shared<SecretBytes>(std::move(m_record.refreshToken));
    // RP-Initiated Logout §2: the ID token names the provider session to end.
    auto idToken = std::make_shared<SecretBytes>(std::move(m_record.idToken));
    // Revoking a DPoP-bound refresh token takes a proof with its key (RFC 9449 §5).
    const std::shared_ptr<Internal::DpopKey> dpopKey = m_client.dpopKey();
    wipeTokens();
    m_client.setDpopKey(dpopKey);
    releaseWaiters(ErrorInfo::make(Error::NotSignedIn, QStringLiteral("Signed out.")));

    struct Outcome
    {
        int pending = 2;
        ErrorInfo storage;
        ErrorInfo revocation;
        QString unreachableKey; // the record's key reference, when it could not be opened
    };
    auto outcome = std::make_shared<Outcome>();
    auto finishOne = [this, epoch, outcome, atProvider, idToken] {
        if (--outcome->pending > 0 || epoch != m_epoch)
            return;
        m_signingOut = false;
        m_client.setStoredClientSecret({}); // the record it came from is gone
        // The revocation has had its proof; with the record gone nothing can
        // use the key again, so a key pair on a token goes too.
        if (!outcome->storage.isError())
            destroyDpopKey(outcome->unreachableKey);
        m_client.setDpopKey(nullptr);
        if (outcome->storage.isError())
            emitError(outcome->storage, SessionOperation::SignOut);
        else if (outcome->revocation.isError())
            emitError(outcome->revocation, SessionOperation::SignOut);
        setState(Session::State::SignedOut);
        if (atProvider) {
            // Signed out here; now at the provider, which emits signedOut().
            endProviderSession(std::move(*idToken));
            return;
        }
        Q_EMIT q_ptr->signedOut();
    };

    auto revokeAndRemove = [this, q, token, outcome, finishOne](bool ours) {
        if (!ours) {
            // Another client's or server's record (checkAccountBinding()): not
            // ours to send anywhere or to delete.
            invokeLater(q, finishOne);
            invokeLater(q, finishOne);
            return;
        }
        // The local wipe does not depend on the server (RFC 7009 is best effort).
        removeStoredRecord([outcome, finishOne](const SecretStore::Result &result) {
            if (!result.ok())
                outcome->storage = storageError(
                        result, QStringLiteral("The stored session could not be removed."));
            finishOne();
        });
        if (token->isEmpty() || !m_transport->canRevoke()) {
            invokeLater(q, finishOne);
            return;
        }
        m_transport->revoke(*token, q, [outcome, finishOne, token](const ErrorInfo &error) {
            token->clear();
            if (error.isError()) {
                outcome->revocation = error;
                outcome->revocation.message
                        = QStringLiteral("Signed out on this device, but the server could not be "
                                         "told: ")
                        + error.message;
            }
            finishOne();
        });
    };

    if (!token->isEmpty()) {
        revokeAndRemove(true);
        return;
    }
    // Signing out without a restored session (e.g. `securetokens logout` in a
    // new process): read the stored record so the server can revoke it too.
    m_store->read(m_config.account, q,
                  [this, token, idToken, outcome,
                   revokeAndRemove](const SecretStore::Result &result, SecretBytes stored) {
                      AccountRecord record;
                      if (!result.ok() || decodeAccountRecord(stored.view(), &record).isError()) {
                          revokeAndRemove(true); // nothing usable: just remove it
                          return;
                      }
                      const bool ours = !checkAccountBinding(record, m_config).isError();
                      if (ours)
                          *idToken = std::move(record.idToken);
                      if (ours && m_transport->canRevoke()) {
                          *token = std::move(record.refreshToken);
                          if (!record.clientSecret.isEmpty()) // RFC 7009 §2.1 authenticates
                              m_client.setStoredClientSecret(std::move(record.clientSecret));
                      }
                      // For the revocation's proof, and to destroy a key pair on a
                      // token with the record (also without a revocation endpoint).
                      if (ours) {
                          ErrorInfo keyError; // no key: revoked without a proof
                          if (auto key = Internal::loadDpopKey(record, m_config, &keyError))
                              m_client.setDpopKey(std::move(key));
                          else
                              outcome->unreachableKey = record.dpopKeyReference;
                      }
                      revokeAndRemove(ours);
                  });
}

void SessionPrivate::destroyDpopKey(const QString &unreachableKey) const
{
    const std::shared_ptr<Internal::DpopKey> key = m_client.dpopKey();
    // The reference names the token and the key, never the PIN.
    if (key && !key->reference().isEmpty() && !key->destroy())
        qCWarning(lcSession).noquote()
                << "DPoP key" << key->reference() << "not destroyed: the token refused or is gone";
    else if (!key && !unreachableKey.isEmpty())
        qCWarning(lcSession).noquote()
                << "DPoP key" << unreachableKey << "not destroyed: the token cannot be reached";
}

void Session::signOut()
{
    Q_D(Session);
    d->startSignOut();
}

void Session::signOutWithOptions(SignOutOptions options)
{
    Q_D(Session);
    d->startSignOut(options.testFlag(SignOutOption::EndProviderSession));
}

} // namespace SecureTokens
