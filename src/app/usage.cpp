#include "app/usage.h"

#include <algorithm>

#include "io/path_text.h"

namespace tw::app {
namespace {

/// Every command's name, ", "-joined in the order they were added.
std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return names;
}

}  // namespace

std::string unknown_command(const std::vector<std::string>& arguments, const CLI::App& app) {
  if (arguments.size() < 2 || arguments[1].empty() || arguments[1][0] == '-') return {};
  const std::string& given = arguments[1];
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == given) return {};
    names.push_back(sub->get_name());
  }
  const std::string closest = closest_name(given, names);
  return "unknown command '" + io::escape_invalid_utf8(given) + "'" +
         (closest.empty() ? "" : " (did you mean '" + closest + "'?)") + "; the commands are " + command_names(app);
}

std::string usage_message(const CLI::ParseError& error, const std::vector<std::string>& arguments,
                          const CLI::App& app) {
  const std::string what = error.what();
  if (what == "A subcommand is required") {
    for (std::size_t i = 1; i < arguments.size(); ++i) {
      if (!arguments[i].empty() && arguments[i][0] == '-') {
        return "unknown option '" + io::escape_invalid_utf8(arguments[i]) +
               "' (options go after the command: tonewatch analyze [OPTIONS] FILE...)";
      }
    }
    return "no command given; the commands are " + command_names(app) +
           " (tonewatch COMMAND --help for each; tonewatch analyze FILE... analyses recordings)";
  }
  if (what == "files is required") return "analyze: no input files given (tonewatch analyze [OPTIONS] FILE...)";
  return io::escape_invalid_utf8(what);
}

}  // namespace tw::app
