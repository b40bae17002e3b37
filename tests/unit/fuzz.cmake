# Inputs found by the libFuzzer harnesses (fuzz/, scripts/fuzz), kept as unit
# tests so that they run in every build, not only in the clang fuzz build.
securetokens_add_test(NAME tst_fuzzregressions
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/tst_fuzzregressions.cpp"
    LABELS unit
    LIBS SecureTokens::SecureTokens
    TIMEOUT 60)
target_link_libraries(tst_fuzzregressions PRIVATE SecureTokens::Internal)
