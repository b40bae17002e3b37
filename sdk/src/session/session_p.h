// SPDX-License-Identifier: MIT
#pragma once

#include "accountindex_p.h"
#include "accountrecord_p.h"
#include "apiresources_p.h"
#include "refreshtransport_p.h"
#include "signinhost_p.h"
#include "tokenclient_p.h"

#include <securetokens/secretstore.h>
#include <securetokens/session.h>

#include <QDeadlineTimer>
#include <QNetworkReply>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace SecureTokens {

class AccountIndexStore;
class CrossProcessLock;

/*!
    What the refresh lock is keyed by, with the account: where the stored
    record lives (see session.cpp). Everything that rewrites the record
    takes this lock; also the backend note's namespace (backendmarker_p.h).
    Exported for the CLI's `status`.
*/
SECURETOKENS_EXPORT QString refreshLockNamespace(const SessionConfig &config);

/*!
    The store \a config selects (its secretStore, else its storagePolicy's
    backend); for the account index's reserved name a store that refuses
    every call (session.cpp).
*/
std::shared_ptr<SecretStore> makeSecretStore(const SessionConfig &config);

//! Makes the Session's refresh transport (the sign-in layer knows them all: signin/).
using RefreshTransportFactory
        = std::unique_ptr<RefreshTransport> (*)(QNetworkAccessManager *nam,
                                                TokenEndpointClient *client, SessionConfig *config);

/*!
    \internal
    The session's state machine and its single-flight refresh.

    Invariants:
    - at most one refresh (or sign-in) is on the wire per Session; every caller
      that needs a token meanwhile is queued in m_waiters and released exactly
      once with the refresh's outcome;
    - generation increases each time a new access token is installed, so a 401
      for a request sent with an older token can be retried without a refresh;
    - a rotated refresh token is written to the store before the access token
      that came with it is used (store before use).
*/
class SessionPrivate final : public SignInHost
{
    Q_DECLARE_PUBLIC(Session)

public:
    using TokenCallback = std::function<void(const ErrorInfo &error)>;

    SessionPrivate(Session *q, const SessionConfig &config, RefreshTransportFactory transports);
    ~SessionPrivate() override;
    Q_DISABLE_COPY_MOVE(SessionPrivate)

    // --- SignInHost: what the sign-in flows may do ----------------------------
    SessionConfig &config() override { return m_config; }
    QNetworkAccessManager *network() const override { return m_nam; }
    TokenEndpointClient &tokenEndpoint() override { return m_client; }
    RefreshTransport &refreshTransport() override { return *m_transport; }
    Session *session() const override { return q_ptr; }
    quint64 epoch() const override { return m_epoch; }
    bool beginSignIn(const ErrorInfo &configError) override;
    bool beginReauthentication(const ErrorInfo &configError, const QStringList &scopes) override;
    bool isReauthenticating() const override { return m_reauthenticating; }
    void setInFlightReply(QNetworkReply *reply) override
    {
        (m_reauthenticating ? m_reauthReply : m_inFlightReply) = reply;
    }
    QNetworkReply *inFlightReply() const override
    {
        return (m_reauthenticating ? m_reauthReply : m_inFlightReply).data();
    }
    void finishSignIn(quint64 epoch, const ErrorInfo &error, TokenResponse response,
                      const QVariantMap &idTokenClaims = {}) override;
    void abandonSignIn() override;
    void reportErrorLater(const ErrorInfo &error) override { emitErrorLater(error); }
    void reportError(const ErrorInfo &error) override { emitError(error); }
    std::unique_ptr<Extension> &signInExtension() override { return m_signIn; }

