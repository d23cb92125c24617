#include "server/live_call.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "dsp/stream_spec.h"
#include "report/call_report.h"
#include "report/call_summary.h"
#include "server/split_calls.h"

namespace tw::server {

LiveCall::LiveCall(std::string call_id, std::string protocol, nlohmann::json metadata, const CallSettings& settings,
                   alerts::EventSink& events)
    : call_id_(std::move(call_id)),
      settings_(settings),
      hub_(events),
      created_ns_(steady_now_ns()),
      metadata_(settings.metadata),
      timeline_(settings.timeline) {
  if (settings.model == nullptr) throw std::invalid_argument("LiveCall: no agitation model");
  status_.call_id = call_id_;
  status_.protocol = std::move(protocol);
  metadata_.merge(metadata);
  status_.metadata = metadata_.value();
  status_.started_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
}

LiveCall::~LiveCall() = default;

int LiveCall::add_tracks(const std::vector<pipeline::LiveTrack>& tracks, bool complete) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (tracks.empty()) return -1;
  if (started_) {
    // Under way: only the party it started without may join, as one leg of its roles.
    const std::size_t count = leg_count_.load(std::memory_order_relaxed);
    if (absent_input_ < 0 || join_pending_.load(std::memory_order_relaxed) || tracks.size() != 1 ||
        tracks[0].roles != absent_roles_ || count != static_cast<std::size_t>(absent_input_) || count >= legs_.size()) {
      return -1;
    }
    legs_[count] = std::make_unique<LegInput>(tracks[0].sample_rate_hz, tracks[0].roles, settings_.ring_s, &ready_);
    leg_count_.store(count + 1, std::memory_order_release);
    join_pending_.store(true, std::memory_order_release);
    ready_.store(true, std::memory_order_release);
    return static_cast<int>(count);
  }
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
    legs_[count + i] = std::make_unique<LegInput>(tracks[i].sample_rate_hz, tracks[i].roles, settings_.ring_s, &ready_);
  }
  leg_count_.store(count + tracks.size(), std::memory_order_release);
  ready_.store(true, std::memory_order_release);
  const int first = static_cast<int>(count);
  complete_ = complete || (has[0] && has[1]);
  return first;
}

std::size_t LiveCall::add_metadata(const nlohmann::json& metadata) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t cut = metadata_.merge(metadata);
  status_.metadata = metadata_.value();
  return cut;
}

std::size_t LiveCall::update_metadata(const nlohmann::json& metadata) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t cut = metadata_.update(metadata);
  status_.metadata = metadata_.value();
  return cut;
}

std::size_t LiveCall::metadata_cut() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return metadata_.cut();
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

void LiveCall::add_stream_control(std::function<void(const std::string&)> control) {
  std::lock_guard<std::mutex> lock(mutex_);
  stream_controls_.push_back(std::move(control));
}

bool LiveCall::request_streams(const std::string& request) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& control : stream_controls_) control(request);  // each only posts to its connection's loop
  return !stream_controls_.empty();
}

void LiveCall::start() {
  std::vector<io::LiveInput*> inputs;
  std::vector<std::vector<features::SpeakerRole>> roles;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    started_ = true;
    bool has[2] = {false, false};
    for (std::size_t i = 0; i < leg_count_.load(std::memory_order_relaxed); ++i) {
      inputs.push_back(legs_[i].get());
      roles.push_back(legs_[i]->roles());
      for (features::SpeakerRole r : legs_[i]->roles()) has[r == features::SpeakerRole::caller ? 0 : 1] = true;
    }
    // A split protocol's call starting with one party: the other's place waits for it.
    if (!complete_ && inputs.size() == 1 && (has[0] != has[1])) {
      absent_input_ = 1;
      absent_roles_ = {has[0] ? features::SpeakerRole::agent : features::SpeakerRole::caller};
      inputs.push_back(nullptr);
      roles.push_back(absent_roles_);
    }
  }
  if (inputs.empty()) {  // stopped before any leg came
    error_ = "no audio";
    return;
  }
  try {
    pipeline::PumpOptions pump_options;
    pump_options.max_skew_s = settings_.max_skew_s;
    pump_.emplace(std::move(inputs), roles, pump_options);
    report::LiveCallWriterOptions options;
    options.session = settings_.session;
    options.output = settings_.output;
    options.analysis = settings_.analysis;
    options.sequence = sequence_.get();
    if (!settings_.record_dir.empty()) {
      options.record_path = (std::filesystem::path(settings_.record_dir) / (call_id_ + ".wav")).string();
    }
    writer_ = std::make_unique<report::LiveCallWriter>(call_id_, options, *settings_.model, pump_->roles(), &hub_);
    for (features::SpeakerRole r : absent_roles_) writer_->set_absent(r);
    std::lock_guard<std::mutex> lock(mutex_);
    status_.analysing = true;
    for (features::SpeakerRole r : pump_->roles()) {
      if (std::find(absent_roles_.begin(), absent_roles_.end(), r) == absent_roles_.end()) {
        status_.roles.emplace_back(features::to_string(r));
      }
    }
  } catch (const std::exception& e) {
    // The call cannot be analysed (an output folder that cannot be written, say):
    // its audio is drained and discarded so the connections are not held up.
    error_ = e.what();
    writer_.reset();
    std::lock_guard<std::mutex> lock(mutex_);
    status_.error = error_;
  }
}

