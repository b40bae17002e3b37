# Installs the built project into a scratch prefix, then configures and builds
# examples/qml against it with find_package(SecureTokens COMPONENTS Qml), and
# runs tst_installedmodule.qml in Qt's qmltestrunner with the prefix as the
# only place the module can come from (no qmltestrunner fails the test: that
# check must not be skipped silently). tst_qml_example then runs
# the example it built (the test fixture qml_example).
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
    message(FATAL_ERROR "install failed: ${rc}")
endif()
# The module directory is complete: qmldir, plugin, type information.
foreach(file qmldir libSecureTokensQmlplugin.so SecureTokens.qmltypes)
    if(NOT EXISTS "${prefix}/${QML_DIR}/SecureTokens/${file}")
        message(FATAL_ERROR "not installed: ${QML_DIR}/SecureTokens/${file}")
    endif()
endforeach()
foreach(header sessioncontroller.h sessionnetworkaccessmanagerfactory.h securetokensqml_export.h)
    if(NOT EXISTS "${prefix}/include/securetokens/qml/${header}")
        message(FATAL_ERROR "not installed: include/securetokens/qml/${header}")
    endif()
endforeach()
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -G Ninja
                        -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
                RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "configuring examples/qml failed: ${rc}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "building examples/qml failed: ${rc}")
endif()
message(STATUS "examples/qml built against ${prefix}")

# A QML-only consumer: qmltestrunner loads the module from the prefix alone.
if(NOT QMLTESTRUNNER)
    message(FATAL_ERROR "qmltestrunner not found (Debian: qt6-declarative-dev-tools, "
        "scripts/install-deps qml): the QML-only consumer cannot be checked")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env --unset=QML2_IMPORT_PATH
                    "QML_IMPORT_PATH=${prefix}/${QML_DIR}" "QT_QPA_PLATFORM=offscreen"
                    "LD_LIBRARY_PATH=${prefix}/lib"
                    "${QMLTESTRUNNER}" -input "${CMAKE_CURRENT_LIST_DIR}/tst_installedmodule.qml"
                RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "the installed QML module did not load in qmltestrunner: ${rc}")
endif()
message(STATUS "qmltestrunner used the installed module")