    // --- used by AuthenticatedNetworkAccessManager -------------------------
    //! Whether the in-memory access token can be sent now (present, not about to expire).
    bool hasUsableAccessToken() const;
    /*!
        A request may carry the current access token right now: signed in, no
        renewal under way, not signing out, and the token not about to expire
        (the case in which withUsableToken() would answer "go ahead").
    */
    bool canSendNow() const;
    quint64 generation() const { return m_generation; }
    const SecretBytes &accessToken() const { return m_accessToken; }
    //! The access token is DPoP-bound (token_type DPoP, RFC 9449 §5): sent with a proof.
    bool accessTokenIsDpop() const { return m_accessTokenDpop && m_client.dpopKey(); }
    //! A DPoP-bound access token's ath (RFC 9449 §4.2), made when it arrived; else empty.
    const QByteArray &accessTokenAth() const { return m_accessTokenAth; }
    /*!
        Calls \a done (later, exactly once, unless \a context dies) when a usable
        access token is available, refreshing first when needed; with an error
        when none can be had.
    */
    void withUsableToken(QObject *context, TokenCallback done);

    // Per-API tokens (SessionConfig::apiResources; resourcetokens.cpp). A
    // slot is an index into m_apiResources.slots; -1 is the session's own
    // token, and every function below then does what its slot-less
    // namesake does (one branch: the hot path without apiResources stays).
    //! The slot whose token goes to \a origin (originOf() form); -1: none.
    int resourceSlotFor(const QString &origin) const { return m_apiResources.slotFor(origin); }
    bool hasUsableAccessToken(int slot) const;
    bool canSendNow(int slot) const;
    /*!
        canSendNow(\a slot), and when the token is due for renewal (its
        lead time, see SessionConfig::refreshLeadTime) a grant for it is
        queued, while the current one is still sent.
    */
    bool readyToSend(int slot);
    quint64 generation(int slot) const
    {
        return slot < 0 ? m_generation : m_resourceTokens[std::size_t(slot)].generation;
    }
    const SecretBytes &accessToken(int slot) const
    {
        return slot < 0 ? m_accessToken : m_resourceTokens[std::size_t(slot)].token;
    }
    const QByteArray &accessTokenAth(int slot) const
    {
        return slot < 0 ? m_accessTokenAth : m_resourceTokens[std::size_t(slot)].ath;
    }
    bool accessTokenIsDpop(int slot) const
    {
        return slot < 0 ? accessTokenIsDpop()
                        : m_resourceTokens[std::size_t(slot)].dpop && m_client.dpopKey();
    }
    void withUsableToken(int slot, QObject *context, TokenCallback done);
    void onUnauthorized(int slot, quint64 sentGeneration, QObject *context, TokenCallback done);
    /*!
        A request sent with the token of \a sentGeneration was answered 401.
        If a newer token exists, \a done is released at once; otherwise one
        refresh is started (or joined).
    */
    void onUnauthorized(quint64 sentGeneration, QObject *context, TokenCallback done);
    /*!
        An API refused the token of \a sentGeneration with a step-up
        challenge (\a challenge: StepUpRequired with acr_values and max_age):
        stepUpRequired() is emitted later, once per token and challenge
        (sessionreauth.cpp).
    */
    void noteStepUpChallenge(quint64 sentGeneration, const ErrorInfo &challenge);
    /*!
        An API refused the token of \a sentGeneration in \a slot (-1: the
        session's own) with insufficient_scope (\a challenge:
        InsufficientScope with requiredScopes): scopeRequired() is emitted
        later, once per token and challenge (sessionreauth.cpp).
    */
    void noteScopeChallenge(int slot, quint64 sentGeneration, const ErrorInfo &challenge);

    // --- state machine -----------------------------------------------------
    void setState(Session::State state);
    void setOffline(bool offline);
    /*!
        Reports \a error through errorOccurred(), with ErrorInfo::operation
        (\a operation, else the one under way: currentOperation()) and
        ErrorInfo::sessionKept filled in.
    */
    void emitError(const ErrorInfo &error, SessionOperation operation = SessionOperation::None);
    //! emitError() from the event loop; the operation is taken now, not then.
    void emitErrorLater(const ErrorInfo &error,
                        SessionOperation operation = SessionOperation::None);
    //! What the session is doing, from its state (None when idle).
    SessionOperation currentOperation() const;

