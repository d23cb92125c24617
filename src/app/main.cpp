// tonewatch: call-center audio stress monitor.

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "app/analyze_command.h"
#include "app/config_file.h"
#include "app/devices_command.h"
#include "app/live_command.h"
#include "app/serve_command.h"
#include "app/usage.h"

int main(int argc, char** argv) {
  CLI::App app{"tonewatch: listens to both voices of a call and measures pitch, loudness, voice activity and\n"
               "speaking rate against each speaker's own baseline.\n\n"
               "Exit status: 0 every call analysed (or done before), 1 some calls failed, 2 usage or\n"
               "configuration error (nothing analysed), 130/143 stopped by SIGINT/SIGTERM."};
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

  const std::vector<std::string> arguments(argv, argv + argc);
  if (const std::string problem = tw::app::unknown_command(arguments, app); !problem.empty()) {
    std::cerr << "tonewatch: " << problem << "\n";
    return tw::app::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Every usage error is status 2, as documented (CLI11's own codes are 100+).
    std::cerr << "tonewatch: " << tw::app::usage_message(e, arguments, app) << "\n"
              << "Run 'tonewatch --help' or 'tonewatch COMMAND --help' for the options.\n";
    return tw::app::kExitUsage;
  }
  try {
    if (analyze_cmd->parsed()) return analyze.run(std::cout, std::cerr, arguments);
    if (serve_cmd->parsed()) return serve.run(std::cout, std::cerr);
    if (live_cmd->parsed()) return live.run(std::cout, std::cerr);
    if (devices_cmd->parsed()) return devices.run(std::cout, std::cerr);
    if (defaults_cmd->parsed()) {
      std::cout << tw::app::config_to_json(tw::detect::DetectionConfig{}).dump(2) << "\n";
      return tw::app::kExitOk;
    }
  } catch (const std::exception& e) {
    std::cerr << "tonewatch: " << e.what() << "\n";
    return tw::app::kExitUsage;
  }
  return tw::app::kExitOk;
}
