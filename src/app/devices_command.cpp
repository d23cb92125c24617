#include "app/devices_command.h"

#include <cmath>
#include <cstdio>

namespace tw::app {

CLI::App* DevicesCommand::add_to(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("devices", "List the sound input devices 'tonewatch live' can capture from");
  cmd->add_flag("--json", json, "As a JSON array (index, name, host_api, input_channels, default_rate_hz, default)");
  return cmd;
}

nlohmann::json devices_json(const std::vector<io::InputDevice>& devices) {
  nlohmann::json list = nlohmann::json::array();
  for (const io::InputDevice& d : devices) {
    list.push_back({{"index", d.index},
                    {"name", d.name},
                    {"host_api", d.host_api},
                    {"input_channels", d.input_channels},
                    {"default_rate_hz", std::lround(d.default_rate_hz)},
                    {"default", d.is_default}});
  }
  return list;
}

void print_devices_table(const std::vector<io::InputDevice>& devices, std::ostream& out) {
  std::size_t name_width = 4, api_width = 8;
  for (const io::InputDevice& d : devices) {
    name_width = std::max(name_width, d.name.size());
    api_width = std::max(api_width, d.host_api.size());
  }
  char line[512];
  std::snprintf(line, sizeof line, "%5s  %-*s  %-*s  %6s  %12s\n", "index", static_cast<int>(name_width), "name",
                static_cast<int>(api_width), "host API", "inputs", "default rate");
  out << line;
  for (const io::InputDevice& d : devices) {
    std::snprintf(line, sizeof line, "%5d  %-*s  %-*s  %6d  %9ld Hz%s\n", d.index, static_cast<int>(name_width),
                  d.name.c_str(), static_cast<int>(api_width), d.host_api.c_str(), d.input_channels,
                  std::lround(d.default_rate_hz), d.is_default ? "  (default input)" : "");
    out << line;
  }
}

int DevicesCommand::run(std::ostream& out, std::ostream& err) {
  io::PortAudioSystem system;
  const std::vector<io::InputDevice> devices = system.input_devices();
  if (json) {
    out << devices_json(devices).dump(2) << "\n";
  } else if (!devices.empty()) {
    print_devices_table(devices, out);
    out << "\nChoose one with 'tonewatch live --device INDEX|NAME' (a two-channel recording tap), or two with\n"
           "--agent-device and --caller-device (a headset microphone and a loopback or monitor source).\n";
  }
  if (devices.empty()) {
    std::string apis;
    for (const std::string& a : system.host_apis()) apis += (apis.empty() ? "" : ", ") + a;
    err << "tonewatch devices: no sound input devices (PortAudio host APIs: " << (apis.empty() ? "none" : apis)
        << "). Is there a sound card, or a sound server (PulseAudio, PipeWire, JACK) running for this user?\n";
    return 1;
  }
  return 0;
}

}  // namespace tw::app
