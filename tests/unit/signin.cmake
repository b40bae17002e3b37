# Unit tests of the sign-in flows' pure functions: discovery metadata, the
# loopback redirect request parser, PKCE, device authorization responses,
# Set-Cookie and the cookie envelope (tst_signin_parsers); JWKS and ID token
# validation with keys made by the test with OpenSSL (tst_signin_idtoken).
foreach(_st_name parsers idtoken)
    securetokens_add_test(NAME tst_signin_${_st_name}
        SOURCES tst_signin_${_st_name}.cpp
        LABELS unit
        LIBS SecureTokens::SecureTokens OpenSSL::Crypto
        TIMEOUT 60)
    target_link_libraries(tst_signin_${_st_name} PRIVATE SecureTokens::Internal)
endforeach()
