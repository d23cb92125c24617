// The documentation and the binary agree on the command-line flags: every flag the
// README and docs/ give to a tonewatch command exists in that command's --help, and
// every flag of every command's --help is documented somewhere. A renamed or removed
// flag fails here instead of in a newcomer's terminal.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "build_paths.h"
#include "support/run_command.h"
#include "support/text_file.h"

namespace {
namespace fs = std::filesystem;

const std::vector<std::string> kCommands = {"analyze", "serve", "live", "devices", "defaults"};

// Which commands each docs page documents: a flag written alone in a code span on
// that page (`--out DIR`) belongs to one of them.
const std::map<std::string, std::vector<std::string>> kPageCommands = {
    {"batch.md", {"analyze"}},       {"live.md", {"serve"}},     {"dashboard.md", {"serve"}},
    {"devices.md", {"live", "devices"}}, {"webhooks.md", {"serve", "live"}}, {"operations.md", {"serve"}},
    {"security.md", {"serve"}},      {"live-ingest.md", {"serve"}}};

/// The flags a CLI11 help text lists ("  --out,-o TEXT ..." gives --out and -o).
std::set<std::string> help_flags(const std::string& help) {
  std::set<std::string> flags;
  static const std::regex option_line(R"(^ +(-[A-Za-z0-9],)?(--[A-Za-z0-9][-A-Za-z0-9]*)(,-[A-Za-z0-9])?)");
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, option_line)) continue;
    flags.insert(m[2]);
    if (m[1].matched) flags.insert(m[1].str().substr(0, 2));
    if (m[3].matched) flags.insert(m[3].str().substr(1));
  }
  return flags;
}

/// The flags in a piece of text: --name tokens (not inside a longer word).
std::vector<std::string> flags_in(const std::string& text) {
  std::vector<std::string> flags;
  static const std::regex flag(R"((^|[\s\[(`"'=|])(--[a-z0-9][-a-z0-9]*))");
  for (std::sregex_iterator it(text.begin(), text.end(), flag), end; it != end; ++it) flags.push_back((*it)[2]);
  return flags;
}

struct Docs {
  std::map<std::string, std::string> pages;  ///< file name -> text (README.md and docs/*.md)
};

Docs read_docs() {
  Docs docs;
  const fs::path root = tw::build::source_dir();
  docs.pages["README.md"] = tw::test::read_text((root / "README.md").string());
  for (const auto& entry : fs::directory_iterator(root / "docs")) {
    if (entry.path().extension() == ".md") docs.pages[entry.path().filename().string()] = tw::test::read_text(entry.path().string());
  }
  return docs;
}

/// Invocations of a tonewatch command in the docs, with the text that follows the
/// command on its line (and on indented continuation lines of a code block), up to
/// a pipe, &&, ; or a comment.
std::vector<std::pair<std::string, std::string>> invocations(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> found;
  static const std::regex call(R"((^|[\s`(/])tonewatch (analyze|serve|live|devices|defaults)\b([^\n`]*))");
  std::istringstream lines(text);
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) all.push_back(line);
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::sregex_iterator it(all[i].begin(), all[i].end(), call), end; it != end; ++it) {
      std::string rest = (*it)[3];
      // A synopsis continues on the next lines when they are indented further.
      for (std::size_t j = i + 1; j < all.size() && all[j].rfind("        ", 0) == 0 && all[j].find("tonewatch ") == std::string::npos; ++j) {
        rest += " " + all[j];
      }
      for (const char* stop : {" | ", " && ", "; ", " # "}) {
        if (const auto at = rest.find(stop); at != std::string::npos) rest.resize(at);
      }
      found.emplace_back((*it)[2], rest);
    }
  }
  return found;
}

}  // namespace

TEST_CASE("every flag the docs give a command is in its help and every help flag is documented", "[cli][docs]") {
  std::map<std::string, std::set<std::string>> flags_of;
  for (const std::string& command : kCommands) {
    const auto help = tw::test::run_command(tw::test::tonewatch_binary(), {command, "--help"});
    REQUIRE(help.exit_code == 0);
    flags_of[command] = help_flags(help.out);
    INFO(command << " --help:\n" << help.out);
    REQUIRE(flags_of[command].count("--help") == 1);  // the parser read the help text
  }
  REQUIRE(flags_of["analyze"].count("--out") == 1);
  REQUIRE(flags_of["serve"].count("--listen") == 1);

  const Docs docs = read_docs();
  REQUIRE(docs.pages.count("batch.md") == 1);
  std::string all_text;
  for (const auto& [name, text] : docs.pages) all_text += text + "\n";

  // 1. Every flag in an invocation of a command is one of that command's.
  std::size_t checked = 0;
  for (const auto& [name, text] : docs.pages) {
    for (const auto& [command, rest] : invocations(text)) {
      for (const std::string& flag : flags_in(rest)) {
        INFO(name << ": tonewatch " << command << " ..." << rest);
        CHECK(flags_of[command].count(flag) == 1);
        ++checked;
      }
    }
  }
  CHECK(checked > 40);  // the synopses and examples were found

  // 2. A flag alone in a code span on a command's page is one of that page's commands'.
  static const std::regex span(R"(`(--[a-z0-9][-a-z0-9]*)[^`]*`)");
  for (const auto& [page, commands] : kPageCommands) {
    const auto it = docs.pages.find(page);
    if (it == docs.pages.end()) continue;
    for (std::sregex_iterator m(it->second.begin(), it->second.end(), span), end; m != end; ++m) {
      const std::string flag = (*m)[1];
      bool known = false;
      for (const std::string& command : commands) known = known || flags_of[command].count(flag) == 1;
      INFO(page << ": " << (*m)[0]);
      CHECK(known);
    }
  }

  // 3. Every flag of every command's help is documented somewhere.
  const std::vector<std::string> mentioned = flags_in(all_text);
  const std::set<std::string> documented(mentioned.begin(), mentioned.end());
  for (const auto& [command, flags] : flags_of) {
    for (const std::string& flag : flags) {
      if (flag == "--help" || flag.size() == 2) continue;  // -h, and short aliases of documented long flags
      INFO("tonewatch " << command << " " << flag << " is not documented in README.md or docs/");
      CHECK(documented.count(flag) == 1);
    }
  }
}
