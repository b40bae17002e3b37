# Issue 19 item 6: no SDK-owned buffer is freed holding a token (Linux, glibc:
# FreeWatch interposes free()/realloc() and reads /proc/self/mem). glibc's
# defaults: no GLIBC_TUNABLES. KEYRING: the keychain row uses the real
# Secret Service.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND NOT SECURETOKENS_SANITIZE)
    securetokens_add_test(NAME tst_heapscan
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_heapscan.cpp ${CMAKE_CURRENT_LIST_DIR}/freewatch.cpp
        LIBS SecureTokens::SecureTokens Qt6::Network ${CMAKE_DL_LIBS}
        LABELS integration keychain
        KEYRING
        TIMEOUT 300)
    target_compile_definitions(tst_heapscan PRIVATE
        SECURETOKENS_MOCK_SERVER_PATH="$<TARGET_FILE:securetokens-mock-server>")
    # free() and realloc() of the executable must be the ones every library
    # calls, and its frames need names for the report.
    target_link_options(tst_heapscan PRIVATE -rdynamic)
    add_dependencies(tst_heapscan securetokens-mock-server)
endif()
