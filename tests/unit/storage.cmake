# Storage backends that need no daemon (the real keyring is tested in tests/keychain).
securetokens_add_test(NAME tst_memorysecretstore
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/tst_memorysecretstore.cpp"
    LABELS unit
    LIBS SecureTokens::SecureTokens)
