# Refresh-token rotation support: the cross-process refresh lock and the
# encrypted-file store (StoragePolicy::EncryptedFile). Both use private headers.
securetokens_add_test(NAME tst_crossprocesslock
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/tst_crossprocesslock.cpp"
    LABELS unit concurrency
    LIBS SecureTokens::SecureTokens)
target_include_directories(tst_crossprocesslock PRIVATE "${PROJECT_SOURCE_DIR}/platform/src")

securetokens_add_test(NAME tst_encryptedfilesecretstore
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/tst_encryptedfilesecretstore.cpp"
    LABELS unit concurrency
    LIBS SecureTokens::SecureTokens
    TIMEOUT 240)
target_include_directories(tst_encryptedfilesecretstore
    PRIVATE "${PROJECT_SOURCE_DIR}/platform/src")
