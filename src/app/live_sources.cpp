#include "app/live_sources.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "alerts/event.h"
#include "pipeline/channel_layout.h"

namespace tw::app {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

nlohmann::json role_names(const std::vector<features::SpeakerRole>& roles) {
  nlohmann::json names = nlohmann::json::array();
  for (features::SpeakerRole r : roles) names.push_back(features::to_string(r));
  return names;
}

}  // namespace

std::vector<features::SpeakerRole> parse_device_channels(const std::string& text) {
  if (const auto one = features::parse_speaker_role(text)) return {*one};
  try {
    return pipeline::parse_channel_layout(text);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("--channels '" + text +
                                "': name the role of each channel to capture, in order: 'caller,agent' or "
                                "'agent,caller' (two channels), 'caller' or 'agent' (one)");
  }
}

std::string describe_roles(const std::vector<features::SpeakerRole>& roles) {
  if (roles.size() == 1) return std::string(features::to_string(roles[0]));
  return "left " + std::string(features::to_string(roles[0])) + ", right " + std::string(features::to_string(roles[1]));
}

LiveSource::LiveSource(const io::PortAudioSystem& system, const io::InputDevice& device,
                       std::vector<features::SpeakerRole> roles, int rate_hz, const io::CaptureOptions& options)
    : roles_(std::move(roles)) {
  io::CaptureOptions o = options;
  o.channels = static_cast<int>(roles_.size());
  o.sample_rate_hz = rate_hz;
  capture_ = std::make_unique<io::DeviceCapture>(system, device, o);
}

LiveSource::LiveSource(const std::string& path, const std::vector<features::SpeakerRole>& stereo_roles,
                       features::SpeakerRole mono_role, double speed, double ring_s)
    : path_(path), speed_(speed) {
  file_ = std::make_unique<io::AudioFileSource>(path);
  roles_ = file_->format().channels == 1 ? std::vector<features::SpeakerRole>{mono_role} : stereo_roles;
  io::PacedPlayerOptions options;
  options.speed = speed;
  options.ring_s = ring_s;
  player_ = std::make_unique<io::PacedPlayer>(*file_, options);
}

void LiveSource::start() {
  started_ns_ = steady_ns();
  if (capture_) capture_->start();
  if (player_) player_->start();
}

void LiveSource::stop() noexcept {
  if (capture_) capture_->stop();
  if (player_) player_->stop();
}

bool LiveSource::lost(std::int64_t now_ns, double timeout_s) noexcept {
  if (!capture_) return false;
  if (!failure_.empty()) return true;
  const io::InputDevice& d = capture_->device();
  if (capture_->lost()) {
    failure_ = io::describe(d) + " stopped delivering audio (unplugged, or its sound server went away)";
    return true;
  }
  const std::int64_t last = capture_->buffer().last_write_ns();
  const double silent_s = static_cast<double>(now_ns - (last > 0 ? last : started_ns_)) * 1e-9;
  if (started_ns_ > 0 && silent_s > timeout_s) {
    failure_ = io::describe(d) + " delivered no audio for " + std::to_string(static_cast<int>(silent_s)) + " s";
    capture_->stop();
    return true;
  }
  return false;
}

std::string LiveSource::failure() const {
  if (!failure_.empty()) return failure_;
  if (player_ && player_->buffer().ended()) {
    const std::string error = player_->error();
    if (!error.empty()) return "reading " + path_ + " failed: " + error;
  }
  return {};
}

io::CaptureBuffer& LiveSource::buffer() noexcept { return capture_ ? capture_->buffer() : player_->buffer(); }
const io::CaptureBuffer& LiveSource::buffer() const noexcept { return capture_ ? capture_->buffer() : player_->buffer(); }

std::string LiveSource::label() const {
  const io::CaptureBuffer& b = buffer();
  const std::string format = std::to_string(b.sample_rate_hz()) + " Hz, " + describe_roles(roles_);
  if (capture_) return io::describe(capture_->device()) + " " + format;
  char speed[32];
  std::snprintf(speed, sizeof speed, "%g", speed_);
  return path_ + " (simulated device, " + speed + "x) " + format;
}

nlohmann::json LiveSource::to_json(const pipeline::PumpInputCounters& pump) const {
  const io::CaptureBuffer& b = buffer();
  const io::CaptureCounters c = b.counters();
  nlohmann::json j;
  if (capture_) {
    const io::InputDevice& d = capture_->device();
    j = {{"kind", "device"}, {"device", d.name}, {"host_api", d.host_api}, {"index", d.index},
         {"latency_s", alerts::json_number(capture_->latency_s(), 4)}};
  } else {
    j = {{"kind", "simulated"}, {"file", path_}, {"speed", speed_}};
  }
  j["roles"] = role_names(roles_);
  j["sample_rate_hz"] = b.sample_rate_hz();
  j["channels"] = b.channels();
  j["frames_captured"] = c.frames_delivered;
  j["callbacks"] = c.callbacks;
  j["input_overflows"] = c.input_overflows;
  j["input_underflows"] = c.input_underflows;
  j["ring_overflow_frames"] = c.ring_overflow_frames;
  j["stall_fill_frames"] = pump.join.stall_fill_frames;
  j["late_dropped_frames"] = pump.join.late_dropped_frames;
  j["drift_dropped_frames"] = pump.drift_dropped_frames;
  j["drift_repeated_frames"] = pump.drift_repeated_frames;
  if (capture_ && pump.clock.points >= 3) {  // a simulated device's clock is the steady clock itself
    j["measured_rate_hz"] = alerts::json_number(pump.clock.rate_hz, 3);
    j["clock_drift_ppm"] = alerts::json_number(pump.clock.drift_ppm, 1);
    j["clock_drift_stderr_ppm"] = alerts::json_number(pump.clock.stderr_ppm, 1);
    j["clock_measured_s"] = alerts::json_number(pump.clock.elapsed_s, 1);
  }
  if (!failure().empty()) j["failure"] = failure();
  return j;
}

}  // namespace tw::app