    void startRestore();
    /*!
        Starts (or joins) the single-flight refresh; \a why tags its errors.
        \a target: the slot whose token it is for (-1: the session's own).
    */
    void startRefresh(SessionOperation why = SessionOperation::Refresh, int target = -1);
    /*!
        Revokes and wipes; with \a atProvider then ends the
        provider's session too (endProviderSession()), and signedOut() waits
        for it.
    */
    void startSignOut(bool atProvider = false);
    /*!
        RP-Initiated Logout through the browser with \a idToken as
        id_token_hint (empty: none); then errorOccurred() if it failed, and
        signedOut(). Lives in the sign-in layer (signin/endsessionflow.cpp),
        which has the loopback listener and discovery.
    */
    void endProviderSession(SecretBytes idToken);

    void refreshWith(SecretBytes refreshToken);
    void onRefreshAnswer(const ErrorInfo &error, TokenResponse response);
    void finishRefresh(const ErrorInfo &error);
    void installAccessToken(TokenResponse &response);
    void scheduleProactiveRefresh(qint64 lifetimeSeconds);
    //! How long before expiry a token of \a lifetimeMs is renewed (SessionConfig::refreshLeadTime).
    qint64 refreshLeadMs(qint64 lifetimeMs) const;
    void wipeTokens();
    void releaseWaiters(const ErrorInfo &error);
    void abortInFlight();

    Session *const q_ptr;
    SessionConfig m_config;
    std::shared_ptr<SecretStore> m_store;
    QNetworkAccessManager *m_nam = nullptr;
    TokenEndpointClient m_client;
    //! Refresh and revocation; OAuth by default, replaceable (cookie transport).
    std::unique_ptr<RefreshTransport> m_transport;
    //! The sign-in layer's state (signin/signinflows_p.h), created there on first use.
    std::unique_ptr<Extension> m_signIn;

    Session::State m_state = Session::State::SignedOut;
    bool m_offline = false;
    ErrorInfo m_lastError;

    SecretBytes m_accessToken;
    bool m_accessTokenDpop = false;
    //! accessTokenAth(): one SHA-256 per DPoP-bound token, not one per request.
    QByteArray m_accessTokenAth;
    QDeadlineTimer m_accessDeadline {QDeadlineTimer::Forever};
    //! A token with less than this left is not sent (see hasUsableAccessToken()).
    qint64 m_sendMarginMs = 1000;
    QDateTime m_accessExpiresAt;
    //! The "sub" of m_idTokenClaims (verified claims only).
    QString m_subject;
    //! The verified claims of m_record, parsed (never the ID token itself).
    QVariantMap m_idTokenClaims;
    //! The granted scope of m_record (RFC 6749 §3.3), as a list.
    QStringList m_grantedScopes;
    quint64 m_generation = 0;
    int m_refreshCount = 0;

    /*!
        In-memory copy of the account's secure record (refresh token, binding,
        identity, scope); the store is the source of truth. Empty refresh
        token: no session to refresh.
    */
    AccountRecord m_record;
    //! The last write of m_record to the store failed: memory is newer.
    bool m_storeBehind = false;

    bool m_refreshInFlight = false;
    //! What the refresh in flight is for (ErrorInfo::operation of its errors).
    SessionOperation m_refreshFor = SessionOperation::Refresh;
    bool m_restoring = false;
    bool m_signingOut = false;
    QPointer<QNetworkReply> m_inFlightReply;
    //! Bumped to invalidate callbacks of operations that were abandoned.
    quint64 m_epoch = 0;

    struct Waiter
    {
        QPointer<QObject> context;
        TokenCallback done;
    };
    std::vector<Waiter> m_waiters;
    QTimer m_proactiveTimer;

    // --- per-API tokens (resourcetokens.cpp) ---------------------------------
    //! One API's access token: memory only, like m_accessToken.
    struct ResourceToken
    {
        SecretBytes token;
        bool dpop = false;
        QByteArray ath; //!< as m_accessTokenAth

