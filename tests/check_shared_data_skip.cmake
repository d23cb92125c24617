# The [data] tests on a clone without ../shared/data (tests/main.cpp): skipped with
# one line naming the folder, exit 0; failing instead when TW_REQUIRE_SHARED_DATA=1;
# and a test that needs no data still runs (and can fail) there.
#   cmake -DTW_TESTS=<tw_tests> -P check_shared_data_skip.cmake
set(missing "${CMAKE_CURRENT_BINARY_DIR}/no-such-shared-data")
set(data_test "pitch on the FDA database matches the laryngograph reference")

execute_process(COMMAND ${CMAKE_COMMAND} -E env TW_SHARED_DATA=${missing} TW_REQUIRE_SHARED_DATA=
                        ${TW_TESTS} "${data_test}"
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0 OR NOT out MATCHES "SKIPPED: shared test data not found at '${missing}'")
  message(FATAL_ERROR "a [data] test without the data should be skipped with exit 0, got ${status}:\n${out}${err}")
endif()
if(out MATCHES "test cases|assertions")
  message(FATAL_ERROR "the skipped [data] test ran:\n${out}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -E env TW_SHARED_DATA=${missing} TW_REQUIRE_SHARED_DATA=1
                        ${TW_TESTS} "${data_test}"
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(status EQUAL 0 OR NOT out MATCHES "shared test data not found")
  message(FATAL_ERROR "with TW_REQUIRE_SHARED_DATA=1 a missing data folder should fail, got ${status}:\n${out}${err}")
endif()

# A test without [data] is not skipped: it runs as ever.
execute_process(COMMAND ${CMAKE_COMMAND} -E env TW_SHARED_DATA=${missing} TW_REQUIRE_SHARED_DATA=
                        ${TW_TESTS} "help and version exit 0"
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0 OR NOT out MATCHES "All tests passed" OR out MATCHES "SKIPPED")
  message(FATAL_ERROR "a test without [data] should run normally without the data, got ${status}:\n${out}${err}")
endif()
