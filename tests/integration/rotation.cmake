# Refresh-token rotation across processes: the CLI in many real processes at
# once, killed mid-refresh, against fault injection (real Secret Service).
if(TARGET securetokens)
    securetokens_add_test(NAME tst_rotation
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_rotation.cpp
        LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
        LABELS integration keychain concurrency
        KEYRING
        TIMEOUT 600)
    target_compile_definitions(tst_rotation PRIVATE
        SECURETOKENS_CLI_PATH="$<TARGET_FILE:securetokens>")
    add_dependencies(tst_rotation securetokens)
endif()
