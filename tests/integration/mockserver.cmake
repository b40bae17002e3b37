# Integration tests of the mock authorization server: real HTTP over loopback
# against an in-process SecureTokens::MockServer (and the executable once).
foreach(suite oauth cookie api admin clientauth userinfo logout par redirects resources stepup
        dpop dpopresource dpopnonce)
    securetokens_add_test(NAME tst_mockserver_${suite}
        SOURCES "${CMAKE_CURRENT_LIST_DIR}/tst_mockserver_${suite}.cpp"
        LABELS integration
        LIBS SecureTokens::MockServer Qt6::Network OpenSSL::Crypto)
    set_target_properties(tst_mockserver_${suite} PROPERTIES AUTOMOC ON)
    target_compile_definitions(tst_mockserver_${suite} PRIVATE
        SECURETOKENS_MOCK_SERVER_EXE="$<TARGET_FILE:securetokens-mock-server>")
    add_dependencies(tst_mockserver_${suite} securetokens-mock-server)
endforeach()
