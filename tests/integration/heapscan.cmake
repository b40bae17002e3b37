# Leak scan of this process's own memory after sign-out (Linux: /proc/self/mem).
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND NOT SECURETOKENS_SANITIZE)
    securetokens_add_test(NAME tst_heapscan
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_heapscan.cpp
        LIBS SecureTokens::SecureTokens Qt6::Network
        LABELS integration
        TIMEOUT 120)
    target_compile_definitions(tst_heapscan PRIVATE
        SECURETOKENS_MOCK_SERVER_PATH="$<TARGET_FILE:securetokens-mock-server>")
    add_dependencies(tst_heapscan securetokens-mock-server)
    # Freed memory is overwritten (perturb) and never parked in glibc's
    # per-thread cache, where free() does not perturb: what the scan then
    # finds is live memory.
    set_property(TEST tst_heapscan APPEND PROPERTY ENVIRONMENT
        "GLIBC_TUNABLES=glibc.malloc.tcache_count=0:glibc.malloc.perturb=165")
endif()
