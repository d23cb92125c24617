#include "app/live_command.h"

#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "alerts/async_event_sink.h"
#include "alerts/webhook_sink.h"
#include "app/analyze_command.h"
#include "app/config_file.h"
#include "app/run_identity.h"
#include "app/default_model.h"
#include "app/live_sources.h"
#include "app/live_view.h"
#include "dsp/stream_spec.h"
#include "pipeline/channel_layout.h"
#include "report/live_call_writer.h"

namespace tw::app {
namespace {

// Events waiting between the analysis thread and their delivery; past this, drops are counted.
constexpr std::size_t kEventQueue = 1 << 12;
// The view is redrawn four times a second: a meter that moves, without flicker.
constexpr long kViewPeriodNs = 250'000'000;

std::string default_call_id() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "live-%Y%m%d-%H%M%S", &local);
  return text;
}

void check_call_id(const std::string& id) {
  const bool safe = !id.empty() && id.size() <= 128 && id.front() != '.' &&
                    id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == std::string::npos;
  if (!safe) throw std::invalid_argument("--call-id '" + id + "': use letters, digits, '.', '_' and '-' (it names the output files)");
}

void check_rate(const char* flag, int rate_hz) {
  if (rate_hz != 0 && (rate_hz < 8000 || rate_hz > 192000)) {
    throw std::invalid_argument(std::string(flag) + ": the sample rate must be 8000-192000 Hz, got " + std::to_string(rate_hz));
  }
}

int rate_for(const io::InputDevice& device, int asked_hz) {
  if (asked_hz != 0) return asked_hz;
  const auto rate = static_cast<int>(std::lround(device.default_rate_hz));
  if (rate < 8000 || rate > 192000) {
    throw io::DeviceError(io::DeviceErrorKind::rate_refused,
                          io::describe(device) + " defaults to " + std::to_string(rate) + " Hz; choose a rate of 8000-192000 Hz");
  }
  return rate;
}

int terminal_width() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 40) return size.ws_col;
  return 100;
}

// The sources, with PortAudio (when devices are used) outliving the captures.
struct Sources {
  std::unique_ptr<io::PortAudioSystem> system;
  std::vector<std::unique_ptr<LiveSource>> list;
};

Sources open_sources(const LiveCommand& c) {
  const bool two = !c.agent_device.empty() || !c.caller_device.empty();
  const int chosen = static_cast<int>(!c.simulate.empty()) + static_cast<int>(!c.device.empty()) + static_cast<int>(two);
  if (chosen == 0) {
    throw std::invalid_argument(
        "where does the call come from? --device (a two-channel recording tap, or one channel), --agent-device "
        "and --caller-device (a headset microphone and a loopback or monitor source), or --simulate FILE. "
        "'tonewatch devices' lists the devices");
  }
  if (chosen > 1) throw std::invalid_argument("--simulate, --device and --agent-device/--caller-device are alternatives: choose one");
  Sources s;
  if (!c.simulate.empty()) {
    s.list.push_back(std::make_unique<LiveSource>(c.simulate, pipeline::parse_channel_layout(c.channels),
                                                  *features::parse_speaker_role(c.mono_role), c.speed, c.ring_s));
    return s;
  }
  io::CaptureOptions options;
  options.ring_s = c.ring_s;
  options.latency_s = c.latency_s;
  s.system = std::make_unique<io::PortAudioSystem>();
  auto open = [&](const std::string& spec, std::vector<features::SpeakerRole> roles, int rate_hz) {
    const io::InputDevice device = s.system->find_input(spec);
    try {
      s.list.push_back(std::make_unique<LiveSource>(*s.system, device, roles, rate_for(device, rate_hz), options));
    } catch (const io::DeviceError& e) {
      if (e.kind() != io::DeviceErrorKind::too_few_channels || roles.size() < 2) throw;
      throw io::DeviceError(e.kind(), std::string(e.what()) +
                                          ": a two-channel recording tap needs two input channels; for one speaker "
                                          "give --channels caller or --channels agent, for two devices "
                                          "--agent-device and --caller-device");
    }
  };
  if (!c.device.empty()) {
    open(c.device, parse_device_channels(c.channels), c.rate_hz);
  } else {
    // The agent's device first: the reference clock the caller's device is kept in step with.
    if (!c.agent_device.empty()) open(c.agent_device, {features::SpeakerRole::agent}, c.agent_rate_hz);
    if (!c.caller_device.empty()) open(c.caller_device, {features::SpeakerRole::caller}, c.caller_rate_hz);
  }
  return s;
}

