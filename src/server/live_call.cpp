#include "server/live_call.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "dsp/stream_spec.h"
#include "report/call_report.h"
#include "report/call_summary.h"

namespace tw::server {
namespace {
constexpr std::size_t kReadFrames = 512;  // per leg and read; bounded scratch (4 KiB)
}

LiveCall::LiveCall(std::string call_id, std::string protocol, nlohmann::json metadata, const CallSettings& settings,
                   alerts::EventSink& events)
    : call_id_(std::move(call_id)),
      settings_(settings),
      hub_(events),
      created_ns_(steady_now_ns()),
      timeline_(settings.timeline) {
  if (settings.model == nullptr) throw std::invalid_argument("LiveCall: no agitation model");
  status_.call_id = call_id_;
  status_.protocol = std::move(protocol);
  status_.metadata = metadata.is_object() ? std::move(metadata) : nlohmann::json::object();
  status_.started_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  scratch_.resize(kReadFrames * 2);
}

LiveCall::~LiveCall() = default;

int LiveCall::add_tracks(const std::vector<pipeline::LiveTrack>& tracks, bool complete) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_ || tracks.empty()) return -1;
  const std::size_t count = leg_count_.load(std::memory_order_relaxed);
  std::size_t channels = 0;
  bool has[2] = {false, false};
  for (std::size_t i = 0; i < count; ++i) {
    for (features::SpeakerRole r : legs_[i]->roles()) has[r == features::SpeakerRole::caller ? 0 : 1] = true;
    channels += legs_[i]->channels();
  }
  for (const pipeline::LiveTrack& t : tracks) {
    for (features::SpeakerRole r : t.roles) {
      bool& taken = has[r == features::SpeakerRole::caller ? 0 : 1];
      if (taken) return -1;  // that party is already on the call
      taken = true;
    }
    channels += t.roles.size();
  }
  if (count + tracks.size() > legs_.size() || channels > 2) return -1;
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    legs_[count + i] = std::make_unique<LegInput>(tracks[i].sample_rate_hz, tracks[i].roles, settings_.ring_s);
  }
  leg_count_.store(count + tracks.size(), std::memory_order_release);
  const int first = static_cast<int>(count);
  complete_ = complete || (has[0] && has[1]);
  return first;
}

void LiveCall::add_metadata(const nlohmann::json& metadata) {
  if (!metadata.is_object()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [key, value] : metadata.items()) {
    if (!status_.metadata.contains(key)) status_.metadata[key] = value;
  }
}

bool LiveCall::should_start(std::int64_t now_ns) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t count = leg_count_.load(std::memory_order_relaxed);
  if (count == 0) return stop_.load(std::memory_order_acquire);
  if (complete_ || stop_.load(std::memory_order_acquire)) return true;
  if (static_cast<double>(now_ns - created_ns_) * 1e-9 >= settings_.second_leg_wait_s) return true;
  for (std::size_t i = 0; i < count; ++i) {
    if (!legs_[i]->ended()) return false;
  }
  return true;  // every leg there is has already ended: a short one-party call
}

void LiveCall::start() {
  std::vector<pipeline::LiveTrack> tracks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    started_ = true;
    for (std::size_t i = 0; i < leg_count_.load(std::memory_order_relaxed); ++i) {
      tracks.push_back({legs_[i]->sample_rate_hz(), legs_[i]->roles()});
    }
  }
  if (tracks.empty()) {  // stopped before any leg came
    error_ = "no audio";
    return;
  }
  leg_done_.assign(tracks.size(), false);
  try {
    joiner_.emplace(tracks, settings_.max_skew_s);
    outputs_ = std::make_unique<report::CallOutputs>(settings_.output, call_id_);
    events_ = std::make_unique<alerts::FanoutSink>(std::vector<alerts::EventSink*>{&outputs_->events(), &hub_});
    session_ = std::make_unique<pipeline::CallSession>(call_id_, settings_.session, *settings_.model, joiner_->roles(),
                                                       *events_);
    session_->add_tap(outputs_->tap());
    if (!settings_.record_dir.empty()) {
      std::filesystem::create_directories(settings_.record_dir);
      recorder_ = std::make_unique<io::AudioFileRecorder>(
          (std::filesystem::path(settings_.record_dir) / (call_id_ + ".wav")).string(),
          static_cast<int>(joiner_->channels()), dsp::kAnalysisRateHz, io::OutputEncoding::wav_pcm16);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    status_.analysing = true;
    for (features::SpeakerRole r : joiner_->roles()) status_.roles.emplace_back(features::to_string(r));
  } catch (const std::exception& e) {
    // The call cannot be analysed (an output folder that cannot be written, say):
    // its audio is drained and discarded so the connections are not held up.
    error_ = e.what();
    session_.reset();
    std::lock_guard<std::mutex> lock(mutex_);
    status_.error = error_;
  }
}

void LiveCall::analyse(std::span<const float> frames) {
  if (!session_) return;
  session_->process(frames);
  if (recorder_) recorder_->write(frames);
}

