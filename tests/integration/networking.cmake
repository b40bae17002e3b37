# AuthenticatedNetworkAccessManager against the in-process mock server (loopback only).
foreach(suite retry failures origins relays)
    securetokens_add_test(NAME tst_authenticatedrequests_${suite}
        SOURCES tst_authenticatedrequests_${suite}.cpp tst_authenticatedrequests_fixture.h
        LABELS integration
        LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
        TIMEOUT 180)
endforeach()
# 20 s of steady traffic with 3 s access tokens: its own executable so it runs in parallel.
securetokens_add_test(NAME tst_authenticatedrequests_steady
    SOURCES tst_authenticatedrequests_steady.cpp tst_authenticatedrequests_fixture.h
    LABELS integration
    LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
    TIMEOUT 120)
# Per-API access tokens (SessionConfig::apiResources) against two resource servers per audience.
securetokens_add_test(NAME tst_apiresources
    SOURCES tst_apiresources.cpp tst_authenticatedrequests_fixture.h
    LABELS integration
    LIBS SecureTokens::SecureTokens SecureTokens::MockServer Qt6::Network
    TIMEOUT 120)
