#include "pipeline/live_pump.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tw::pipeline {
namespace {

std::vector<LiveTrack> tracks_of(const std::vector<io::LiveInput*>& inputs,
                                 const std::vector<std::vector<features::SpeakerRole>>& roles) {
  if (inputs.size() != roles.size()) throw std::invalid_argument("LivePump: one list of roles per input");
  std::vector<LiveTrack> tracks;
  const io::LiveInput* first = nullptr;
  for (const io::LiveInput* in : inputs) first = first != nullptr ? first : in;
  if (first == nullptr) throw std::invalid_argument("LivePump: no input is there");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == nullptr) {  // a party to come: at the others' rate until it does
      tracks.push_back({first->sample_rate_hz(), roles[i]});
      continue;
    }
    if (inputs[i]->channels() != roles[i].size()) {
      throw std::invalid_argument("LivePump: input " + std::to_string(i) + " has " + std::to_string(inputs[i]->channels()) +
                                  " channels but " + std::to_string(roles[i].size()) + " roles");
    }
    tracks.push_back({inputs[i]->sample_rate_hz(), roles[i]});
  }
  return tracks;
}

// Repeating a frame needs room for it after the frames read.
constexpr std::size_t kSlackFrames = 4;

}  // namespace

LivePump::LivePump(std::vector<io::LiveInput*> inputs, const std::vector<std::vector<features::SpeakerRole>>& roles,
                   const PumpOptions& options)
    : inputs_(std::move(inputs)), options_(options), joiner_(tracks_of(inputs_, roles), options.max_skew_s) {
  std::size_t widest = 1;
  int fastest_hz = 1;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const io::LiveInput* in = inputs_[i];
    widest = std::max(widest, roles[i].size());
    fastest_hz = std::max(fastest_hz, in != nullptr ? in->sample_rate_hz() : 8000);
    clocks_.emplace_back(in != nullptr ? in->sample_rate_hz() : 8000);
    if (in == nullptr) joiner_.set_absent(i);
  }
  fastest_hz_ = fastest_hz;
  // A turn is kReadFrames of the fastest input and the same time of the others: read
  // frame for frame, a 44.1 kHz input would fall behind an 8 kHz one five-fold and be
  // filled with silence although its audio was waiting.
  for (const io::LiveInput* in : inputs_) {
    const int rate = in != nullptr ? in->sample_rate_hz() : fastest_hz;
    turn_frames_.push_back(std::max<std::size_t>(1, static_cast<std::size_t>(kReadFrames * static_cast<double>(rate) / fastest_hz)));
  }
  scratch_samples_ = (kReadFrames + kSlackFrames) * widest;
  Scratch::reserve(scratch_samples_);
  Pcm16Scratch::reserve(scratch_samples_);
  done_.assign(inputs_.size(), false);
  counters_.resize(inputs_.size());
}

std::int64_t LivePump::attach(std::size_t i, io::LiveInput* input) {
  if (i >= inputs_.size() || inputs_[i] != nullptr || input == nullptr) return joiner_.frames_out();
  inputs_[i] = input;
  clocks_[i] = ClockDriftEstimator(input->sample_rate_hz());
  // A faster input than any before reads at most kReadFrames a turn (the scratch's size).
  turn_frames_[i] = std::min<std::size_t>(
      kReadFrames, std::max<std::size_t>(1, static_cast<std::size_t>(kReadFrames * static_cast<double>(input->sample_rate_hz()) / fastest_hz_)));
  return joiner_.join(i, input->sample_rate_hz());
}

PumpInputCounters LivePump::counters(std::size_t i) const {
  PumpInputCounters c = counters_[i];
  c.join = joiner_.counters(i);
  c.clock = clocks_[i].estimate();
  return c;
}

std::size_t LivePump::slip(std::size_t i, std::size_t n, std::span<float> scratch) noexcept {
  if (i != 1 || !correcting_) return n;
  const std::size_t channels = inputs_[i]->channels();
  PumpInputCounters& c = counters_[i];
  // Following the reference clock from the call's start: by now input 1 should have
  // lost (drift > 0: it runs fast) or gained (drift < 0) frames_read * drift frames.
  // Measuring takes drift_settle_s, so the first slips also catch up on the offset
  // that built up meanwhile; later refinements of the estimate adjust the total.
  const double target = static_cast<double>(c.frames_read) * correction_ppm_ * 1e-6;
  double debt = target - (static_cast<double>(c.drift_dropped_frames) - static_cast<double>(c.drift_repeated_frames));
  while (debt >= 1.0 && n > 1) {
    --n;  // the block's last frame goes: one sample's jump in the waveform
    debt -= 1.0;
    ++c.drift_dropped_frames;
  }
  while (debt <= -1.0 && n < kReadFrames + kSlackFrames) {
    for (std::size_t ch = 0; ch < channels; ++ch) scratch[n * channels + ch] = scratch[(n - 1) * channels + ch];
    ++n;  // the block's last frame twice
    debt += 1.0;
    ++c.drift_repeated_frames;
  }
  return n;
}

void LivePump::measure_clocks() noexcept {
  bool all = true;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    io::ClockStamp stamp;
    if (inputs_[i] != nullptr && inputs_[i]->clock_stamp(stamp)) {
      clocks_[i].add(stamp.steady_ns, stamp.frames);
    } else {
      all = false;
    }
  }
  if (inputs_.size() != 2 || !all) return;
  const DriftEstimate a = clocks_[0].estimate(), b = clocks_[1].estimate();
  if (a.points < 3 || b.points < 3) return;
  // (1 + b) / (1 + a) - 1 ≈ b - a for drifts of parts per million.
  relative_ppm_ = ((1.0 + b.drift_ppm * 1e-6) / (1.0 + a.drift_ppm * 1e-6) - 1.0) * 1e6;
  relative_stderr_ppm_ = std::hypot(a.stderr_ppm, b.stderr_ppm);
  if (!options_.correct_drift) return;
  if (std::abs(relative_ppm_) > PumpOptions::kMaxCorrectionPpm) {
    correcting_ = false;  // slips made so far stay; no more
    return;
  }
  if (correcting_) {
    correction_ppm_ = relative_ppm_;  // refined as the estimate improves (see drift_min_ppm)
    return;
  }
  const bool settled = std::min(a.elapsed_s, b.elapsed_s) >= options_.drift_settle_s;
  const bool significant = std::abs(relative_ppm_) > std::max(options_.drift_min_ppm, 3.0 * relative_stderr_ppm_);
  if (settled && significant) {
    correcting_ = true;
    correction_ppm_ = relative_ppm_;
  }
}

}  // namespace tw::pipeline
