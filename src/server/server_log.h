#pragma once
// The server's log on stderr: one line per connection refused or ended and per
// call started or ended, as text ("tonewatch serve: ...") or, with --log-format
// json, one JSON object per line for log shippers:
//   {"ts":"2026-12-05T08:00:00.123Z","event":"call_ended","message":"...", ...fields}
// Written under a lock (never on the audio path: at connection and call edges only).

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace tw::server {

struct ServerLog {
  std::ostream* out = nullptr;  ///< null: nothing is logged
  bool json = false;            ///< JSON lines instead of text
  /// One line: `event` names it (call_started, call_ended, stream_ended, ...), `message`
  /// is the text line, `fields` (an object) go with it in JSON.
  void write(const std::string& event, const std::string& message, const nlohmann::json& fields = nlohmann::json::object()) const;
};

}  // namespace tw::server
