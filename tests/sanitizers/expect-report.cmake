# Runs a sanitizer canary and passes only if the sanitizer reported the bug the
# canary commits on purpose. A canary is expected to fail, but "it failed" is
# not enough: a crash for another reason, or a report about something else,
# does not count as detection. Passes only when all of these hold:
#   - the canary exited non-zero (the sanitizer ends the process on a report);
#   - its output holds the sanitizer's report header (REPORT below);
#   - its output names every function in FRAMES (the canary's own code, so the
#     report is about the deliberate bug and not some other finding).
# A canary that runs clean fails the test: the stage fails if a canary passes
# silently.
#
# cmake -DCANARY=<exe> -DKIND=race|leak -DSUPPRESSIONS=<file> -DFRAMES=<a;b>
#       [-DLOG=<file>] -P expect-report.cmake
#
# The suppressions are given here rather than taken from the environment, so
# the canary always checks the file it is meant to check; the other options
# (halt_on_error, ...) come from the environment as scripts/test sets them.

foreach(var CANARY KIND SUPPRESSIONS FRAMES)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "expect-report.cmake: ${var} not set")
    endif()
endforeach()
if(NOT EXISTS "${SUPPRESSIONS}")
    message(FATAL_ERROR "expect-report.cmake: no suppression file ${SUPPRESSIONS}")
endif()

# Appends name=value to the sanitizer option variable `var` (later options win).
function(add_option var option)
    if("$ENV{${var}}" STREQUAL "")
        set(ENV{${var}} "${option}")
    else()
        set(ENV{${var}} "$ENV{${var}}:${option}")
    endif()
endfunction()

if(KIND STREQUAL "race")
    set(report "WARNING: ThreadSanitizer: data race")
    add_option(TSAN_OPTIONS "suppressions=${SUPPRESSIONS}")
elseif(KIND STREQUAL "leak")
    set(report "ERROR: LeakSanitizer: detected memory leaks")
    add_option(ASAN_OPTIONS "detect_leaks=1")
    add_option(LSAN_OPTIONS "suppressions=${SUPPRESSIONS}")
else()
    message(FATAL_ERROR "expect-report.cmake: KIND must be race or leak, not '${KIND}'")
endif()

execute_process(COMMAND "${CANARY}"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output
    TIMEOUT 300)
message("${output}")
if(LOG)
    file(WRITE "${LOG}" "${output}")
endif()

set(missing "")
if(result STREQUAL "0")
    list(APPEND missing "a non-zero exit (it exited 0)")
endif()
string(FIND "${output}" "${report}" at)
if(at EQUAL -1)
    list(APPEND missing "the report '${report}'")
endif()
foreach(frame IN LISTS FRAMES)
    string(FIND "${output}" "${frame}" at)
    if(at EQUAL -1)
        list(APPEND missing "the frame '${frame}'")
    endif()
endforeach()

get_filename_component(name "${CANARY}" NAME)
if(missing)
    list(JOIN missing "; " missing)
    message(FATAL_ERROR "${name}: the ${KIND} went undetected with ${SUPPRESSIONS} "
        "(exit: ${result}). Missing: ${missing}.")
endif()
message(STATUS "${name}: detected as it must be (exit: ${result})")
