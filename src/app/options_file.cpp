#include "app/options_file.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tw::app {
namespace {

// A TOML basic string: backslash and quote escaped, control bytes as \uXXXX.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool is_flag(const CLI::Option& option) { return option.get_items_expected_max() == 0; }
bool is_list(const CLI::Option& option) { return option.get_items_expected_max() > 1; }

std::string value_text(const CLI::Option& option, const std::vector<std::string>& values) {
  if (is_flag(option)) return values.empty() || values.back() != "false" ? "true" : "false";
  if (is_list(option)) {
    std::string list = "[";
    for (std::size_t i = 0; i < values.size(); ++i) list += (i > 0 ? ", " : "") + toml_string(values[i]);
    return list + "]";
  }
  return values.empty() ? std::string("\"\"") : toml_string(values.back());
}

// Reads one value at text[at] (a basic or literal string, or a bare word up to a
// separator), advancing `at` past it.
class LineReader {
 public:
  LineReader(std::string_view text, std::size_t line) : text_(text), line_(line) {}

  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
  }
  bool done() {
    skip_space();
    return at_ == text_.size() || text_[at_] == '#';
  }
  bool take(char c) {
    skip_space();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  char peek() {
    skip_space();
    return at_ < text_.size() ? text_[at_] : '\0';
  }

  std::string value(std::string_view stops) {
    skip_space();
    if (at_ >= text_.size()) fail("a value is missing");
    if (text_[at_] == '"') return basic_string();
    if (text_[at_] == '\'') {
      const std::size_t end = text_.find('\'', at_ + 1);
      if (end == std::string_view::npos) fail("a ' string is not closed");
      std::string out(text_.substr(at_ + 1, end - at_ - 1));
      at_ = end + 1;
      return out;
    }
    const std::size_t start = at_;
    while (at_ < text_.size() && stops.find(text_[at_]) == std::string_view::npos && text_[at_] != ' ' &&
           text_[at_] != '\t') {
      ++at_;
    }
    if (at_ == start) fail("a value is missing");
    return std::string(text_.substr(start, at_ - start));
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("line " + std::to_string(line_) + ": " + what);
  }

 private:
  std::string basic_string() {
    std::string out;
    for (++at_; at_ < text_.size(); ++at_) {
      const char c = text_[at_];
      if (c == '"') {
        ++at_;
        return out;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (++at_ >= text_.size()) break;
      switch (text_[at_]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'b': out += '\b'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'f': out += '\f'; break;
        case 'r': out += '\r'; break;
        case 'u': {
          unsigned code = 0;
          if (at_ + 4 >= text_.size() || std::sscanf(std::string(text_.substr(at_ + 1, 4)).c_str(), "%4x", &code) != 1) {
            fail("\\u needs four hex digits");
          }
          // As UTF-8 (a config file holds paths and URLs; surrogates are not characters).
          if (code >= 0xd800 && code <= 0xdfff) fail("\\u" + std::string(text_.substr(at_ + 1, 4)) + " is a surrogate");
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xc0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3f));
          } else {
            out += static_cast<char>(0xe0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (code & 0x3f));
          }
          at_ += 4;
          break;
        }
        default: fail(std::string("unknown escape \\") + text_[at_]);
      }
    }
    fail("a \" string is not closed");
  }

  std::string_view text_;
  std::size_t line_;
  std::size_t at_ = 0;
};

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::vector<OptionsFileEntry> parse_options_file(std::string_view text, const std::string& command) {
  std::vector<OptionsFileEntry> entries;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    LineReader reader(line, line_number);
    if (reader.done()) continue;  // blank or a comment
    if (reader.take('[')) {
      const std::string section = reader.value("]");
      if (!reader.take(']') || !reader.done()) reader.fail("a section is written [" + command + "]");
      if (section != command) reader.fail("section [" + section + "] is not [" + command + "]");
      continue;
    }
    OptionsFileEntry entry;
    entry.line = line_number;
    entry.name = reader.value("=");
    if (!valid_name(entry.name)) reader.fail("'" + entry.name + "' is not an option name");
    if (!reader.take('=')) reader.fail("expected name = value");
    if (reader.take('[')) {
      while (!reader.take(']')) {
        entry.values.push_back(reader.value(",]"));
        if (!reader.take(',') && reader.peek() != ']') reader.fail("expected , or ] in the list");
      }
    } else {
      entry.values.push_back(reader.value("#"));
    }
    if (!reader.done()) reader.fail("unexpected text after the value");
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string options_file_text(const CLI::App& command) {
  std::string out;
  for (const CLI::Option* option : command.get_options()) {
    if (!option->nonpositional() || !option->get_configurable() || option->get_lnames().empty()) continue;
    const std::string& name = option->get_lnames().front();
    if (name == "help" || name == "options-file" || name == "print-options-file") continue;
    out += "\n# " + option->get_description() + "\n";
    if (option->count() > 0) {
      out += name + " = " + value_text(*option, option->results()) + "\n";
    } else if (is_flag(*option)) {
      out += "# " + name + " = false\n";
    } else if (!option->get_default_str().empty()) {
      out += "# " + name + " = " + value_text(*option, {option->get_default_str()}) + "\n";
    } else {
      out += "# " + name + " = " + (is_list(*option) ? "[]" : "(not set)") + "\n";
    }
  }
  return out;
}

void apply_options_file(CLI::App& command, const std::string& path) {
  const std::string where = "--options-file " + path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CLI::ValidationError(where, "cannot read it");
  std::stringstream text;
  text << in.rdbuf();
  std::vector<OptionsFileEntry> entries;
  try {
    entries = parse_options_file(text.str(), command.get_name());
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError(where, e.what());
  }
  for (const OptionsFileEntry& entry : entries) {
    const std::string at = "line " + std::to_string(entry.line) + ": ";
    CLI::Option* option = command.get_option_no_throw("--" + entry.name);
    if (option == nullptr || !option->get_configurable() || entry.name == "options-file") {
      throw CLI::ValidationError(where, at + "unknown option '" + entry.name + "' (tonewatch " + command.get_name() +
                                            " --print-options-file lists them)");
    }
    if (entry.values.empty() && !is_list(*option)) throw CLI::ValidationError(where, at + entry.name + " needs a value");
    if (entry.values.empty()) continue;  // an empty list sets nothing
    if (entry.values.size() > 1 && !is_list(*option)) {
      throw CLI::ValidationError(where, at + entry.name + " takes one value, not a list");
    }
    if (option->count() > 0) continue;  // given on the command line: that wins
    try {
      if (is_flag(*option)) {
        option->add_result(option->get_flag_value(entry.name, entry.values.front()));
      } else {
        option->add_result(entry.values);
      }
      option->run_callback();
    } catch (const CLI::Error& e) {
      throw CLI::ValidationError(where, at + entry.name + ": " + e.what());
    }
  }
}

}  // namespace tw::app
