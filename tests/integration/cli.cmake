# The CLI in real processes, against the in-process mock server, with the real
# Secret Service (KEYRING: its own D-Bus session and gnome-keyring).
if(TARGET securetokens)
    securetokens_add_test(NAME tst_cli
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cli.cpp
        LIBS SecureTokens::SecureTokens SecureTokens::Internal SecureTokens::MockServer Qt6::Network
        LABELS integration keychain
        KEYRING
        TIMEOUT 300)
    target_compile_definitions(tst_cli PRIVATE
        SECURETOKENS_CLI_PATH="$<TARGET_FILE:securetokens>"
        SECURETOKENS_PROJECT_VERSION="${PROJECT_VERSION}")
    add_dependencies(tst_cli securetokens)
endif()
# `login --resource ORIGIN[=RESOURCE]` and `call` with per-API tokens, in real processes.
if(TARGET securetokens)
    securetokens_add_test(NAME tst_cli_resources
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cli_resources.cpp
        LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
        LABELS integration keychain
        KEYRING
        TIMEOUT 180)
    target_compile_definitions(tst_cli_resources PRIVATE
        SECURETOKENS_CLI_PATH="$<TARGET_FILE:securetokens>")
    add_dependencies(tst_cli_resources securetokens)
endif()
# `login --dpop-key pkcs11` (issue 17) in real processes: a real SoftHSM2 token
# (fails without softhsm2, like tst_signin_dpop_pkcs11), the PIN on stdin.
if(TARGET securetokens AND SECURETOKENS_PKCS11)
    securetokens_add_test(NAME tst_cli_dpop_pkcs11
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cli_dpop_pkcs11.cpp
                ${CMAKE_CURRENT_LIST_DIR}/softhsmtoken.h
        LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network PkgConfig::P11KIT
        LABELS integration keychain
        KEYRING
        TIMEOUT 300)
    target_compile_definitions(tst_cli_dpop_pkcs11 PRIVATE
        SECURETOKENS_CLI_PATH="$<TARGET_FILE:securetokens>")
    add_dependencies(tst_cli_dpop_pkcs11 securetokens)
endif()
