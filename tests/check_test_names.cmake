# ctest runs each Catch2 test case by name; Catch reads ',' in a name as "or",
# and '[', ']', '*', '~', '\' and '"' as test-spec syntax, so such a test would
# silently match nothing and "pass"; a name that starts with '-' is read as an
# option (a test named "--out ..." ran the whole suite into a file named after
# the rest). This check fails the suite instead.
# (Catch2 v2 exits with the number of tests listed, so the output is checked, not the status.)
execute_process(COMMAND ${TW_TESTS} --list-test-names-only OUTPUT_VARIABLE names)
if(names STREQUAL "")
  message(FATAL_ERROR "cannot list the test names of ${TW_TESTS}")
endif()
string(REPLACE "\n" ";" lines "${names}")
set(bad "")
foreach(name IN LISTS lines)
  if(name MATCHES "[],[*~\\\\\"]" OR name MATCHES "^-")
    string(APPEND bad "\n  ${name}")
  endif()
endforeach()
if(NOT bad STREQUAL "")
  message(FATAL_ERROR "test names ctest cannot select (rename them):${bad}")
endif()