        //! The server refused this token (a 401): not sent again.
        bool stale = false;
        //! A grant for this slot is wanted (started by startNextGrant()).
        bool queued = false;
        QDeadlineTimer deadline {QDeadlineTimer::Forever};
        //! When the token is due for renewal (at its next use).
        QDeadlineTimer renewAt {QDeadlineTimer::Forever};
        qint64 sendMarginMs = 1000;
        quint64 generation = 0;
        //! Requests waiting for this slot's grant (single flight per resource).
        std::vector<Waiter> waiters;
    };
    ApiResourceMap m_apiResources;
    //! With apiResources: what the session's own token is for (the first of resources).
    ApiResourceMap::Slot m_ownResource;
    std::vector<ResourceToken> m_resourceTokens;
    //! The slot the refresh in flight is for; -1: the session's own token.
    int m_refreshTarget = -1;
    //! The proactive timer fired while another slot's grant was on the wire.
    bool m_renewOwnToken = false;
    //! Slot generations: distinct from m_generation's values and from each other.
    quint64 m_resourceSerial = quint64(1) << 62;
    //! The refresh grant in flight's token goes where m_refreshTarget says.
    void installGranted(TokenResponse &response);
    void installResourceToken(int slot, TokenResponse &response);
    //! Starts the next grant someone waits for, when none is on the wire.
    void startNextGrant();
    //! After the session's own refresh: the slots waiting behind it get \a error or their turn.
    void settleResourceWaiters(const ErrorInfo &error);
    void finishResourceGrant(int slot, const ErrorInfo &error);
    void wipeResourceTokens();

    // --- app lifecycle and reachability (sessionlifecycle.cpp) ---------------
    //! Both timers' connections; neither refreshes while the app is suspended.
    void setUpTimers();
    //! Follows QNetworkInformation's reachability when the app loaded a backend.
    void followNetworkInformation();
    //! The proactive refresh is due in \a inMs, on both clocks (see m_proactiveDueAt).
    void noteProactiveDue(qint64 inMs);
    //! Suspended or due: whether the token must be renewed on coming back.
    bool proactiveRefreshOverdue() const;
    //! Qt::ApplicationSuspended (mobile): timers hold their refreshes.
    bool m_suspended = false;
    /*!
        When the proactive refresh is due, on the monotonic clock (the timer's)
        and on the wall clock: the monotonic clock stops while the machine
        sleeps, so a token can be dead on waking with its timer still pending.
    */
    QDeadlineTimer m_proactiveDue {QDeadlineTimer::Forever};
    QDateTime m_proactiveDueAt;

    //! Background retries after a transient refresh failure (bounded backoff).
    QTimer m_retryTimer;
    int m_retryAttempt = 0;
    //! The transient error that started the current backoff.
    ErrorInfo m_backoffError;
    //! A not-ready keychain at restore is retried once.
    bool m_storageRetried = false;

    //! A storage failure as an ErrorInfo: the status mapped, \a what and the backend's detail.
    static ErrorInfo storageError(const SecretStore::Result &result, const QString &what);

    //! Makes \a record the session's (identity and scope announced when they change).
    void adoptRecord(AccountRecord record);
    //! Gives the token client the DPoP key of m_record (none: bearer).
    void adoptDpopKey();
    /*!
        At the end of a sign-out that removed the record: destroys the DPoP key
        the client holds where it lives outside the record (a PKCS#11 token),
        or warns with \a unreachableKey, the record's reference to a key that
        could not be opened. Never fails the sign-out.
    */
    void destroyDpopKey(const QString &unreachableKey) const;
    //! DPoPKeyMissing when \a record is DPoP-bound without a usable key (or DPoP is required).
    ErrorInfo checkDpopKey(const AccountRecord &record) const;
    /*!
        At a restore that found no record: StorageBackendChanged when the
        backend note (backendmarker_p.h) names another backend than the store
        in use, else no error (a signed-out user), dropping a stale note.
    */
    ErrorInfo checkBackendUnchanged() const;
    /*!
        A sign-in's writeRecord(): when \a record's DPoP key lives on a token,
        the record it replaces is read first, and a key pair that record named
        on the token is destroyed once the new record is written (nothing can
        use it then). Nothing is written when the session moved on (\a epoch).
    */
    void replaceRecord(AccountRecord *record, quint64 epoch,
                       const std::function<void(const SecretStore::Result &result)> &done);
    //! Writes \a record to the store as one unit (stamped with the backend and the time).
    void writeRecord(AccountRecord *record,
                     const std::function<void(const SecretStore::Result &result)> &done);

