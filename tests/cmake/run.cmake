# Installs the built project into a scratch prefix, then configures, builds and
# runs tests/cmake/consumer against it with find_package(SecureTokens).
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
    message(FATAL_ERROR "install failed: ${rc}")
endif()
# A consumer of the shared library needs no QtKeychain or OpenSSL development
# files: the package must configure with them hidden, and its exported targets
# must not name them. A static library needs them (find_dependency).
set(hide "")
file(GLOB exported "${prefix}/lib*/cmake/SecureTokens/SecureTokensTargets*.cmake"
     "${prefix}/lib/*/cmake/SecureTokens/SecureTokensTargets*.cmake")
if(NOT exported)
    message(FATAL_ERROR "no SecureTokensTargets*.cmake under ${prefix}")
endif()
if(LIBRARY_TYPE STREQUAL "SHARED")
    set(hide -DCMAKE_DISABLE_FIND_PACKAGE_Qt6Keychain=TRUE -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=TRUE)
    foreach(file IN LISTS exported)
        file(READ "${file}" text)
        # (Qt6::DBus and the file name qt6keychain may appear among the
        # IMPORTED_LINK_DEPENDENT_LIBRARIES, the linker's -rpath-link hints.)
        if(text MATCHES "Qt6Keychain::|OpenSSL::")
            message(FATAL_ERROR "${file} names a private dependency: ${CMAKE_MATCH_0}")
        endif()
    endforeach()
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/build"
                        -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release ${hide}
                RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "configuring the consumer failed: ${rc}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "building the consumer failed: ${rc}")
endif()
# No private header may have been installed.
file(GLOB_RECURSE installed RELATIVE "${prefix}/include" "${prefix}/include/*")
foreach(header IN LISTS installed)
    if(header MATCHES "_p\\.h$")
        message(FATAL_ERROR "private header installed: ${header}")
    endif()
endforeach()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${prefix}/lib:${prefix}/lib/x86_64-linux-gnu"
                        "${WORK_DIR}/build/consumer" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(rc OR NOT out MATCHES "consumer of SecureTokens [0-9]+\\.[0-9]+\\.[0-9]+: ok")
    message(FATAL_ERROR "the consumer failed (${rc}): ${out}")
endif()
message(STATUS "find_package(SecureTokens) consumer built and ran")
