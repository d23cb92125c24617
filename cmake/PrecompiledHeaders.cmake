# Precompiled headers. Most of a source file's compile time here is parsing the same
# headers again: g++ -ftime-report gives "phase parsing" 44-57 % of call_summary.cpp,
# call_registry.cpp and config_file.cpp, mostly the standard library and nlohmann/json
# (2.3 s alone at -O3; 44 of the binary's 108 files include it), and CLI11 (6.8 s)
# in every command's file. Each of those is parsed once per build into a precompiled
# header that every target reuses (REUSE_FROM), one per family of targets:
#   tw_pch_core   the standard library and nlohmann/json: every target;
#   tw_pch_cli    ... and CLI11: targets that link CLI11 (the commands, the tools);
#   tw_pch_tests  ... and Catch2: targets that link Catch2 (the suite and its support).
# Only system headers go in: a change to our own headers never rebuilds them, and a
# file still includes what it uses (the PCH is an optimisation, never a dependency).
#
# ccache (see CMakeLists.txt) caches these compiles, across clones too, with the
# sloppiness its manual asks for precompiled headers ("Precompiled headers":
# pch_defines, time_macros; include_file_mtime and include_file_ctime keep direct
# mode for a .gch written just before its users compile). Clang stamps its .pch with
# a time unless told not to (-fno-pch-timestamp), which would make every build a miss.
option(TW_PCH "Precompile the common system headers (standard library, nlohmann/json, CLI11, Catch2)" ON)

set(TW_PCH_CORE_HEADERS
  <algorithm> <array> <atomic> <chrono> <cmath> <cstddef> <cstdint> <cstring> <deque> <filesystem>
  <functional> <map> <memory> <mutex> <optional> <set> <span> <sstream> <stdexcept> <string>
  <string_view> <thread> <unordered_map> <utility> <variant> <vector>
  <nlohmann/json.hpp>)

if(TW_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_options("SHELL:-Xclang -fno-pch-timestamp")
endif()
if(TW_PCH)
  # A target whose flags do not match its precompiled header parses the headers as
  # usual; say so rather than losing the time silently.
  add_compile_options(-Winvalid-pch)
  # -pthread defines _REENTRANT, and a header precompiled without a macro is refused
  # where it is defined: every file is compiled with it (nearly every target links
  # Threads::Threads, which adds it) so that one precompiled header serves them all.
  add_compile_options(-pthread)
endif()

# Call once, after every target is defined.
function(tw_precompile_headers)
  if(NOT TW_PCH)
    return()
  endif()
  set(anchor ${CMAKE_SOURCE_DIR}/cmake/pch_anchor.cpp)
  add_library(tw_pch_core OBJECT ${anchor})
  target_link_libraries(tw_pch_core PRIVATE nlohmann_json::nlohmann_json)
  target_precompile_headers(tw_pch_core PRIVATE ${TW_PCH_CORE_HEADERS})
  add_library(tw_pch_cli OBJECT ${anchor})
  target_link_libraries(tw_pch_cli PRIVATE nlohmann_json::nlohmann_json CLI11::CLI11)
  target_precompile_headers(tw_pch_cli PRIVATE ${TW_PCH_CORE_HEADERS} <CLI/CLI.hpp>)
  if(TARGET Catch2::Catch2)
    add_library(tw_pch_tests OBJECT ${anchor})
    target_link_libraries(tw_pch_tests PRIVATE nlohmann_json::nlohmann_json Catch2::Catch2)
    target_precompile_headers(tw_pch_tests PRIVATE ${TW_PCH_CORE_HEADERS} <catch2/catch.hpp>)
  endif()

  set(directories ${CMAKE_SOURCE_DIR})
  while(directories)
    list(POP_FRONT directories directory)
    get_property(subdirectories DIRECTORY ${directory} PROPERTY SUBDIRECTORIES)
    list(APPEND directories ${subdirectories})
    get_property(targets DIRECTORY ${directory} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target ${targets})
      get_target_property(type ${target} TYPE)
      if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY)$" OR target MATCHES "^tw_pch_")
        continue()
      endif()
      get_target_property(links ${target} LINK_LIBRARIES)
      if(TARGET tw_pch_tests AND ("Catch2::Catch2" IN_LIST links OR "tw_test_support" IN_LIST links))
        target_precompile_headers(${target} REUSE_FROM tw_pch_tests)
      elseif("CLI11::CLI11" IN_LIST links OR "tw_app" IN_LIST links)
        target_precompile_headers(${target} REUSE_FROM tw_pch_cli)
      else()
        target_precompile_headers(${target} REUSE_FROM tw_pch_core)
      endif()
    endforeach()
  endwhile()
endfunction()
