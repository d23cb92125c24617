#include "server/log_text.h"

#include <mutex>

namespace tw::server {

std::string escape_log_text(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += ch;
    }
  }
  return out;
}

void write_log_line(std::ostream* log, std::string_view line) {
  if (log == nullptr) return;
  std::string text(line);
  text += '\n';
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  log->write(text.data(), static_cast<std::streamsize>(text.size()));
  log->flush();
}

void log_line(std::ostream* log, std::string_view text) {
  if (log == nullptr) return;
  write_log_line(log, "tonewatch serve: " + escape_log_text(text));
}

}  // namespace tw::server