bool LiveCall::pump(std::int64_t now_ns, std::int64_t* lag_ns) {
  if (lag_ns != nullptr) *lag_ns = -1;
  if (finished()) return false;
  if (!joiner_ && error_.empty()) {
    if (!should_start(now_ns)) return false;
    start();
  }
  const bool stopping = stop_.load(std::memory_order_acquire);
  const std::size_t legs = leg_count_.load(std::memory_order_acquire);
  auto analyse_block = [this](std::span<const float> block) { analyse(block); };
  // Legs are read in turns of at most kReadFrames each, so the joiner sees them
  // arrive side by side: only a leg whose ring is really empty can fall behind.
  bool worked = false;
  std::array<std::int64_t, pipeline::TrackJoiner::kMaxTracks> stamps{};
  for (std::size_t i = 0; i < legs; ++i) stamps[i] = legs_[i]->last_write_ns();
  for (bool any = true; any;) {
    any = false;
    for (std::size_t i = 0; i < legs; ++i) {
      LegInput& in = *legs_[i];
      const std::size_t n = in.read(scratch_);
      if (n == 0) continue;
      if (joiner_) joiner_->push(i, std::span<const float>(scratch_.data(), n * in.channels()), analyse_block);
      any = true;
      if (lag_ns != nullptr && stamps[i] > 0) *lag_ns = std::max(*lag_ns, now_ns - stamps[i]);
    }
    worked = worked || any;
  }
  bool all_done = true;
  for (std::size_t i = 0; i < legs; ++i) {
    LegInput& in = *legs_[i];
    if (!leg_done_.empty() && !leg_done_[i] && (in.drained() || stopping)) {
      leg_done_[i] = true;
      if (joiner_) joiner_->end_track(i, analyse_block);
    }
    all_done = all_done && (in.drained() || stopping);
  }
  if (joiner_) {
    std::uint64_t stall = 0, late = 0;
    for (std::size_t i = 0; i < joiner_->tracks(); ++i) {
      stall += joiner_->counters(i).stall_fill_frames;
      late += joiner_->counters(i).late_dropped_frames;
    }
    stall_fill_frames_.store(stall, std::memory_order_relaxed);
    late_dropped_frames_.store(late, std::memory_order_relaxed);
  }
  if (session_) analysed_frames_.store(static_cast<std::uint64_t>(session_->frames()), std::memory_order_relaxed);
  if (worked) update_status();
  if (all_done) {
    if (joiner_) joiner_->finish(analyse_block);
    if (session_) session_->finish();
    update_status();
    if (session_) timeline_.update(session_->timeline());  // the episodes the end closed
    finished_.store(true, std::memory_order_release);
  }
  return worked;
}

void LiveCall::update_status() {
  if (!session_) return;
  const auto second = static_cast<std::int64_t>(session_->duration_s());
  if (second == status_second_ && !finished_.load(std::memory_order_relaxed)) return;
  status_second_ = second;
  const pipeline::CallTimeline& t = session_->timeline();
  timeline_.update(t);
  std::string verdict = report::call_verdict(t);
  std::lock_guard<std::mutex> lock(mutex_);
  status_.duration_s = session_->duration_s();
  status_.stages = t.stages;
  status_.verdict = std::move(verdict);
  status_.stage = std::string(detect::to_string(session_->stage()));
  auto copy = [](const std::vector<pipeline::SpeakerSecond>& seconds, CallStatus::Speaker& out) {
    if (seconds.empty()) return;
    const pipeline::SpeakerSecond& s = seconds.back();
    out = {s.loudness_db, s.f0_median_hz, s.speaking_rate_syl_per_s, s.speech_s};
  };
  copy(t.caller, status_.caller);
  copy(t.agent, status_.agent);
  if (!t.caller.empty()) {
    status_.caller_agitation = t.caller.back().agitation;
    status_.caller_score = t.caller.back().score;
    status_.caller_scored = t.caller.back().scored;
  }
}

void LiveCall::write_outputs() {
  if (outputs_written_) return;
  outputs_written_ = true;
  std::string report_path;
  std::string error = error_;
  if (session_ && outputs_) {
    try {
      const CallStatus s = status();
      report::InputDescription input;
      input.path = s.protocol + ":" + call_id_;
      input.format = s.protocol + " live stream";
      input.sample_rate_hz = legs_[0] ? legs_[0]->sample_rate_hz() : 0;
      input.channels = static_cast<int>(session_->channels());
      const LiveCallCounters c = counters();
      input.extra = {{"live", true},
                     {"metadata", s.metadata},
                     {"frames_received", c.frames_received},
                     {"overflowed_frames", c.overflowed_frames},
                     {"stall_fill_frames", c.stall_fill_frames},
                     {"late_dropped_frames", c.late_dropped_frames}};
      if (recorder_) {
        recorder_->commit();
        input.extra["recording"] = recorder_->path();
      }
      nlohmann::json summary = report::make_call_summary(call_id_, input, session_->frames(), session_->reports());
      report::add_detection_summary(session_->timeline(), summary);
      if (c.overflowed_frames > 0) {
        summary["warnings"].push_back(std::to_string(c.overflowed_frames) +
                                      " frames were lost because analysis fell behind (ring overflow)");
      }
      outputs_->commit(session_->timeline(), summary);
      report_path = outputs_->paths().report_html;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  std::string verdict = session_ ? report::call_verdict(session_->timeline()) : std::string();
  std::lock_guard<std::mutex> lock(mutex_);
  if (session_) {
    status_.stages = session_->timeline().stages;
    status_.verdict = std::move(verdict);
  }
  status_.ended_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  status_.ended = true;
  status_.analysing = false;
  status_.error = error;
  status_.report_path = report_path;
}

CallStatus LiveCall::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

LiveCallCounters LiveCall::counters() const {
  LiveCallCounters c;
  const std::size_t legs = leg_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < legs; ++i) {
    c.frames_received += legs_[i]->frames_written();
    c.overflowed_frames += legs_[i]->overflowed_frames();
  }
  c.stall_fill_frames = stall_fill_frames_.load(std::memory_order_relaxed);
  c.late_dropped_frames = late_dropped_frames_.load(std::memory_order_relaxed);
  c.analysed_frames = analysed_frames_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace tw::server
