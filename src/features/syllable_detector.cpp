#include "features/syllable_detector.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dsp/stream_spec.h"
#include "features/hop_features.h"
#include "features/spectral_weights.h"

namespace tw::features {
namespace {

// Voicing below this still keeps 1/20 of the band power (-13 dB), so unvoiced
// stretches make deep but finite dips and silence stays at the level floor.
constexpr float kMinVoicingWeight = 0.05f;

// The loud-nucleus reference forgets at 3 dB/s, so a speaker who drops their
// voice for good is measured against their new level within seconds.
constexpr float kPeakReleaseDbPerSecond = 3.0f;

// Band noise floor by minimum statistics (Martin 2001) over 3 s, as the VAD does
// for its band: speech pauses show the floor at least every few seconds.
constexpr float kFloorWindowS = 3.0f;

// Dropouts (see the class comment): a run of exact zeros this long is a gap in
// the audio, not a quiet signal. 5 ms of zeros in a row never comes out of a
// converter's or a codec's noise, even on a quiet line: G.711's smallest codes
// are +-8 and +-16 of 32768, and any noise above -80 dBFS toggles them. Runs up
// to 60 ms (three 20 ms packets, the bursts a jitter buffer reports as lost)
// are bridged.
constexpr std::size_t kDropoutMinSamples = dsp::kAnalysisRateHz * 5 / 1000;
constexpr std::size_t kDropoutMaxSamples = dsp::kAnalysisRateHz * 60 / 1000;

void require_syllable(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("SyllableConfig: " + message);
}
}  // namespace

SyllableDetector::SyllableDetector(const SyllableConfig& config, const dsp::SpectrumAnalyzer& analyzer)
    : config_(config), floor_(static_cast<std::size_t>(kFloorWindowS * kHopsPerSecond)) {
  require_syllable(config.band_low_hz >= 0.0f && config.band_high_hz > config.band_low_hz,
          "band_high_hz must be above band_low_hz >= 0");
  require_syllable(config.min_dip_db > 0.0f, "min_dip_db must be > 0");
  require_syllable(config.max_below_peak_db > 0.0f, "max_below_peak_db must be > 0");
  require_syllable(config.min_voicing >= 0.0f && config.min_voicing <= 1.0f, "min_voicing must be in [0, 1]");
  require_syllable(config.min_separation_s >= 0.0f, "min_separation_s must be >= 0");
  band_weights_ = sine_level_band_weights(analyzer, config.band_low_hz, config.band_high_hz);
  min_separation_hops_ = static_cast<std::int32_t>(std::lround(config.min_separation_s * kHopsPerSecond));
  peak_release_db_per_hop_ = kPeakReleaseDbPerSecond / kHopsPerSecond;
  // The stream's first frames are zero-padded on the left and read low; a floor
  // taken from them would stand below the noise for a whole floor window, and
  // noise peaks would pass the SNR test. The floor starts with the first
  // smoothed level made of whole frames.
  const std::size_t padded_hops = zero_padded_hops(analyzer.frame_samples(), dsp::kHopSize10ms8kHz);
  first_floor_hop_ = static_cast<std::int64_t>(padded_hops + kSmoothingHops - 1);
}

void SyllableDetector::reset() noexcept {
  hop_ = 0;
  power_.fill(0.0f);
  voicing_.fill(0.0f);
  floor_.reset();
  floor_db_ = 0.0f;
  has_floor_ = false;
  valley_db_ = 0.0f;
  has_candidate_ = false;
  candidate_db_ = 0.0f;
  candidate_hop_ = 0;
  candidate_voicing_ = 0.0f;
  candidate_snr_db_ = 0.0f;
  recent_peak_db_ = -200.0f;
  last_nucleus_hop_ = -1000000;
  zero_run_ = 0;
  dropout_hops_ = 0;
  started_ = false;
}

bool SyllableDetector::in_dropout(std::span<const float> frame_samples) noexcept {
  // Each hop brings the frame's newest quarter of samples; they tile the stream.
  const std::size_t fresh_count = std::min<std::size_t>(dsp::kHopSize10ms8kHz, frame_samples.size());
  const std::span<const float> fresh = frame_samples.last(fresh_count);
  // Speech holds no exact zeros. A run of kDropoutMinSamples zeros that touches
  // this hop holds one of every kDropoutMinSamples-th sample, its last one, or
  // (carried over from the last hop) its first: look there before scanning.
  bool maybe = fresh.back() == 0.0f || (zero_run_ > 0 && fresh.front() == 0.0f);
  for (std::size_t i = kDropoutMinSamples - 1; i < fresh.size(); i += kDropoutMinSamples) maybe |= fresh[i] == 0.0f;
  bool dropout = false;
  if (!maybe) {
    zero_run_ = 0;  // no run ends this hop, none of kDropoutMinSamples lies in it
  } else {
    for (const float x : fresh) {
      zero_run_ = x == 0.0f ? zero_run_ + 1 : 0;
      dropout = dropout || (zero_run_ >= kDropoutMinSamples && zero_run_ <= kDropoutMaxSamples);
    }
  }
  // A quarter of a frame that a dropout emptied is its newest now, its middle two
  // one and two hops later, its oldest three hops later. The Hann window gives the
  // outer quarters 9 % of the frame's energy each (a 0.4 dB loss) and the middle
  // ones 41 % (2.3 dB, a dip): the frames with a dropout in their middle are out.
  dropout_hops_ = static_cast<std::uint8_t>((dropout_hops_ << 1) | (dropout ? 1u : 0u));
  return (dropout_hops_ & 0b110u) != 0;
}

void SyllableDetector::start_candidate(float contour_db, float snr_db, std::int64_t hop) noexcept {
  has_candidate_ = true;
  candidate_db_ = contour_db;
  candidate_hop_ = hop;
  candidate_voicing_ = voicing_[1];  // the smoothed values belong to the previous hop
  candidate_snr_db_ = snr_db;
}

SyllableEvent SyllableDetector::process(const dsp::AnalysisFrame& frame, float voicing) noexcept {
  const std::int64_t hop = hop_++;
  // A dropout's frames teach the contour, its floor and its peak nothing.
  if (in_dropout(frame.samples)) return {};
  // NaN voicing counts as unvoiced; the band power is finite and >= 0 by construction.
  const float v = voicing >= 0.0f ? std::min(voicing, 1.0f) : 0.0f;
  const float band_power = band_weights_.sum(frame.power);
  const bool first = !started_;
  started_ = true;
  if (first) {
    power_.fill(band_power);
    voicing_.fill(v);
  } else {
    for (std::size_t i = kSmoothingHops - 1; i > 0; --i) {
      power_[i] = power_[i - 1];
      voicing_[i] = voicing_[i - 1];
    }
    power_[0] = band_power;
    voicing_[0] = v;
  }
  // 1-2-1 smoothing over three hops (a 30 ms triangle on top of the 40 ms
  // frame) removes the ripple of single frames without filling the short dips
  // between fast syllables. Both smoothed values belong to hop - 1.
  const std::int64_t centre = hop - 1;
  const float band_db = power_to_db(0.25f * power_[0] + 0.5f * power_[1] + 0.25f * power_[2]);
  // Sonority contour: periodic power in the first-formant band. Weighting by
  // voicing deepens the dips at unvoiced and breathy consonants, where band
  // energy alone often stays level between two vowels.
  const float contour_db = power_to_db(0.25f * power_[0] * std::max(voicing_[0], kMinVoicingWeight) +
                                       0.5f * power_[1] * std::max(voicing_[1], kMinVoicingWeight) +
                                       0.25f * power_[2] * std::max(voicing_[2], kMinVoicingWeight));
  float snr_db = 0.0f;
  if (hop >= first_floor_hop_) {
    // Digital silence teaches the floor nothing (see VoiceActivityDetector::measure).
    if (band_db >= kDigitalSilenceDb) {
      floor_db_ = floor_.update(band_db);
      has_floor_ = true;
    }
    snr_db = has_floor_ ? band_db - floor_db_ : 0.0f;
  }
  recent_peak_db_ -= peak_release_db_per_hop_;
  if (first) valley_db_ = contour_db;

  SyllableEvent event;
  if (!has_candidate_) {
    valley_db_ = std::min(valley_db_, contour_db);
    if (contour_db >= valley_db_ + config_.min_dip_db) start_candidate(contour_db, snr_db, centre);
    return event;
  }
  if (contour_db > candidate_db_) {
    start_candidate(contour_db, snr_db, centre);  // still rising: the candidate moves up
    return event;
  }
  if (contour_db > candidate_db_ - config_.min_dip_db) return event;

  // The contour has fallen min_dip_db below the candidate, and had risen as
  // much into it: a peak with dips on both sides. Keep it if it is a nucleus.
  const bool loud_enough = candidate_snr_db_ >= config_.min_snr_db &&
                           candidate_db_ >= recent_peak_db_ - config_.max_below_peak_db;
  const bool separated = candidate_hop_ - last_nucleus_hop_ >= min_separation_hops_;
  if (loud_enough && separated && candidate_voicing_ >= config_.min_voicing) {
    event.detected = true;
    event.lag_hops = static_cast<std::int32_t>(hop - candidate_hop_);
    last_nucleus_hop_ = candidate_hop_;
    recent_peak_db_ = std::max(recent_peak_db_, candidate_db_);
  }
  has_candidate_ = false;
  valley_db_ = contour_db;
  return event;
}

}  // namespace tw::features