void LiveCall::analyse(std::span<const float> frames) {
  if (writer_) writer_->process(frames);
}

bool LiveCall::pump(std::int64_t now_ns, std::int64_t* lag_ns) {
  if (lag_ns != nullptr) *lag_ns = -1;
  if (finished()) return false;
  if (!pump_ && error_.empty()) {
    if (!should_start(now_ns)) return false;
    start();
  }
  const bool stopping = stop_.load(std::memory_order_acquire);
  const std::size_t legs = leg_count_.load(std::memory_order_acquire);
  std::array<std::int64_t, pipeline::TrackJoiner::kMaxTracks> stamps{};
  for (std::size_t i = 0; i < legs; ++i) stamps[i] = legs_[i]->last_write_ns();
  bool worked = false;
  bool all_done = true;
  if (pump_ && join_pending_.load(std::memory_order_acquire) && absent_input_ >= 0 && pump_->absent(static_cast<std::size_t>(absent_input_))) {
    // The party the call started without has joined: its leg takes the waiting place.
    pump_->attach(static_cast<std::size_t>(absent_input_), legs_[static_cast<std::size_t>(absent_input_)].get());
    if (writer_) {
      for (features::SpeakerRole r : absent_roles_) writer_->party_joined(r);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    status_.roles.clear();
    for (features::SpeakerRole r : pump_->roles()) status_.roles.emplace_back(features::to_string(r));
  }
  if (pump_) {
    const std::uint32_t gave = pump_->pump(
        stopping, [this](std::span<const float> block) { analyse(block); },
        [this](std::int64_t frames, dsp::GapKind kind) {
          if (writer_) writer_->skip(frames, kind);
        },
        [this](std::size_t) { follow_parties(); });
    worked = gave != 0;
    for (std::size_t i = 0; i < legs && lag_ns != nullptr; ++i) {
      if ((gave & (1u << i)) != 0 && stamps[i] > 0) *lag_ns = std::max(*lag_ns, now_ns - stamps[i]);
    }
    all_done = pump_->finished();
    std::uint64_t stall = 0, late = 0;
    for (std::size_t i = 0; i < pump_->inputs(); ++i) {
      stall += pump_->joiner().counters(i).stall_fill_frames;
      late += pump_->joiner().counters(i).late_dropped_frames;
    }
    stall_fill_frames_.store(stall, std::memory_order_relaxed);
    late_dropped_frames_.store(late, std::memory_order_relaxed);
  } else {
    if (scratch_.empty()) scratch_.resize(pipeline::LivePump::kReadFrames * 2);
    for (std::size_t i = 0; i < legs; ++i) {
      while (legs_[i]->read(scratch_) > 0) worked = true;
      all_done = all_done && (legs_[i]->drained() || stopping);
    }
  }
  if (writer_) {
    const pipeline::CallSession& session = writer_->session();
    analysed_frames_.store(static_cast<std::uint64_t>(session.frames()), std::memory_order_relaxed);
    next_summary_frame_ = session.next_summary_frame();
    hop_alerts_possible_ = session.stage() == detect::Stage::venting;
  }
  if (writer_ && settings_.max_call_s > 0.0 && !cut_.load(std::memory_order_relaxed) &&
      writer_->session().duration_s() >= settings_.max_call_s) {
    cut_.store(true, std::memory_order_relaxed);
    stop();  // the next pump drains what the legs hold and finishes the call
  }
  if (worked) update_status();
  if (all_done) {
    if (writer_) writer_->finish();
    update_status();
    if (writer_) timeline_.update(writer_->session().timeline());  // the episodes the end closed
    finished_.store(true, std::memory_order_release);
  }
  return worked;
}

bool LiveCall::holds_audio(double seconds) const noexcept {
  if (!pump_ || stop_.load(std::memory_order_acquire)) return true;
  const std::size_t legs = leg_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < legs; ++i) {
    const LegInput& leg = *legs_[i];
    if (leg.ended()) continue;  // a leg that ended holds nothing up
    if (static_cast<double>(leg.available_frames()) < seconds * leg.sample_rate_hz()) return false;
  }
  return true;
}

