# Consuming the installed package, without the build tree: CMake
# (tst_cmake_package, in tests/CMakeLists.txt), pkg-config alone (tst_pkgconfig),
# and the CLI's man page (tst_manpage).

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
