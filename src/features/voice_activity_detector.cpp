#include "features/voice_activity_detector.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <stdexcept>
#include <string>

#include "dsp/stream_spec.h"
#include "features/hop_features.h"
#include "features/spectral_weights.h"

namespace tw::features {
namespace {
// A hop this far below the noise floor (a quarter of the noise power) is a hole.
constexpr float kHoleBelowFloorDb = 6.0f;
// A frame holding this many zeros in a row (2 ms) holds a hole: a lost packet
// zero-filled, a muted stretch. A line's noise, even through G.711 (whose zero
// code needs |x| under one 14-bit step), never gives 16 zeros running.
constexpr std::size_t kHoleZeroRun = 16;
// "Zero" includes what a resampler makes of digital silence next to a signal:
// its filter's pre- and post-ringing, samples of 1e-7 (a sound device at
// 16 kHz captured as digital silence before the call's hiss began, resampled
// to 8 kHz, gave 30 of them before the hiss). Below a 20-bit step (-120 dBFS)
// no converter delivers noise.
constexpr float kNearZero = 1.0f / static_cast<float>(1 << 20);

bool is_near_zero(float v) noexcept { return std::abs(v) < kNearZero; }

void require_vad(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("VoiceActivityConfig: " + message);
}
}  // namespace

bool holds_zero_run(std::span<const float> samples) noexcept {
  // Any kHoleZeroRun samples in a row include exactly one at an index that is a
  // multiple of kHoleZeroRun, so only those are probed, and the run is measured
  // around a probe that is zero: a sixteenth of the samples on speech or noise,
  // where this ran over every sample of every hop (5 % of a live worker's time).
  const std::size_t n = samples.size();
  for (std::size_t probe = 0; probe < n; probe += kHoleZeroRun) {
    if (!is_near_zero(samples[probe])) continue;
    std::size_t first = probe;
    while (first > 0 && probe - first < kHoleZeroRun && is_near_zero(samples[first - 1])) --first;
    std::size_t end = probe + 1;
    while (end < n && end - first < kHoleZeroRun && is_near_zero(samples[end])) ++end;
    if (end - first >= kHoleZeroRun) return true;
  }
  return false;
}

VoiceActivityDetector::VoiceActivityDetector(const VoiceActivityConfig& config, const dsp::SpectrumAnalyzer& analyzer)
    : config_(config),
      floor_(std::max<std::size_t>(MinimumStatistics::kBlocks,
                                   static_cast<std::size_t>(config.floor_window_s * kHopsPerSecond))) {
  require_vad(config.band_low_hz >= 0.0f && config.band_high_hz > config.band_low_hz,
          "band_high_hz must be above band_low_hz >= 0");
  require_vad(config.floor_window_s >= 0.5f, "floor_window_s must be >= 0.5");
  require_vad(config.smoothing_s >= 0.0f, "smoothing_s must be >= 0");
  require_vad(config.onset_snr_db >= config.offset_snr_db, "onset_snr_db must be >= offset_snr_db");
  require_vad(config.offset_snr_db > 0.0f, "offset_snr_db must be > 0");
  require_vad(config.voiced_snr_db > 0.0f, "voiced_snr_db must be > 0");
  require_vad(config.pitch_search_snr_db <= config.voiced_snr_db, "pitch_search_snr_db must be <= voiced_snr_db");
  require_vad(config.voiced_min_voicing > 0.0f && config.voiced_min_voicing <= 1.0f, "voiced_min_voicing must be in (0, 1]");
  require_vad(config.hangover_s >= 0.0f, "hangover_s must be >= 0");
  require_vad(config.offset_voiced_within_s >= 0.0f, "offset_voiced_within_s must be >= 0");
  band_weights_ = sine_level_band_weights(analyzer, config.band_low_hz, config.band_high_hz);
  const float smoothing_hops = config.smoothing_s * kHopsPerSecond;
  smoothing_coefficient_ = smoothing_hops > 0.0f ? std::exp(-1.0f / smoothing_hops) : 0.0f;
  // The stream's first frames are zero-padded and read low: a floor taken from
  // them would stand below the noise for a whole window.
  first_floor_hop_ = static_cast<std::int64_t>(zero_padded_hops(analyzer.frame_samples(), dsp::kHopSize10ms8kHz));
  hangover_hops_ = static_cast<std::size_t>(std::lround(config.hangover_s * kHopsPerSecond));
  offset_voiced_hops_ = static_cast<std::size_t>(std::lround(config.offset_voiced_within_s * kHopsPerSecond));
  since_voiced_ = offset_voiced_hops_ + 1;
}

void VoiceActivityDetector::reset() noexcept {
  started_ = false;
  smoothed_db_ = 0.0f;
  floor_.reset();
  last_ = {};
  active_ = false;
  hangover_left_ = 0;
  since_voiced_ = offset_voiced_hops_ + 1;
}

VoiceActivityMeasure VoiceActivityDetector::measure(const dsp::AnalysisFrame& frame) noexcept {
  const float band_db = power_to_db(band_weights_.sum(frame.power));
  if (frame.hop_index < first_floor_hop_) {
    last_ = {band_db, band_db, 0.0f, band_db < kDigitalSilenceDb};  // no floor yet: nothing counts as speech
    return last_;
  }
  if (band_db < kDigitalSilenceDb) {
    // Digital silence says nothing about the line's noise: a floor learned from
    // it would stand 60 dB or more below the noise, and the noise would read as
    // speech for a whole floor window once the line came back (rnnoise keeps its
    // adaptive state still on silence for the same reason).
    const float floor_db = started_ ? last_.noise_floor_db : band_db;
    last_ = {band_db, floor_db, band_db - floor_db, true};
    return last_;
  }
  if (holds_zero_run(frame.samples)) {
    // A frame straddling a hole reads several dB under the line's noise without
    // being digital silence; a floor taught by a few of them (a burst of lost
    // packets) would stand under the noise for a whole floor window and call the
    // noise speech. Measured against the floor as it was; neither the smoothed
    // level nor the floor learns from it.
    const float floor_db = started_ ? last_.noise_floor_db : band_db;
    last_ = {band_db, floor_db, started_ ? band_db - floor_db : 0.0f, false};
    return last_;
  }
  if (!started_) {
    smoothed_db_ = band_db;
    started_ = true;
  }
  smoothed_db_ = smoothing_coefficient_ * smoothed_db_ + (1.0f - smoothing_coefficient_) * band_db;
  const float floor_db = floor_.update(smoothed_db_);
  last_ = {band_db, floor_db, band_db - floor_db, false};
  return last_;
}

bool VoiceActivityDetector::decide(float voicing) noexcept {
  const float snr = last_.snr_db;
  bool speech = false;
  const bool voiced = voicing >= config_.voiced_min_voicing;
  since_voiced_ = voiced ? 0 : std::min(since_voiced_ + 1, offset_voiced_hops_ + 1);
  if (last_.band_db >= config_.min_level_dbfs) {
    // Below the onset margin a hop continues speech only near a voiced one (see
    // offset_voiced_within_s).
    const bool continues = active_ && since_voiced_ <= offset_voiced_hops_ && snr >= config_.offset_snr_db;
    speech = snr >= config_.onset_snr_db || continues || (voiced && snr >= config_.voiced_snr_db);
  }
  // A hole in the signal (digital silence, a zero-filled packet, a muted line:
  // below the absolute floor or well below the line's noise) is no voice whatever
  // came before it: the hangover bridges dips between words, not holes. Such hops
  // would read down to -120 dB and stretch the speaker's loudness range by the
  // depth of the hole. The line's own noise never dips that far: over a 40 ms frame
  // the voice-band power of noise varies by about a decibel.
  const bool below_floor =
      last_.digital_silence || last_.band_db < config_.min_level_dbfs || snr < -kHoleBelowFloorDb;
  if (speech) {
    active_ = true;
    hangover_left_ = hangover_hops_;
  } else if (below_floor) {
    active_ = false;
    hangover_left_ = 0;
  } else if (hangover_left_ > 0) {
    --hangover_left_;
  } else {
    active_ = false;
  }
  return active_;
}

}  // namespace tw::features
