# Writes what is generated from the binary's own --help text, so that none of it can
# drift from the options the binary takes:
#   man/tonewatch.1, man/tonewatch-<command>.1   one man page per command
#   tonewatch.bash-completion                    bash completion of commands and options
#   serve.conf                                   every `serve` option as an options file
# cmake -DTONEWATCH=<binary> -DOUT=<dir> -DVERSION=<version> -DCOMMANDS=analyze,serve,...
#       [-DSERVE_SETTINGS=--out,DIR] -P generate_from_help.cmake
# SERVE_SETTINGS: serve options written as set in serve.conf (the service's own).
# (Lists are comma-separated: a ';' does not survive add_custom_command's quoting.)
foreach(var TONEWATCH OUT VERSION COMMANDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "generate_from_help.cmake: -D${var}= is required")
  endif()
endforeach()
string(REPLACE "," ";" COMMANDS "${COMMANDS}")
if(DEFINED SERVE_SETTINGS)
  string(REPLACE "," ";" SERVE_SETTINGS "${SERVE_SETTINGS}")
endif()
file(MAKE_DIRECTORY "${OUT}/man")

function(help_of command out_var)
  if(command STREQUAL "")
    set(args --help)
  else()
    set(args ${command} --help)
  endif()
  execute_process(COMMAND "${TONEWATCH}" ${args} RESULT_VARIABLE status OUTPUT_VARIABLE text ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "tonewatch ${command} --help failed (${status}): ${err}")
  endif()
  # CLI11's "Usage:" line names the binary as it was run (its build path).
  string(REPLACE "Usage: ${TONEWATCH}" "Usage: tonewatch" text "${text}")
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# roff: a backslash is \e; a line starting with . or ' would be a request (\& guards
# it); '-' is a hyphen in roff, '\-' the minus that options are written with.
function(to_roff text out_var)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# The options a help text lists: "  --out,-o TEXT ..." and "  -o,--out ..." give --out and -o.
function(options_of text out_var)
  string(REGEX MATCHALL "\n  +(-[A-Za-z0-9],)?--[A-Za-z0-9][-A-Za-z0-9]*(,-[A-Za-z0-9])?" lines "${text}")
  set(options "")
  foreach(line IN LISTS lines)
    string(REGEX MATCHALL "--?[A-Za-z0-9][-A-Za-z0-9]*" names "${line}")
    list(APPEND options ${names})
  endforeach()
  list(REMOVE_DUPLICATES options)
  set(${out_var} "${options}" PARENT_SCOPE)
endfunction()

string(TIMESTAMP year "%Y" UTC)
set(see_also "tonewatch(1)")
foreach(command IN LISTS COMMANDS)
  string(APPEND see_also ", tonewatch\\-${command}(1)")
endforeach()

set(completion_cases "")
foreach(command "" ${COMMANDS})
  help_of("${command}" help)
  # The first line of CLI11's help is the command's description.
  string(REGEX MATCH "^[^\n]*" summary "${help}")
  string(REGEX REPLACE ":.*" "" summary_short "${summary}")
  if(command STREQUAL "")
    set(page tonewatch)
    set(title "tonewatch")
    set(summary_short "call-center audio stress monitor")
  else()
    set(page tonewatch-${command})
    set(title "tonewatch ${command}")
  endif()
  string(TOUPPER "${page}" upper)
  to_roff("${help}" help_roff)
  to_roff("${summary_short}" summary_roff)
  string(REPLACE "-" "\\-" page_roff "${page}")
  file(WRITE "${OUT}/man/${page}.1"
".\\\" Generated from `${title} --help` by packaging/generate_from_help.cmake; do not edit.
.TH ${upper} 1 \"\" \"tonewatch ${VERSION}\" \"User Commands\"
.SH NAME
${page_roff} \\- ${summary_roff}
.SH SYNOPSIS
.B ${title}
[\\fIOPTIONS\\fR]
.SH DESCRIPTION
The text of
.BR \"${title} \\-\\-help\" :
.PP
.nf
${help_roff}.fi
.SH FILES
.TP
.I /etc/tonewatch/serve.conf
the options of the packaged service (\\fBtonewatch serve \\-\\-options\\-file\\fR)
.SH SEE ALSO
${see_also}; the documentation in /usr/share/doc/tonewatch/ and at the project's docs/ folder.
")
  options_of("${help}" options)
  if(command STREQUAL "")
    list(APPEND options ${COMMANDS})
  endif()
  list(JOIN options " " words)
  string(APPEND completion_cases "    \"${command}\") words=\"${words}\" ;;\n")
endforeach()

list(JOIN COMMANDS "|" command_pattern)
file(WRITE "${OUT}/tonewatch.bash-completion"
"# bash completion for tonewatch. Generated from its --help text by
# packaging/generate_from_help.cmake; do not edit.
_tonewatch() {
  local cur=\${COMP_WORDS[COMP_CWORD]} command=\"\" words=\"\" word
  for word in \"\${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do
    case \"\$word\" in ${command_pattern}) command=\$word; break ;; esac
  done
  case \"\$command\" in
${completion_cases}  esac
  if [[ -z \"\$command\" || \"\$cur\" == -* ]]; then
    COMPREPLY=(\$(compgen -W \"\$words\" -- \"\$cur\"))
  fi
}
complete -o default -o bashdefault -F _tonewatch tonewatch
")

# serve.conf: the packaged service's options file, every option of `serve` with
# its description and default (commented out), and the service's own settings.
execute_process(COMMAND "${TONEWATCH}" serve ${SERVE_SETTINGS} --print-options-file RESULT_VARIABLE status OUTPUT_VARIABLE options
                ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "tonewatch serve --print-options-file failed (${status}): ${err}")
endif()
file(WRITE "${OUT}/serve.conf" "${options}")
