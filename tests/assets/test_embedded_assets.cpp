// The files in assets/ are what the program carries: byte for byte, every one of
// them, and the ones the self-contained report inlines cannot break out of its
// <style> and <script> elements or reach the network.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "assets/embedded_assets.h"
#include "build_paths.h"
#include "support/text_file.h"

TEST_CASE("every file in assets is embedded byte for byte", "[assets]") {
  const std::filesystem::path dir = std::filesystem::path(tw::build::source_dir()) / "assets";
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) on_disk.insert(entry.path().filename().string());
  std::set<std::string> embedded;
  for (std::string_view name : tw::assets::names()) embedded.insert(std::string(name));
  CHECK(embedded == on_disk);  // a new asset must be listed in src/assets/CMakeLists.txt
  for (const std::string& name : on_disk) {
    INFO(name);
    CHECK(tw::assets::find(name) == tw::test::read_text((dir / name).string()));
  }
  CHECK(tw::assets::find("no-such-asset.js").empty());
  CHECK_THROWS_AS(tw::assets::get("no-such-asset.js"), std::logic_error);
  CHECK(tw::assets::version().size() == 16);
  CHECK(tw::assets::version().find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("the assets the report inlines stay inside their elements and offline", "[assets][report]") {
  for (const char* name : {"report.css", "charts.js", "report.js", "charts.html"}) {
    INFO(name);
    std::string text(tw::assets::get(name));
    if (std::string(name) == "charts.html") text = text.substr(text.find('\n') + 1);  // its comment line is not inlined
    for (const char* bad : {"</script", "</style", "<!--", "url(", "@import", "<link", " src="}) {
      INFO(bad);
      CHECK(text.find(bad) == std::string::npos);
    }
    // The SVG namespace is a name, not an address: nothing else may look like one.
    for (std::size_t at; (at = text.find("http://www.w3.org/2000/svg")) != std::string::npos;) text.erase(at, 26);
    CHECK(text.find("http") == std::string::npos);
  }
}
