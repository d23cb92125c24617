// tonewatch: call-center audio stress monitor.

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "app/analyze_command.h"
#include "app/config_file.h"
#include "app/devices_command.h"
#include "app/live_command.h"
#include "app/serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{"tonewatch: listens to both voices of a call and measures pitch, loudness, voice activity and\n"
               "speaking rate against each speaker's own baseline."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tonewatch ") + TW_VERSION);

  tw::app::AnalyzeCommand analyze;
  CLI::App* analyze_cmd = analyze.add_to(app);
  tw::app::ServeCommand serve;
  CLI::App* serve_cmd = serve.add_to(app);
  tw::app::LiveCommand live;
  CLI::App* live_cmd = live.add_to(app);
  tw::app::DevicesCommand devices;
  CLI::App* devices_cmd = devices.add_to(app);
  CLI::App* defaults_cmd = app.add_subcommand(
      "defaults", "Print the default detection thresholds as a config file (JSON; units in the key names)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // prints help or the usage error; 0 for --help, non-zero otherwise
  }
  try {
    if (analyze_cmd->parsed()) return analyze.run(std::cout, std::cerr);
    if (serve_cmd->parsed()) return serve.run(std::cout, std::cerr);
    if (live_cmd->parsed()) return live.run(std::cout, std::cerr);
    if (devices_cmd->parsed()) return devices.run(std::cout, std::cerr);
    if (defaults_cmd->parsed()) {
      std::cout << tw::app::config_to_json(tw::detect::DetectionConfig{}).dump(2) << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "tonewatch: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
