#pragma once
// `tonewatch live`: a call captured from sound devices (or a file played at
// real-time pace) through the same pipeline as `analyze` and `serve`, with a
// terminal view or JSON lines while it runs and the same outputs when it ends.

#include <CLI/CLI.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "app/webhook_options.h"

namespace tw::app {

struct LiveCommand {
  // Where the audio comes from.
  std::string device;         ///< one device: a two-channel recording tap, or one channel
  std::string agent_device;   ///< two devices: the agent's headset microphone ...
  std::string caller_device;  ///< ... and the caller from a loopback or monitor source
  std::string channels = "caller,agent";  ///< roles of --device's channels (or of a two-channel --simulate file)
  std::string mono_role = "caller";       ///< role of a one-channel --simulate file
  int rate_hz = 0, agent_rate_hz = 0, caller_rate_hz = 0;  ///< 0: the device's default rate
  std::string simulate;       ///< play this file through the live path instead
  double speed = 1.0;
  // What it writes.
  std::string out_dir = "tonewatch-out";
  std::string call_id;        ///< default live-YYYYMMDD-HHMMSS
  std::string record_path;
  std::string record_encoding = "float";
  std::string format = "csv";
  bool frames = false;
  bool jsonl = false;
  WebhookOptions webhook;
  std::string config_path, model_path;
  // Timing.
  double duration_s = 0.0;    ///< 0: until Ctrl-C (or the file's end)
  double ring_s = 4.0;
  double max_skew_s = 0.5;
  double latency_s = 0.0;
  double device_timeout_s = 5.0;
  bool drift_correction = false;  ///< two devices: slip frames to follow the measured drift

  CLI::App* add_to(CLI::App& app);
  /// Runs the call until Ctrl-C/SIGTERM, --duration, the file's end or a lost device;
  /// writes the outputs. Returns 0, or 1 when a device was lost or the file failed
  /// mid-call (the call so far is written). Throws for setup errors.
  int run(std::ostream& out, std::ostream& err);
};

}  // namespace tw::app
