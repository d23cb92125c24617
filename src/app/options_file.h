#pragma once
// A command's options as an options file, and back: the packaged service's
// /etc/tonewatch/serve.conf is `tonewatch serve --print-options-file`, so it lists
// exactly the options the binary takes, each with its description and default, and
// `serve --options-file` reads it.
//
// The format is the subset of TOML such a file needs, one option per line:
//   # a comment
//   [serve]                        (optional: the command's own section)
//   name = "a string"              TOML basic string: \" \\ \b \t \n \f \r \uXXXX escapes
//   name = 'a literal string'      no escapes
//   name = 42 | 2.5 | true | bare  numbers, booleans and other bare words, as written
//   name = ["a", 'b']              a repeatable option's values, on one line
// (CLI11 2.1's own config reader cuts a value at its first '#', even inside quotes, does
// not unescape, and reads a file only for the top-level command: a webhook URL with a
// fragment or a token holding '#' would be silently truncated.)

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tw::app {

/// One `name = value` line of an options file.
struct OptionsFileEntry {
  std::size_t line = 0;             ///< 1-based line number, for messages
  std::string name;                 ///< without dashes
  std::vector<std::string> values;  ///< one value, or a list's values
};

/// Parses an options file's text for `command` (entries outside [command] are refused).
/// Throws std::invalid_argument naming the line and what is wrong.
std::vector<OptionsFileEntry> parse_options_file(std::string_view text, const std::string& command);

/// Every configurable option of `command` (not --help, not the options-file options),
/// one paragraph each: its description as a comment, then `name = value`. Options
/// given on this command line are written as set; the others commented out, with
/// their default where they have one. Strings are TOML basic strings, repeatable
/// options lists, flags true/false.
std::string options_file_text(const CLI::App& command);

/// Applies the options file at `path` to the options of `command` not given on the
/// command line, validating each as the command line does. An unreadable file, a
/// malformed line, an unknown name or a value the option refuses throws
/// CLI::ValidationError naming the file, the line and the option.
void apply_options_file(CLI::App& command, const std::string& path);

}  // namespace tw::app