bool LiveCall::decision_due() const noexcept {
  if (!pump_ || !writer_ || stop_.load(std::memory_order_acquire) || hop_alerts_possible_) return true;
  // What the next pump can analyse: as far as the leg with the least audio reaches.
  const std::size_t legs = leg_count_.load(std::memory_order_acquire);
  std::int64_t held = -1;  // analysis-rate frames
  for (std::size_t i = 0; i < legs; ++i) {
    const LegInput& leg = *legs_[i];
    if (leg.ended()) continue;
    const std::int64_t frames =
        static_cast<std::int64_t>(leg.available_frames()) * dsp::kAnalysisRateHz / leg.sample_rate_hz();
    held = held < 0 ? frames : std::min(held, frames);
  }
  if (held < 0) return true;  // no leg sending: whatever is left is the end
  const auto analysed = static_cast<std::int64_t>(analysed_frames_.load(std::memory_order_relaxed));
  return analysed + held >= next_summary_frame_;
}

void LiveCall::follow_parties() {
  // A leg that ended while the call goes on is its party leaving (a hangup: Asterisk
  // closes its socket, Twilio stops a track's stream): told to the session where its
  // last frame is, so that party's episodes close and no dead air follows.
  if (!writer_) return;
  // The last party's end is the call's: no departure of its own.
  bool anyone_left_on = false;
  for (std::size_t i = 0; i < pump_->inputs(); ++i) {
    anyone_left_on |= !pump_->absent(i) && !pump_->joiner().ended(i);
  }
  if (!anyone_left_on) return;
  for (std::size_t i = 0; i < pump_->inputs(); ++i) {
    if (departed_[i] || pump_->absent(i) || !pump_->joiner().ended(i)) continue;
    departed_[i] = true;
    for (features::SpeakerRole r : legs_[i]->roles()) writer_->party_left(r, pump_->joiner().left_at(i));
  }
}

void LiveCall::update_status() {
  if (!writer_) return;
  const pipeline::CallSession& session = writer_->session();
  const auto second = static_cast<std::int64_t>(session.duration_s());
  if (second == status_second_ && !finished_.load(std::memory_order_relaxed)) return;
  status_second_ = second;
  const pipeline::CallTimeline& t = session.timeline();
  timeline_.update(t);
  std::string verdict = report::call_verdict_so_far(t);  // in progress: told in the present
  std::lock_guard<std::mutex> lock(mutex_);
  status_.duration_s = session.duration_s();
  status_.stages = t.stages;
  status_.verdict = std::move(verdict);
  status_.stage = std::string(detect::to_string(session.stage()));
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
  if (writer_) {
    try {
      const CallStatus s = status();
      report::InputDescription input;
      input.path = s.protocol + ":" + call_id_;
      input.format = s.protocol + " live stream";
      input.sample_rate_hz = legs_[0] ? legs_[0]->sample_rate_hz() : 0;
      input.channels = static_cast<int>(writer_->session().channels());
      const LiveCallCounters c = counters();
      input.extra = {{"live", true},
                     {"metadata", s.metadata},
                     {"metadata_cut", metadata_cut()},
                     {"frames_received", c.frames_received},
                     {"overflowed_frames", c.overflowed_frames},
                     {"stall_fill_frames", c.stall_fill_frames},
                     {"late_dropped_frames", c.late_dropped_frames},
                     {"paused_frames", c.paused_frames},
                     {"lost_frames", c.lost_frames}};
      std::vector<std::string> warnings;
      if (cut_.load(std::memory_order_relaxed)) {
        warnings.push_back("the call was ended after " + std::to_string(static_cast<long long>(settings_.max_call_s)) +
                           " s of audio (--max-call-s)");
      }
      if (const std::string split = split_text(s.metadata); !split.empty()) {
        // SplitCall::metadata(): the fleet found the other party's stream on another instance.
        warnings.push_back("the call was split across the fleet (" + split + "): only half the call was analysed here");
      }
      if (c.overflowed_frames > 0) {
        warnings.push_back(std::to_string(c.overflowed_frames) +
                           " frames were lost because analysis fell behind (ring overflow)");
      }
      writer_->commit(input, warnings);
      report_path = writer_->paths().report_html;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  std::string verdict = writer_ ? report::call_verdict(writer_->session().timeline()) : std::string();
  std::lock_guard<std::mutex> lock(mutex_);
  if (writer_) {
    // The last second of a call is not a whole second: the status (and the call's
    // log line, the recent calls) gets the duration the summary has.
    status_.duration_s = writer_->session().duration_s();
    status_.stages = writer_->session().timeline().stages;
    status_.alerts = static_cast<int>(std::count_if(writer_->session().timeline().events.begin(),
                                                    writer_->session().timeline().events.end(),
                                                    [](const alerts::Event& e) { return e.kind == alerts::EventKind::alert; }));
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
    c.paused_frames += legs_[i]->paused_frames();
    c.lost_frames += legs_[i]->lost_frames();
  }
  c.stall_fill_frames = stall_fill_frames_.load(std::memory_order_relaxed);
  c.late_dropped_frames = late_dropped_frames_.load(std::memory_order_relaxed);
  c.analysed_frames = analysed_frames_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace tw::server
