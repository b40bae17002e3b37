securetokens_add_test(NAME tst_session
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_session.cpp
    LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
    LABELS integration)
target_link_libraries(tst_session PRIVATE SecureTokens::Internal)
