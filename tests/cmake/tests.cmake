# Consuming the installed package, without the build tree: CMake
# (tst_cmake_package, in tests/CMakeLists.txt), pkg-config alone (tst_pkgconfig),
# the examples (tst_examples) and the CLI's man page (tst_manpage).

# pkg-config only: no CMake in the consumer's build (tests/cmake/pkgconfig.cmake).
add_test(NAME tst_pkgconfig
    COMMAND "${CMAKE_COMMAND}"
        -DBUILD_DIR=${PROJECT_BINARY_DIR}
        -DSOURCE=${CMAKE_CURRENT_LIST_DIR}/consumer/main.cpp
        -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/pkgconfig-consumer
        -DCXX=${CMAKE_CXX_COMPILER}
        -DLIBRARY_TYPE=${SECURETOKENS_LIBRARY_TYPE}
        -P ${CMAKE_CURRENT_LIST_DIR}/pkgconfig.cmake)
set_tests_properties(tst_pkgconfig PROPERTIES LABELS unit TIMEOUT 300)

if(TARGET securetokens)
    add_test(NAME tst_manpage
        COMMAND "${CMAKE_COMMAND}"
            -DCLI=$<TARGET_FILE:securetokens>
            -DPAGE=${PROJECT_BINARY_DIR}/cli/securetokens.1
            -P ${CMAKE_CURRENT_LIST_DIR}/manpage.cmake)
    set_tests_properties(tst_manpage PROPERTIES LABELS unit TIMEOUT 60)
endif()

# examples/console and examples/widgets, built from an install and run against
# the mock server (the widgets one offscreen).
if(TARGET securetokens-mock-server)
    securetokens_add_test(NAME tst_examples
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_examples.cpp
        LIBS Qt6::Network
        LABELS integration keychain
        KEYRING
        TIMEOUT 900)
    target_compile_definitions(tst_examples PRIVATE
        SECURETOKENS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        SECURETOKENS_BINARY_DIR="${PROJECT_BINARY_DIR}"
        SECURETOKENS_CMAKE="${CMAKE_COMMAND}"
        SECURETOKENS_CMAKE_GENERATOR="${CMAKE_GENERATOR}"
        SECURETOKENS_MOCK_SERVER_EXE="$<TARGET_FILE:securetokens-mock-server>")
    add_dependencies(tst_examples securetokens-mock-server SecureTokens)
endif()

# The CLI, the mock server and the demo print the project version (tests/cmake/versions.cmake).
set(_st_versioned "")
foreach(_st_program securetokens securetokens-mock-server securetokens-demo)
    if(TARGET ${_st_program})
        string(APPEND _st_versioned "|$<TARGET_FILE:${_st_program}>")
    endif()
endforeach()
if(_st_versioned)
    add_test(NAME tst_versions
        COMMAND "${CMAKE_COMMAND}" "-DPROGRAMS=${_st_versioned}" -DVERSION=${PROJECT_VERSION}
            -P ${CMAKE_CURRENT_LIST_DIR}/versions.cmake)
    set_tests_properties(tst_versions PROPERTIES LABELS unit TIMEOUT 60
        ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
endif()