// What the sources and the pump counted, summed over sources.
struct Totals {
  std::uint64_t ring_overflow_frames = 0, input_overflows = 0, input_underflows = 0;
  std::uint64_t stall_fill_frames = 0, late_dropped_frames = 0, drift_dropped_frames = 0, drift_repeated_frames = 0;
};

Totals totals(const Sources& sources, const pipeline::LivePump& pump) {
  Totals t;
  for (std::size_t i = 0; i < sources.list.size(); ++i) {
    const io::CaptureCounters c = sources.list[i]->buffer().counters();
    const pipeline::PumpInputCounters p = pump.counters(i);
    t.ring_overflow_frames += c.ring_overflow_frames;
    t.input_overflows += c.input_overflows;
    t.input_underflows += c.input_underflows;
    t.stall_fill_frames += p.join.stall_fill_frames;
    t.late_dropped_frames += p.join.late_dropped_frames;
    t.drift_dropped_frames += p.drift_dropped_frames;
    t.drift_repeated_frames += p.drift_repeated_frames;
  }
  return t;
}

std::string seconds_text(std::uint64_t frames, int rate_hz) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(frames) / rate_hz);
  return text;
}

// The summary's input object and warnings: where the audio came from and what was lost on the way.
report::InputDescription describe_input(const LiveCommand& c, const Sources& sources, const pipeline::LivePump& pump,
                                        const std::string& ended_by, std::vector<std::string>& warnings) {
  report::InputDescription input;
  const LiveSource& first = *sources.list.front();
  input.channels = static_cast<int>(pump.roles().size());
  input.sample_rate_hz = first.buffer().sample_rate_hz();
  if (!c.simulate.empty()) {
    input.path = c.simulate;
    input.format = first.file_format()->description + ", played through the live path";
  } else {
    std::string names, apis;
    for (const auto& s : sources.list) {
      names += (names.empty() ? "" : " + ") + s->device()->name;
      if (apis.find(s->device()->host_api) == std::string::npos) apis += (apis.empty() ? "" : ", ") + s->device()->host_api;
    }
    input.path = "device:" + names;
    input.format = "live capture (PortAudio, " + apis + ")";
  }
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < sources.list.size(); ++i) list.push_back(sources.list[i]->to_json(pump.counters(i)));
  const Totals t = totals(sources, pump);
  input.extra = {{"live", true},
                 {"ended_by", ended_by},
                 {"sources", list},
                 {"overflowed_frames", t.ring_overflow_frames},
                 {"input_overflows", t.input_overflows},
                 {"input_underflows", t.input_underflows},
                 {"stall_fill_frames", t.stall_fill_frames},
                 {"late_dropped_frames", t.late_dropped_frames},
                 {"drift_dropped_frames", t.drift_dropped_frames},
                 {"drift_repeated_frames", t.drift_repeated_frames}};
  const int rate = dsp::kAnalysisRateHz;
  if (t.ring_overflow_frames > 0) {
    warnings.push_back(std::to_string(t.ring_overflow_frames) +
                       " frames were lost because analysis fell behind (ring overflow)");
  }
  if (t.input_overflows > 0) {
    warnings.push_back("the sound system reported " + std::to_string(t.input_overflows) +
                       " input overflow(s): audio was lost before it reached tonewatch");
  }
  if (t.input_underflows > 0) {
    warnings.push_back("the sound system reported " + std::to_string(t.input_underflows) +
                       " input underflow(s): gaps were filled with silence");
  }
  if (t.stall_fill_frames > 0) {
    warnings.push_back(seconds_text(t.stall_fill_frames, rate) +
                       " of silence were filled in for a device that fell behind the other (underrun); " +
                       seconds_text(t.late_dropped_frames, rate) + " of its late audio were dropped");
  }
  if (sources.list.size() == 2) {
    const double ppm = pump.relative_drift_ppm(), se = pump.relative_drift_stderr_ppm();
    input.extra["relative_drift_ppm"] = alerts::json_number(ppm, 1);
    input.extra["relative_drift_stderr_ppm"] = alerts::json_number(se, 1);
    input.extra["drift_corrected"] = t.drift_dropped_frames + t.drift_repeated_frames > 0;
    const double duration_s = static_cast<double>(pump.joiner().frames_out()) / rate;
    if (std::isfinite(ppm) && std::abs(ppm) > 3.0 * se && t.drift_dropped_frames + t.drift_repeated_frames == 0 &&
        std::abs(ppm) * 1e-6 * duration_s > 0.005) {
      char text[200];
      std::snprintf(text, sizeof text,
                    "the two devices' clocks differ by %.0f ppm (%.0f ms over the call), not corrected", ppm,
                    std::abs(ppm) * 1e-3 * duration_s);
      warnings.emplace_back(text);
    }
  }
  return input;
}

}  // namespace

