# tst_pkgconfig: installs the built project into a scratch prefix, then builds
# tests/cmake/consumer/main.cpp the way a Makefile would, with nothing but
#   c++ main.cpp $(pkg-config --cflags --libs securetokens)
# and runs it. pkg-config sees only the prefix and Qt's own .pc files, so a
# shared library's consumer is shown to need neither OpenSSL's nor QtKeychain's.
#   -DBUILD_DIR= -DSOURCE= -DWORK_DIR= -DCXX= -DLIBRARY_TYPE=
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
    message(FATAL_ERROR "install failed: ${rc}")
endif()
file(GLOB_RECURSE pc_files "${prefix}/securetokens.pc")
if(NOT pc_files)
    message(FATAL_ERROR "securetokens.pc was not installed under ${prefix}")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir "${pc_file}" DIRECTORY)

# The search path: the prefix, and Qt's .pc files alone (copies in a directory
# of their own, so that libcrypto.pc and the rest of the system's are not found).
execute_process(COMMAND pkg-config --variable=pcfiledir Qt6Core RESULT_VARIABLE rc
                OUTPUT_VARIABLE QT_PC_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
if(rc OR NOT EXISTS "${QT_PC_DIR}/Qt6Core.pc")
    message(FATAL_ERROR "pkg-config finds no Qt6Core.pc (${rc})")
endif()
set(qt_only "${WORK_DIR}/qt-pc")
file(MAKE_DIRECTORY "${qt_only}")
file(GLOB qt_pc "${QT_PC_DIR}/Qt6*.pc")
file(COPY ${qt_pc} DESTINATION "${qt_only}")
set(path "${pc_dir}:${qt_only}")
if(NOT LIBRARY_TYPE STREQUAL "SHARED")
    set(path "${path}:${QT_PC_DIR}") # a static library needs libcrypto.pc too
endif()
set(pkgconfig "${CMAKE_COMMAND}" -E env "PKG_CONFIG_LIBDIR=${path}" --unset=PKG_CONFIG_PATH
              pkg-config)

function(pkgconfig_query out)
    execute_process(COMMAND ${pkgconfig} ${ARGN} securetokens RESULT_VARIABLE rc
                    OUTPUT_VARIABLE text ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc)
        message(FATAL_ERROR "pkg-config ${ARGN} securetokens failed (${rc}): ${err}")
    endif()
    set(${out} "${text}" PARENT_SCOPE)
endfunction()

pkgconfig_query(version --modversion)
pkgconfig_query(requires --print-requires)
pkgconfig_query(flags --cflags --libs)
message(STATUS "securetokens.pc: version ${version}; requires ${requires}; flags ${flags}")
if(NOT version MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
    message(FATAL_ERROR "odd --modversion: '${version}'")
endif()
foreach(module Qt6Core Qt6Network)
    if(NOT requires MATCHES "${module}")
        message(FATAL_ERROR "securetokens.pc does not require ${module}: ${requires}")
    endif()
endforeach()
# The .pc file locates the prefix relative to itself: its -I must lead there.
file(REAL_PATH "${prefix}/include" wanted)
set(found FALSE)
string(REGEX MATCHALL "-I[^ ]+" includes "${flags}")
foreach(include IN LISTS includes)
    string(SUBSTRING "${include}" 2 -1 dir)
    file(REAL_PATH "${dir}" dir)
    if(dir STREQUAL wanted)
        set(found TRUE)
    endif()
endforeach()
if(NOT found)
    message(FATAL_ERROR "--cflags does not point into the prefix ${prefix}: ${flags}")
endif()

# Build and run the consumer with those flags only. Qt asks for position
# independent code (-fPIC) of code that uses it; CMake consumers get it from
# Qt's targets, a Makefile writes it itself.
separate_arguments(flag_list UNIX_COMMAND "${flags}")
execute_process(COMMAND "${CXX}" -std=c++17 -fPIC "-DEXPECTED_VERSION=\"${version}\"" "${SOURCE}"
                        ${flag_list} -o "${WORK_DIR}/consumer"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc)
    message(FATAL_ERROR "compiling with pkg-config's flags failed (${rc}): ${err}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${prefix}/lib:${pc_dir}/.."
                        "${WORK_DIR}/consumer"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc OR NOT out STREQUAL "consumer of SecureTokens ${version}: ok\n")
    message(FATAL_ERROR "the pkg-config consumer failed (${rc}): ${out}${err}")
endif()
message(STATUS "pkg-config consumer built and ran: ${out}")