    // --- userinfo (userinfo.cpp) ---------------------------------------------
    /*!
        Starts (or joins) the UserInfo request; \a byApplication: through
        Session::fetchUserInfo(), whose failure is also an errorOccurred().
    */
    void startUserInfo(bool byApplication);
    /*!
        SessionConfig::storageFallback SessionOnly: the sign-in whose record
        \a failed to be written goes on in memory (a MemorySecretStore
        replaces the store), reported, then SignedIn.
    */
    void keepSignInInMemory(quint64 epoch,
                            const std::shared_ptr<std::pair<AccountRecord, TokenResponse>> &pending,
                            const SecretStore::Result &failed);
    //! The UserInfo request a sign-in makes by itself, when it can.
    void fetchUserInfoAfterSignIn();
    void sendUserInfo(quint64 epoch, bool retried, bool nonceRetried = false);
    void finishUserInfo(quint64 epoch, ErrorInfo error, const QVariantMap &answer);
    //! Writes \a claims into the stored record (under the refresh lock), then calls \a then.
    void persistClaims(const QByteArray &claims, std::function<void()> then);
    bool m_userInfoInFlight = false;
    //! The request under way was asked for by the application (not only by a sign-in).
    bool m_userInfoReportsError = false;
    //! Rewrites the record's claims; a second lock object, so that it excludes m_lock.
    std::unique_ptr<CrossProcessLock> m_claimsLock;

    // --- the account index (sessionaccounts.cpp) -----------------------------
    /*!
        Lists \a entry (indexEntryOf() the record just stored or adopted) in
        the store's account index when it differs from what this session last
        listed, then calls \a then. An index that cannot be written is logged,
        not reported: the session works without it, and the next session of
        the account lists it again.
    */
    void listAccount(const AccountIndexEntry &entry, const std::function<void()> &then);
    /*!
        writeRecord()'s completion: once \a record is stored, its account is
        listed (listAccount()), then \a done runs. It waits for the index only
        when the entry changes (a sign-in, new claims), so a process that exits
        on the outcome leaves the account listed.
    */
    SecretStore::Callback
    listAfterWrite(const AccountRecord &record,
                   const std::function<void(const SecretStore::Result &result)> &done);
    //! Removes the stored record, then (if it went) its index entry; \a done gets the record's result.
    void removeStoredRecord(const SecretStore::Callback &done);
    std::unique_ptr<AccountIndexStore> m_accountIndex;

    // --- step-up and more scopes (sessionreauth.cpp) -------------------------
    //! The sign-in of beginReauthentication() ended: replace the record, or keep the old one.
    void finishReauthentication(const ErrorInfo &error, TokenResponse response,
                                const QVariantMap &idTokenClaims);
    //! Writes the new grant's record once no refresh is on the wire (store before use).
    void replaceRecord(quint64 epoch,
                       const std::shared_ptr<std::pair<AccountRecord, TokenResponse>> &pending);
    bool m_reauthenticating = false;
    //! The scopes the reauthentication asked for.
    QStringList m_reauthScopes;
    //! Its request on the wire (apart from m_inFlightReply, which a refresh may use meanwhile).
    QPointer<QNetworkReply> m_reauthReply;
    //! The last step-up challenge announced: not again for the same token and challenge.
    struct StepUpSeen
    {
        quint64 generation = 0;
        QStringList acrValues;
        int maxAge = -1;
        bool any = false;
    } m_stepUpSeen;
    //! The last insufficient_scope challenge announced, likewise.
    struct ScopeSeen
    {
        int slot = -1;
        quint64 generation = 0;
        QStringList scopes;
        bool any = false;
    } m_scopeSeen;

    void scheduleRetry(const ErrorInfo &error);
    void resetBackoff();

    /*!
        Held across "read the stored token -> refresh -> store the rotated one"
        so that two processes of one app never present the same refresh token
        (with rotation, the second use would look like theft and end the session).
    */
    std::unique_ptr<CrossProcessLock> m_lock;
    void readStoredTokenAndRefresh(quint64 epoch);
};

} // namespace SecureTokens