CLI::App* LiveCommand::add_to(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "live", "Monitor a call from sound devices (or a file played in real time): live view, then analyze's outputs");
  cmd->add_option("--device,-d", device,
                  "One input device, by index or name substring ('tonewatch devices'): a two-channel recording tap "
                  "(see --channels), or one channel with --channels caller|agent");
  cmd->add_option("--channels", channels,
                  "Roles of --device's channels in order: caller,agent (left caller, as recordings are laid out), "
                  "agent,caller, caller or agent; also the layout of a two-channel --simulate file")
      ->capture_default_str();
  cmd->add_option("--agent-device", agent_device, "The agent's device (a headset microphone), by index or name");
  cmd->add_option("--caller-device", caller_device,
                  "The caller's device (a loopback or monitor source of the call's audio), by index or name");
  cmd->add_option("--rate", rate_hz, "Sample rate to capture --device at (default: the device's own)");
  cmd->add_option("--agent-rate", agent_rate_hz, "Sample rate for --agent-device (default: the device's own)");
  cmd->add_option("--caller-rate", caller_rate_hz, "Sample rate for --caller-device (default: the device's own)");
  cmd->add_option("--simulate", simulate, "Play this recording through the live path (ring, analysis thread, view) instead of devices");
  cmd->add_option("--speed", speed, "--simulate at this many times real time")->capture_default_str();
  cmd->add_option("--mono-role", mono_role, "Role of the speaker in a one-channel --simulate file")
      ->check(CLI::IsMember({"caller", "agent"}))
      ->capture_default_str();
  cmd->add_option("--out,-o", out_dir, "Where the call's outputs go when it ends")->capture_default_str();
  cmd->add_option("--call-id", call_id, "Name of the call and its files (default live-YYYYMMDD-HHMMSS)");
  cmd->add_option("--record", record_path, "Keep the analysed audio in this file (8 kHz, caller left)");
  cmd->add_option("--record-encoding", record_encoding,
                  "pcm16, float (exactly what was analysed), ulaw, alaw or flac (16-bit)")
      ->check(CLI::IsMember({"pcm16", "float", "ulaw", "alaw", "flac"}))
      ->capture_default_str();
  cmd->add_option("--format", format, "Window table format")->check(CLI::IsMember({"csv", "jsonl"}))->capture_default_str();
  cmd->add_flag("--frames", frames, "Also write per-hop features (<call>.frames.csv)");
  cmd->add_flag("--jsonl", jsonl, "Events as JSON lines on stdout even on a terminal (the default when stdout is not one)");
  webhook.add_to(cmd, "POST each supervisor alert to this URL (repeatable), as 'tonewatch serve' does");
  cmd->add_option("--config", config_path, "Detection thresholds (JSON; see 'tonewatch defaults')");
  cmd->add_option("--model", model_path, "Agitation model file (default: the built-in model)");
  cmd->add_option("--duration", duration_s, "End the call after this many seconds of audio (default: at Ctrl-C)");
  cmd->add_option("--ring", ring_s, "Seconds of audio buffered between capture and analysis")->capture_default_str();
  cmd->add_option("--max-skew", max_skew_s, "Two devices: one this far behind the other is filled with silence (s)")
      ->capture_default_str();
  cmd->add_option("--latency", latency_s, "Host buffering asked of the devices (s; default: the device's robust setting)");
  cmd->add_option("--device-timeout", device_timeout_s, "A device that delivers nothing for this long is lost (s)")
      ->capture_default_str();
  // Off by default: two sources of one PulseAudio server (one clock) measured 5-20 ppm
  // apart over 40 s from callback-timing noise, enough to trigger slips that moved the
  // caller 3 frames off; the drift is always measured and reported.
  cmd->add_flag("--drift-correction", drift_correction,
                "Two devices: slip single frames of the caller's device to follow the measured clock drift (experimental)");
  return cmd;
}

