# Applies SECURETOKENS_SANITIZE (a list such as "address;undefined" or "thread")
# to every target defined after this point. Sanitizer builds keep frame pointers
# so that reports are readable.
if(SECURETOKENS_SANITIZE)
    string(REPLACE ";" "," _st_sanitizers "${SECURETOKENS_SANITIZE}")
    add_compile_options(-fsanitize=${_st_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${_st_sanitizers})
    message(STATUS "SecureTokens: building with -fsanitize=${_st_sanitizers}")
endif()
