# Refresh-token rotation support: the cross-process refresh lock and the
# encrypted-file store (StoragePolicy::EncryptedFile). Both use private headers.
securetokens_add_test(NAME tst_crossprocesslock
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/tst_crossprocesslock.cpp"
    LABELS unit concurrency
    LIBS SecureTokens::SecureTokens)
target_link_libraries(tst_crossprocesslock PRIVATE SecureTokens::PlatformInternal)

securetokens_add_test(NAME tst_encryptedfilesecretstore
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/tst_encryptedfilesecretstore.cpp"
    LABELS unit concurrency
    LIBS SecureTokens::SecureTokens
    TIMEOUT 240)
target_link_libraries(tst_encryptedfilesecretstore PRIVATE SecureTokens::PlatformInternal)
