// `serve --print-options-file` and `--options-file`: every option written is read back
// with the value it had, so the packaged /etc/tonewatch/serve.conf means what it says.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/options_file.h"
#include "app/serve_command.h"
#include "support/shared_data.h"

namespace {

/// `tonewatch serve ARGS` parsed into a fresh ServeCommand (no server started).
struct ParsedServe {
  CLI::App app{"tonewatch"};
  tw::app::ServeCommand serve;
  CLI::App* command = nullptr;

  explicit ParsedServe(std::vector<std::string> args) {
    command = serve.add_to(app);
    args.insert(args.begin(), "serve");
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
    app.parse(args);
  }
};

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = tw::test::scratch_dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("an options file written by serve reads back to the same settings", "[cli][config]") {
  // Every kind of value: a string with a quote and a backslash, numbers, a flag, and a
  // repeatable option given twice.
  ParsedServe given({"--listen", "0.0.0.0:9000", "--out", "/var/lib/tw \"calls\"\\x", "--max-calls", "17",
                     "--leg-buffer-s", "2.5", "--quiet", "--webhook", "https://a.example/hook", "--webhook",
                     "https://b.example/hook", "--idle-timeout", "12"});
  const std::string text = tw::app::options_file_text(*given.command);
  INFO(text);
  CHECK(text.find("\nlisten = \"0.0.0.0:9000\"\n") != std::string::npos);
  CHECK(text.find("\nquiet = true\n") != std::string::npos);
  CHECK(text.find("\nwebhook = [\"https://a.example/hook\", \"https://b.example/hook\"]\n") != std::string::npos);
  // Options not given are there too, commented out, with their defaults.
  CHECK(text.find("\n# io-threads = \"1\"\n") != std::string::npos);
  CHECK(text.find("\n# record = (not set)\n") != std::string::npos);
  CHECK(text.find("print-options-file") == std::string::npos);

  const std::string path = write_file("serve-options.conf", text);
  ParsedServe read({"--options-file", path});
  CHECK(read.serve.listen == "0.0.0.0:9000");
  CHECK(read.serve.out_dir == "/var/lib/tw \"calls\"\\x");
  CHECK(read.serve.max_calls == 17);
  CHECK(read.serve.leg_buffer_s == 2.5);
  CHECK(read.serve.quiet);
  CHECK(read.serve.idle_timeout_s == 12.0);
  CHECK(read.serve.webhook_options.urls == std::vector<std::string>{"https://a.example/hook", "https://b.example/hook"});
  CHECK(read.serve.io_threads == 1);  // commented out: the default stays
  // Written again from what was read, the file is the same: nothing is lost on the way.
  CHECK(tw::app::options_file_text(*read.command) == text);

  // The command line wins over the file.
  ParsedServe overridden({"--options-file", path, "--max-calls", "3"});
  CHECK(overridden.serve.max_calls == 3);
  CHECK(overridden.serve.listen == "0.0.0.0:9000");
}

TEST_CASE("the options file reader takes TOML strings lists and comments", "[cli][config]") {
  using tw::app::parse_options_file;
  const auto entries = parse_options_file(
      "# comment\n"
      "[serve]\n"
      "  webhook = [\"https://a.example/h#frag\", 'C:\\lit#eral' ,]  # trailing comment\n"
      "dashboard-token = \"a#b\\\"c\\\\d\\u00e9\\t\"\r\n"
      "max-calls=12\n"
      "quiet = true\n",
      "serve");
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].line == 3);
  CHECK(entries[0].name == "webhook");
  CHECK(entries[0].values == std::vector<std::string>{"https://a.example/h#frag", "C:\\lit#eral"});
  CHECK(entries[1].values == std::vector<std::string>{"a#b\"c\\d\xc3\xa9\t"});
  CHECK(entries[2].name == "max-calls");
  CHECK(entries[2].values == std::vector<std::string>{"12"});
  CHECK(entries[3].values == std::vector<std::string>{"true"});

  const std::pair<const char*, const char*> bad[] = {
      {"listen \"x\"\n", "line 1: expected name = value"},
      {"\n\nlisten = \"x\n", "line 3: a \" string is not closed"},
      {"listen = 'x\n", "line 1: a ' string is not closed"},
      {"listen = \"x\" y\n", "line 1: unexpected text after the value"},
      {"listen = \"\\q\"\n", "line 1: unknown escape \\q"},
      {"listen = \"\\u12\"\n", "line 1: \\u needs four hex digits"},
      {"listen = \"\\ud800\"\n", "surrogate"},
      {"[live]\nlisten = \"x\"\n", "line 1: section [live] is not [serve]"},
      {"webhook = [\"a\" \"b\"]\n", "line 1: expected , or ] in the list"},
      {"list#en = 1\n", "line 1: 'list#en' is not an option name"},
      {"listen =\n", "line 1: a value is missing"},
  };
  for (const auto& [text, message] : bad) {
    INFO(text);
    CHECK_THROWS_WITH(parse_options_file(text, "serve"), Catch::Contains(message));
  }
}

TEST_CASE("an options file with an unknown option or a bad value is refused naming it", "[cli][config]") {
  const std::string unknown = write_file("serve-unknown.conf", "listen = \"127.0.0.1:1\"\nlisten-adress = \"x\"\n");
  CHECK_THROWS_WITH(ParsedServe({"--options-file", unknown}), Catch::Contains("line 2: unknown option 'listen-adress'"));
  const std::string bad = write_file("serve-bad.conf", "max-calls = \"many\"\n");
  CHECK_THROWS_WITH(ParsedServe({"--options-file", bad}), Catch::Contains("line 1: max-calls"));
  const std::string two = write_file("serve-two.conf", "listen = [\"a:1\", \"b:2\"]\n");
  CHECK_THROWS_WITH(ParsedServe({"--options-file", two}), Catch::Contains("listen takes one value, not a list"));
  CHECK_THROWS_WITH(ParsedServe({"--options-file", tw::test::scratch_dir() + "/no-such.conf"}),
                    Catch::Contains("no-such.conf"));
}
