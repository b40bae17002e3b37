# Unit tests of the pure parsers of untrusted server input (token responses,
# JWT display decoding, WWW-Authenticate) and of SecretBytes / Error. They link
# the real library; the *_p.h private headers live beside the sources in sdk/src.
foreach(_st_name tokenresponse jwtclaims wwwauthenticate secretbytes error requestpolicy)
    securetokens_add_test(NAME tst_${_st_name}
        SOURCES tst_${_st_name}.cpp
        LABELS unit
        LIBS SecureTokens::SecureTokens OpenSSL::Crypto
        TIMEOUT 60)
    target_link_libraries(tst_${_st_name} PRIVATE SecureTokens::Internal)
endforeach()
