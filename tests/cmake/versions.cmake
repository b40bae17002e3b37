# Every program the project ships prints the project version with --version
# (project(SecureTokens VERSION ...) is its one source): "NAME VERSION".
# -DPROGRAMS="|path|path..." (not ";": add_test would split it) -DVERSION=x.y.z
string(REPLACE "|" ";" programs "${PROGRAMS}")
cmake_policy(SET CMP0007 NEW)
list(REMOVE_ITEM programs "")
foreach(program IN LISTS programs)
    get_filename_component(name "${program}" NAME_WE)
    execute_process(COMMAND "${program}" --version
        RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
        OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${name} --version exited ${rc}: ${err}")
    endif()
    if(NOT out STREQUAL "${name} ${VERSION}")
        message(FATAL_ERROR "${name} --version printed '${out}', expected '${name} ${VERSION}'")
    endif()
    message(STATUS "${out}")
endforeach()
