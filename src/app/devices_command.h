#pragma once
// `tonewatch devices`: the sound input devices `tonewatch live` can capture from.

#include <CLI/CLI.hpp>

#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/portaudio_devices.h"

namespace tw::app {

struct DevicesCommand {
  bool json = false;

  CLI::App* add_to(CLI::App& app);
  /// Lists the input devices on `out`. Returns 0, or 1 (with the reason on `err`)
  /// when there are none.
  int run(std::ostream& out, std::ostream& err);
};

/// The devices as JSON: [{"index", "name", "host_api", "input_channels", "default_rate_hz", "default"}].
nlohmann::json devices_json(const std::vector<io::InputDevice>& devices);
/// The devices as a table, one line each.
void print_devices_table(const std::vector<io::InputDevice>& devices, std::ostream& out);

}  // namespace tw::app
