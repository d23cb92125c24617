#pragma once
// The server's log lines (stderr): one event per line, whatever the peer sent.
// Call ids, remote names, user names and reasons come from outside; a newline
// in one would forge a second log line, and terminal escapes would rewrite what
// an operator sees, so every control character is written as an escape.

#include <ostream>
#include <string>
#include <string_view>

namespace tw::server {

/// `text` with every byte below 0x20 and 0x7F (DEL) written as \xNN, and the
/// backslash as \\ (so an escape in the output always means one in the input).
/// Other bytes (UTF-8 included) are kept.
std::string escape_log_text(std::string_view text);

/// Writes "tonewatch serve: <text>\n", escaped, as one write under a lock shared
/// by every caller (lines from several threads never interleave), and flushes.
/// Nothing if `log` is null. Not for per-packet use.
void log_line(std::ostream* log, std::string_view text);

/// Writes `line` and a newline as is (a caller that escaped it already: a JSON log
/// line), under the same lock as log_line, and flushes. Nothing if `log` is null.
void write_log_line(std::ostream* log, std::string_view line);

}  // namespace tw::server
