# `cmake --install` of this build into a scratch prefix: the binary, a man page per
# command, the bash completion, the unit, serve.conf and the environment file land
# where docs/operations.md says; the installed unit runs the installed binary with
# the installed serve.conf; and that serve.conf is read back by the installed binary.
#   cmake -DBUILD_DIR=<build> -DPREFIX=<scratch> -P check_install.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${status}):\n${out}${err}")
endif()
foreach(path bin/tonewatch share/man/man1/tonewatch.1 share/man/man1/tonewatch-analyze.1 share/man/man1/tonewatch-serve.1
             share/man/man1/tonewatch-live.1 share/man/man1/tonewatch-devices.1 share/man/man1/tonewatch-defaults.1
             share/bash-completion/completions/tonewatch lib/systemd/system/tonewatch.service etc/tonewatch/serve.conf
             etc/default/tonewatch share/tonewatch/models/agitation-v1.json share/tonewatch/examples/example_call.wav
             share/doc/tonewatch/README.md share/doc/tonewatch/docs/operations.md)
  if(NOT EXISTS "${PREFIX}/${path}")
    message(FATAL_ERROR "cmake --install put no ${path} under ${PREFIX}")
  endif()
endforeach()
# Outside /usr the configuration is under the prefix too, and the unit names it.
file(READ "${PREFIX}/lib/systemd/system/tonewatch.service" unit)
string(REGEX MATCH "\nExecStart=([^\n]*)" line "${unit}")
if(NOT CMAKE_MATCH_1 MATCHES "^/.*/bin/tonewatch serve --options-file /.*/etc/tonewatch/serve.conf \\$TONEWATCH_SERVE_ARGS$")
  message(FATAL_ERROR "unexpected ExecStart in the installed unit: ${CMAKE_MATCH_1}")
endif()
# Every man page holds its command's help, word for word (here: the serve page names --options-file).
file(READ "${PREFIX}/share/man/man1/tonewatch-serve.1" page)
if(NOT page MATCHES "\\\\-\\\\-options\\\\-file" OR NOT page MATCHES "^\\.\\\\\" Generated from")
  message(FATAL_ERROR "tonewatch-serve.1 is not the serve --help text:\n${page}")
endif()
# The installed serve.conf sets the service's output folder and is read back as written.
execute_process(COMMAND "${PREFIX}/bin/tonewatch" serve --options-file "${PREFIX}/etc/tonewatch/serve.conf" --print-options-file
                RESULT_VARIABLE status OUTPUT_VARIABLE again ERROR_VARIABLE err)
file(READ "${PREFIX}/etc/tonewatch/serve.conf" conf)
if(NOT status EQUAL 0 OR NOT again STREQUAL conf OR NOT conf MATCHES "\nout = \"/var/lib/tonewatch/calls\"\n")
  message(FATAL_ERROR "serve.conf does not read back as written (${status}):\n${err}\n--- installed:\n${conf}\n--- read back:\n${again}")
endif()
file(REMOVE_RECURSE "${PREFIX}")
