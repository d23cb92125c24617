# libFuzzer targets of the webhook sink (src/alerts, library tw_webhook): one per
# parser of outside input. include() this from fuzz/CMakeLists.txt (TW_FUZZ=ON) and
# add the names to tools/run-fuzzers.sh.
foreach(target fuzz_retry_after fuzz_webhook_spool_record)
  add_executable(${target} ${CMAKE_CURRENT_LIST_DIR}/${target}.cpp)
  target_link_libraries(${target} PRIVATE tw_webhook)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
endforeach()