int LiveCommand::run(std::ostream& out, std::ostream& err) {
  check_rate("--rate", rate_hz);
  check_rate("--agent-rate", agent_rate_hz);
  check_rate("--caller-rate", caller_rate_hz);
  if (!(speed > 0.0) || speed > 1000.0) throw std::invalid_argument("--speed must be in (0, 1000], got " + std::to_string(speed));
  if (duration_s < 0.0) throw std::invalid_argument("--duration must be >= 0 s");
  if (!(device_timeout_s > 0.0)) throw std::invalid_argument("--device-timeout must be > 0 s");
  const std::string id = call_id.empty() ? default_call_id() : call_id;
  check_call_id(id);

  // SIGINT and SIGTERM end the call: blocked before any thread starts (PortAudio's
  // and the sound server's included), so every thread inherits the mask and the
  // display loop below takes them with sigtimedwait.
  // A shell starts background jobs with SIGINT ignored, and an ignored signal is
  // discarded even while blocked (POSIX sigaction): restore the default action so
  // `tonewatch live ... &` followed by `kill -INT` still ends the call cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGPIPE, SIG_IGN);  // a closed stdout pipe must not cost the call its report

  const detect::AgitationModel model = load_agitation_model(model_path);
  report::LiveCallWriterOptions options;
  options.session.detection = config_path.empty() ? detect::DetectionConfig{} : load_config_file(config_path);
  options.output.dir = out_dir;
  options.output.format = format == "jsonl" ? report::TableFormat::jsonl : report::TableFormat::csv;
  options.output.frames = frames;
  options.record_path = record_path;
  options.record_encoding = io::parse_output_encoding(record_encoding);
  options.analysis = live_analysis_json(model_path, options.session.detection, "live");

  Sources sources = open_sources(*this);
  std::vector<io::LiveInput*> inputs;
  std::vector<std::vector<features::SpeakerRole>> roles;
  std::string source_line;
  for (const auto& s : sources.list) {
    inputs.push_back(&s->buffer());
    roles.push_back(s->roles());
    source_line += (source_line.empty() ? "" : " + ") + s->label();
  }
  pipeline::PumpOptions pump_options;
  pump_options.max_skew_s = max_skew_s;
  pump_options.correct_drift = sources.list.size() == 2 && drift_correction;
  pipeline::LivePump pump(inputs, roles, pump_options);

  // Events: the call's events file (inside the writer), then, on the analysis thread,
  // the view; then a bounded queue to the delivery thread: JSON lines, webhooks.
  const bool view_mode = !jsonl && isatty(STDOUT_FILENO) == 1;
  LiveView view(id, source_line, pump.roles());
  std::vector<alerts::EventSink*> delivered;
  std::optional<alerts::JsonLinesSink> lines;
  if (!view_mode) delivered.push_back(&lines.emplace(out, true));
  // Webhooks exactly as 'tonewatch serve' delivers them: a durable spool, per-URL
  // order, retries; what is not delivered at the end waits for the next start.
  const std::unique_ptr<alerts::WebhookSink> webhook_sink = webhook.make_sink(out_dir, err, "tonewatch live: ");
  if (webhook_sink) delivered.push_back(webhook_sink.get());
  alerts::FanoutSink delivery(delivered);
  alerts::AsyncEventSink queued(delivery, kEventQueue);
  std::vector<alerts::EventSink*> analysis_sinks{&queued};
  if (view_mode) analysis_sinks.push_back(&view);
  alerts::FanoutSink analysis_events(analysis_sinks);
  report::LiveCallWriter writer(id, options, model, pump.roles(), &analysis_events);
  if (view_mode) writer.add_tap(view);

  for (auto& s : sources.list) s->start();
  err << "tonewatch live: call " << id << ": capturing " << source_line << "; Ctrl-C ends the call\n";
  err.flush();

  const auto view_counters = [&] {
    const Totals t = totals(sources, pump);
    return LiveViewCounters{t.ring_overflow_frames, t.stall_fill_frames, t.input_overflows, t.input_underflows,
                            sources.list.size() == 2 ? pump.relative_drift_ppm() : NAN, pump.correcting_drift()};
  };

  // The analysis thread: drains the rings through the joiner into the session.
  std::atomic<bool> stop_requested{false}, analysis_done{false};
  std::string signal_name, ended_by;
  bool failed = false;
  std::exception_ptr analysis_error;
  const std::int64_t duration_frames = duration_s > 0.0 ? std::llround(duration_s * dsp::kAnalysisRateHz) : -1;
  std::thread analysis([&] {
    bool stopping = false;
    auto stop_all = [&](const std::string& why, bool failure) {
      stopping = true;
      ended_by = why;
      failed = failure;
      for (auto& s : sources.list) s->stop();
    };
    try {
      const auto on_frames = [&](std::span<const float> block) { writer.process(block); };
      while (!pump.finished()) {
        if (!stopping) {
          const std::int64_t now = steady_ns();
          if (stop_requested.load(std::memory_order_acquire)) {
            stop_all(signal_name, false);
          } else if (duration_frames >= 0 && writer.session().frames() >= duration_frames) {
            stop_all("duration", false);
          } else {
            for (auto& s : sources.list) {
              if (s->lost(now, device_timeout_s)) {
                stop_all(s->failure(), true);
                break;
              }
            }
          }
        }
        const std::uint32_t gave = pump.pump(false, on_frames);
        if (view_mode) view.publish(writer.session(), view_counters());
        if (gave == 0 && !pump.finished()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (!stopping) {  // the sources ended by themselves: the file's end, or a device gone
        for (auto& s : sources.list) {
          if (s->lost(steady_ns(), 1e9) || !s->failure().empty()) {
            ended_by = s->failure();
            failed = true;
          }
        }
        if (ended_by.empty()) ended_by = simulate.empty() ? "the devices stopped" : "end of file";
      }
    } catch (...) {
      analysis_error = std::current_exception();
      for (auto& s : sources.list) s->stop();
    }
    analysis_done.store(true, std::memory_order_release);
  });

  // The display thread (this one): signals, and the view four times a second.
  bool first_frame = true;
  auto draw = [&] {
    std::istringstream frame(render_live_view(view.snapshot(), terminal_width(), true));
    std::string text = first_frame ? "\x1b[?25l\x1b[H\x1b[2J" : "\x1b[H";
    for (std::string line; std::getline(frame, line);) text += line + "\x1b[K\n";
    out << text << "\x1b[J";
    out.flush();
    first_frame = false;
  };
  while (!analysis_done.load(std::memory_order_acquire)) {
    const timespec wait{0, kViewPeriodNs};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if ((sig == SIGINT || sig == SIGTERM) && !stop_requested.load(std::memory_order_relaxed)) {
      signal_name = sig == SIGINT ? "ctrl-c" : "sigterm";
      stop_requested.store(true, std::memory_order_release);
    }
    if (view_mode) draw();
  }
  analysis.join();

  // The call so far is written whatever ended it.
  std::vector<std::string> warnings;
  if (failed) warnings.push_back("the call ended early: " + ended_by);
  const report::InputDescription input = describe_input(*this, sources, pump, ended_by, warnings);
  nlohmann::json summary;
  std::string write_error;
  try {
    summary = writer.commit(input, warnings);
  } catch (const std::exception& e) {
    write_error = e.what();
  }
  queued.flush();
  if (webhook_sink && !webhook_sink->flush(std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
    err << "tonewatch live: webhook receivers did not take every alert in 10 s; the rest waits in the spool for the next start\n";
  }
  // A frozen sound server never lets go of its stream: say so, and exit without it.
  for (const auto& s : sources.list) {
    if (!s->released_within(io::DeviceCapture::kReleaseWait_s)) {
      err << "tonewatch live: " << io::describe(*s->device()) << " was not released by its sound system within "
          << io::DeviceCapture::kReleaseWait_s << " s of the call's end (is the sound server frozen?); "
             "exiting without closing it\n";
    }
  }
  if (view_mode) {
    view.publish(writer.session(), view_counters(), true);
    view.end(ended_by);
    draw();
    out << "\x1b[?25h";
  }
  if (analysis_error) std::rethrow_exception(analysis_error);
  if (!write_error.empty()) throw std::runtime_error("writing the call's outputs failed: " + write_error);

  std::ostream& table = view_mode ? out : err;
  batch::CallResult result;
  result.input_path = input.path;
  result.call_id = id;
  result.status = batch::CallResult::Status::analysed;
  result.summary = summary;
  table << "\n";
  print_summary_table({result}, table);
  table << "\nOutputs in " << out_dir << "/ (" << id << ".report.html to read, " << id << ".summary.json, " << id
        << ".events.jsonl, ...)" << (record_path.empty() ? "" : "; audio in " + record_path) << "\n";
  err << "tonewatch live: call " << id << " ended (" << ended_by << ")";
  if (queued.dropped() > 0) err << "; " << queued.dropped() << " event(s) could not be delivered in time";
  err << "\n";
  return failed ? 1 : 0;
}

}  // namespace tw::app
