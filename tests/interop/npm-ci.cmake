# cmake -DNPM=npm -DDIR=<build>/interop -P npm-ci.cmake
#
# Installs the pinned node packages of tests/interop (package-lock.json) into
# DIR/node_modules, in the build tree; the source tree never gets one.
# Idempotent: a stamp holding the lock file's SHA-256 skips the install when
# nothing changed. Lifecycle scripts of the packages are not run.
if(NOT NPM OR NOT DIR)
    message(FATAL_ERROR "usage: cmake -DNPM=npm -DDIR=dir -P npm-ci.cmake")
endif()
file(SHA256 "${DIR}/package-lock.json" lock_hash)
set(stamp "${DIR}/node_modules/.securetokens-npm-ci")
if(EXISTS "${stamp}" AND EXISTS "${DIR}/node_modules/oidc-provider/package.json")
    file(READ "${stamp}" installed)
    if(installed STREQUAL lock_hash)
        message(STATUS "interop: node packages up to date (${DIR}/node_modules)")
        return()
    endif()
endif()
string(TIMESTAMP started "%s")
execute_process(
    COMMAND "${NPM}" ci --ignore-scripts --no-audit --no-fund --loglevel=error
    WORKING_DIRECTORY "${DIR}"
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "interop: npm ci failed (${rc}) in ${DIR}")
endif()
file(WRITE "${stamp}" "${lock_hash}")
string(TIMESTAMP finished "%s")
math(EXPR seconds "${finished} - ${started}")
message(STATUS "interop: npm ci installed the node packages in ${seconds} s")
