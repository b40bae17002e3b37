securetokens_add_test(NAME tst_session
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_session.cpp
    LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
    LABELS integration)
target_link_libraries(tst_session PRIVATE SecureTokens::Internal)

# The per-account secure record: bound to its issuer and client, migrated from
# bare refresh tokens, carrying identity and scope across restarts.
securetokens_add_test(NAME tst_storedaccount
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_storedaccount.cpp
    LIBS SecureTokens::SecureTokens SecureTokens::Internal SecureTokens::MockServer Qt6::Network
    LABELS integration)

# Session::setApplicationState() and setNetworkReachable(): suspended timers
# hold, activation renews once, reachability ends the backoff at once.
securetokens_add_test(NAME tst_sessionlifecycle
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sessionlifecycle.cpp
        ${CMAKE_CURRENT_LIST_DIR}/tst_authenticatedrequests_fixture.h
    LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
    LABELS integration)

# A start under another storage backend than the one holding the session
# (KWallet vs Secret Service) reports StorageBackendChanged and keeps it.
securetokens_add_test(NAME tst_storagebackendchange
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_storagebackendchange.cpp
    LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
    LABELS integration)
