#include "app/usage.h"

#include <algorithm>

#include "io/path_text.h"

namespace tw::app {
namespace {

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// Every command's name, ", "-joined in the order they were added.
std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return names;
}

}  // namespace

std::string closest_name(const std::string& given, const std::vector<std::string>& names) {
  // Suggest only a near miss: a typo or a spelling (analyse, thresold), at most two
  // edits, and fewer than half the name's letters so that a short word is not
  // "corrected" into an unrelated one.
  std::size_t best = std::min<std::size_t>(3, given.size() / 2 + 1);
  std::string closest;
  for (const std::string& name : names) {
    const std::size_t d = edit_distance(given, name);
    if (d < best) {
      best = d;
      closest = name;
    }
  }
  return closest;
}

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
