#include "features/pitch_tracker.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <mutex>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

namespace tw::features {
namespace {

void require_pitch(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("PitchConfig: " + message);
}

// Circular autocorrelation of the analysis window at integer lags, normalized to
// 1 at lag 0. The signal's autocorrelation is divided by it so that the taper of
// the window does not make long periods look less periodic (Boersma 1993, eq. 9).
std::vector<double> compute_window_autocorrelation(std::span<const float> window) {
  const std::size_t n = window.size();
  std::vector<double> ac(n, 0.0);
  for (std::size_t lag = 0; lag < n; ++lag) {
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(window[i]) * window[(i + lag) % n];
    ac[lag] = sum;
  }
  const double zero = ac[0];
  for (double& v : ac) v /= zero;
  return ac;
}

// The same, made once per window in the process: n^2 multiplies (a tenth of a
// millisecond at 320 points) were paid by every tracker, twice per live call.
dsp::SharedTable<double> window_autocorrelation(std::span<const float> window) {
  static std::mutex mutex;
  static std::vector<std::pair<std::vector<float>, dsp::SharedTable<double>>> made;
  const std::lock_guard<std::mutex> lock(mutex);
  for (const auto& [w, table] : made) {
    if (std::equal(w.begin(), w.end(), window.begin(), window.end())) return table;
  }
  made.emplace_back(std::vector<float>(window.begin(), window.end()),
                    dsp::SharedTable<double>(compute_window_autocorrelation(window)));
  return made.back().second;
}

}  // namespace

PitchTracker::PitchTracker(const PitchConfig& config, const dsp::SpectrumAnalyzer& analyzer)
    : config_(config), inverse_fft_([&] {
        require_pitch(config.min_f0_hz > 0.0f, "min_f0_hz must be > 0");
        require_pitch(config.max_f0_hz > config.min_f0_hz, "max_f0_hz must be above min_f0_hz");
        require_pitch(config.yin_threshold > 0.0f && config.yin_threshold < 1.0f, "yin_threshold must be in (0, 1)");
        require_pitch(config.voicing_threshold >= config.yin_threshold && config.voicing_threshold < 1.0f,
                "voicing_threshold must be in [yin_threshold, 1)");
        require_pitch(config.submultiple_tolerance >= 0.0f, "submultiple_tolerance must be >= 0");
        require_pitch(std::isfinite(config.sieve_contrast_db), "sieve_contrast_db must be finite");
        require_pitch(std::isfinite(config.sieve_level_db), "sieve_level_db must be finite");
        require_pitch(config.octave_jump_cost >= 0.0f, "octave_jump_cost must be >= 0");
        require_pitch(config.overrule_cost >= 0.0f, "overrule_cost must be >= 0");
        require_pitch(config.decision_latency_hops >= 0 && config.decision_latency_hops <= 16,
                "decision_latency_hops must be in [0, 16]");
        require_pitch(config.continue_voicing_threshold >= config.voicing_threshold && config.continue_voicing_threshold < 1.0f,
                "continue_voicing_threshold must be in [voicing_threshold, 1)");
        const double nyquist_hz = analyzer.sample_rate_hz() / 2.0;
        require_pitch(config.analysis_band_hz > 2.0f * config.max_f0_hz && config.analysis_band_hz <= nyquist_hz,
                "analysis_band_hz must lie between 2 * max_f0_hz and the Nyquist frequency");
        const auto bins = static_cast<std::size_t>(config.analysis_band_hz / analyzer.bin_hz());
        return 2 * bins;
      }(), dsp::RealFft4::Directions::inverse_only),
      // The sieve reads partials up to the analysis band, and midpoints half a
      // fundamental above them: kept below Nyquist for a band near it.
      sieve_(analyzer,
             std::min(static_cast<double>(config.analysis_band_hz),
                      analyzer.sample_rate_hz() / 2.0 - 0.5 * config.max_f0_hz - 3.0 * analyzer.bin_hz()),
             config.max_f0_hz),
      path_(config.octave_jump_cost, static_cast<std::size_t>(std::clamp(config.decision_latency_hops, 0, 16))) {
  const double bin_hz = analyzer.bin_hz();
  band_bins_ = inverse_fft_.size() / 2;
  lag_rate_hz_ = static_cast<float>(inverse_fft_.size() * bin_hz);
  min_lag_ = static_cast<std::size_t>(std::floor(lag_rate_hz_ / config.max_f0_hz));
  max_lag_ = static_cast<std::size_t>(std::ceil(lag_rate_hz_ / config.min_f0_hz));
  // Beyond half the (decimated) frame the circular autocorrelation wraps onto itself.
  require_pitch(max_lag_ + 1 < inverse_fft_.size() / 2,
          "min_f0_hz " + std::to_string(config.min_f0_hz) + " needs a longer analysis frame than " +
              std::to_string(analyzer.frame_samples()) + " samples");

  // Spectral weight: drop DC and mains hum below 50 Hz, taper the top quarter of
  // the band with a raised cosine so the decimated autocorrelation does not ring.
  std::vector<float> band_weight(band_bins_ + 1, 0.0f);
  const double taper_start_hz = 0.75 * config.analysis_band_hz;
  for (std::size_t k = 0; k <= band_bins_; ++k) {
    const double f = k * bin_hz;
    double w = 1.0;
    if (f < 50.0) w = 0.0;
    if (f > taper_start_hz) {
      const double x = (f - taper_start_hz) / (config.analysis_band_hz - taper_start_hz);
      w = 0.5 + 0.5 * std::cos(std::numbers::pi * std::min(1.0, x));
    }
    band_weight[k] = static_cast<float>(w);
  }
  band_weight_ = dsp::SharedTable<float>(std::move(band_weight));
  BandSpectrum::reserve(2 * (band_bins_ + 1));
  Autocorr::reserve(inverse_fft_.size());
  Lags::reserve(inverse_fft_.size());
  Weighted::reserve(band_bins_ + 1);
  NormalizedAutocorr::reserve(max_lag_ + 2);
  Cmnd::reserve(max_lag_ + 2);
  records_.assign(path_.latency_hops() + 1, HopRecord{});
  record_power_.assign(records_.size() * (band_bins_ + 1), 0.0f);
  std::vector<float> log2_lag(max_lag_ + 2, 0.0f);
  for (std::size_t t = 1; t < log2_lag.size(); ++t) log2_lag[t] = static_cast<float>(std::log2(static_cast<double>(t)));
  log2_lag_ = dsp::SharedTable<float>(std::move(log2_lag));

  // Window autocorrelation at the decimated lags (lag t here is t * decimation
  // samples of the frame), linearly interpolated when the ratio is not integral.
  window_autocorr_ = window_autocorrelation(analyzer.window());
  decimation_ = static_cast<double>(analyzer.frame_samples()) / static_cast<double>(inverse_fft_.size());
  std::vector<float> inverse_window_autocorr(max_lag_ + 2, 0.0f);
  for (std::size_t t = 0; t < inverse_window_autocorr.size(); ++t) {
    inverse_window_autocorr[t] = static_cast<float>(1.0 / window_autocorr_at(static_cast<double>(t)));
  }
  inverse_window_autocorr_ = dsp::SharedTable<float>(std::move(inverse_window_autocorr));
}

double PitchTracker::window_autocorr_at(double lag) const noexcept {
  const double position = lag * decimation_;
  const auto i = static_cast<std::size_t>(position);
  const double frac = position - static_cast<double>(i);
  const std::size_t n = window_autocorr_.size();
  return std::max(1e-3, window_autocorr_[i % n] * (1.0 - frac) + window_autocorr_[(i + 1) % n] * frac);
}

void PitchTracker::normalized_autocorr_at(const double (&lags)[3], std::span<const float> power, float energy,
                                          double (&rho)[3]) const noexcept {
  // The band-limited autocorrelation between lags, straight from its spectrum:
  // r(t) = B_0 + 2 sum_{k<K} B_k cos(2 pi k t / M) + B_K cos(pi t), with the
  // cosines by the Chebyshev recurrence cos((k+1)x) = 2 cos(x) cos(kx) - cos((k-1)x).
  // Three lags share one pass, so their recurrences run side by side.
  double two_cos[3], previous[3], current[3], sum[3];
  for (int i = 0; i < 3; ++i) {
    const double x = 2.0 * std::numbers::pi * lags[i] / static_cast<double>(inverse_fft_.size());
    two_cos[i] = 2.0 * std::cos(x);
    previous[i] = 1.0;
    current[i] = 0.5 * two_cos[i];
    sum[i] = power[0];
  }
  for (std::size_t k = 1; k < band_bins_; ++k) {
    const double b = 2.0 * power[k];
    for (int i = 0; i < 3; ++i) {
      sum[i] += b * current[i];
      const double next = two_cos[i] * current[i] - previous[i];
      previous[i] = current[i];
      current[i] = next;
    }
  }
  for (int i = 0; i < 3; ++i) {
    sum[i] += power[band_bins_] * current[i];
    rho[i] = sum[i] / (static_cast<double>(energy) * window_autocorr_at(lags[i]));
  }
}

std::span<float> PitchTracker::record_power(std::size_t slot) noexcept {
  return std::span<float>(record_power_).subspan(slot * (band_bins_ + 1), band_bins_ + 1);
}

std::span<const float> PitchTracker::record_power(std::size_t slot) const noexcept {
  return std::span<const float>(record_power_).subspan(slot * (band_bins_ + 1), band_bins_ + 1);
}

void PitchTracker::reset() noexcept {
  recent_f0_hz_ = 0.0f;
  sieve_frame_ = nullptr;
  path_.reset();
  for (HopRecord& record : records_) record = HopRecord{};
  newest_ = 0;
  undecided_ = 0;
}

PitchOutput PitchTracker::skip() noexcept {
  newest_ = (newest_ + 1) % records_.size();
  records_[newest_] = HopRecord{};
  path_.commit(false);
  return finish_hop(false, 0.0f);
}

void PitchTracker::autocorrelate(std::span<const float* const> powers, std::span<float* const> autocorrs) const noexcept {
  // The weighted band power is the spectrum of the band's autocorrelation
  // (Wiener-Khinchin): its inverse transform, at the decimated rate 2 * band_bins_.
  assert(powers.size() == autocorrs.size() && powers.size() <= dsp::RealFft4::kLanes);
  const std::span<dsp::Lanes4> spectrum = BandSpectrum::get(2 * (band_bins_ + 1));
  const std::span<dsp::Lanes4> weighted = Weighted::get(band_bins_ + 1);
  const std::span<dsp::Lanes4> lags = Lags::get(inverse_fft_.size());
  dsp::interleave_scaled(powers, band_weight_.data(), weighted);
  for (std::size_t k = 0; k <= band_bins_; ++k) {
    spectrum[2 * k] = weighted[k];
    spectrum[2 * k + 1] = dsp::Lanes4{};
  }
  inverse_fft_.inverse(spectrum, lags);
  dsp::deinterleave(lags, autocorrs);
}

PitchOutput PitchTracker::process(const dsp::AnalysisFrame& frame) noexcept {
  const std::span<float> autocorr = Autocorr::get(inverse_fft_.size());
  const float* const powers[1] = {frame.power.data()};
  float* const autocorrs[1] = {autocorr.data()};
  autocorrelate(powers, autocorrs);
  return process(frame, autocorr);
}

PitchOutput PitchTracker::process(const dsp::AnalysisFrame& frame, std::span<const float> autocorr) noexcept {
  // The hop's record: its band power is kept for the refinement of whichever
  // candidate the path settles on.
  const std::size_t slot = (newest_ + 1) % records_.size();
  const std::span<float> power = record_power(slot);
  autocorr_ = autocorr;
  normalized_autocorr_ = NormalizedAutocorr::get(max_lag_ + 2);
  cmnd_ = Cmnd::get(max_lag_ + 2);
  for (std::size_t k = 0; k <= band_bins_; ++k) power[k] = frame.power[k] * band_weight_[k];
  const float energy = autocorr_[0];
  if (!(energy > 1e-12f) || !std::isfinite(energy)) return skip();
  newest_ = slot;
  HopRecord& record = records_[slot];
  record.energy = energy;

  // rho(tau): window-compensated normalized autocorrelation. YIN's difference
  // function of a stationary frame is d(tau) = 2 r(0) (1 - rho(tau)); the constant
  // factor cancels in the cumulative-mean normalization (YIN step 3).
  const float inv_energy = 1.0f / energy;
  float running_sum = 0.0f;
  cmnd_[0] = 1.0f;
  normalized_autocorr_[0] = 1.0f;
  // The deepest dip of the search range (its first lowest lag) comes with it:
  // the loop is bound by the running sum, the comparison rides along.
  std::size_t deepest = min_lag_;
  float deepest_value = 2.0f;
  for (std::size_t t = 1; t < cmnd_.size(); ++t) {
    const float rho = autocorr_[t] * inv_energy * inverse_window_autocorr_[t];
    normalized_autocorr_[t] = rho;
    const float d = std::max(0.0f, 1.0f - rho);
    running_sum += d;
    const float value = running_sum > 0.0f ? d * static_cast<float>(t) / running_sum : 1.0f;
    cmnd_[t] = value;
    if (t >= min_lag_ && t <= max_lag_ && value < deepest_value) {
      deepest_value = value;
      deepest = t;
    }
  }

  // A hop without a dip below continue_voicing_threshold cannot be voiced
  // however its period is chosen (every candidate needs such a dip, and the
  // voicing thresholds lie below it): there is no period to decide between, so
  // YIN's pick (the deepest dip) stands and gives the hop's voicing. On a
  // telephone line that is every hop of line noise between the words, about
  // half of a call; the sieve and the path are for the rest.
  if (!(deepest_value < config_.continue_voicing_threshold)) {
    // YIN step 4 finds no dip under its threshold here and takes the global minimum.
    const std::size_t lag = deepest;
    const bool no_period = lag >= max_lag_ && cmnd_[max_lag_ + 1] < cmnd_[max_lag_];
    path_.commit(false);
    return finish_hop(false, no_period ? 0.0f : 1.0f - std::clamp(cmnd_[lag], 0.0f, 1.0f));
  }

  // YIN picks a dip; the harmonic sieve then decides whether the period is
  // that lag, a half or a third of it, or its double or triple. That is the
  // hop's own choice; the path through the candidates of the hops around it
  // settles what the frame alone leaves open.
  sieve_frame_ = &frame;
  std::size_t frame_choice = pick_lag();
  frame_choice = prefer_submultiple(frame_choice);
  frame_choice = prefer_multiple(frame_choice);
  const std::size_t count = collect_candidates(frame_choice, record);
  const std::size_t lag_index =
      candidate_lags_[path_.evaluate(std::span<const PitchCandidate>(candidates_.data(), count))];

  // Voicing is decided at once, on the best path's end so far.
  const float aperiodicity = std::clamp(cmnd_[lag_index], 0.0f, 1.0f);
  // A dip still falling at the end of the search range is not a period inside
  // it: low-frequency noise (rumble, brown noise) has a difference function that
  // keeps falling towards long lags, and would otherwise read as a ~60 Hz voice.
  const bool falls_past_range = lag_index >= max_lag_ && cmnd_[max_lag_ + 1] < cmnd_[max_lag_];
  // Voicing hysteresis: voice continues through the weaker periodicity at the
  // ends of a voiced stretch (and on a band-limited line, where the lost low
  // harmonics leave less periodic energy), as long as the pitch continues.
  // Voicing decisions with a transition cost do the same (Talkin's RAPT, 1995;
  // Boersma 1993's path finder); this is their causal form.
  const bool continues = recent_f0_hz_ > 0.0f && aperiodicity < config_.continue_voicing_threshold &&
                         std::abs(lag_to_hz(static_cast<float>(lag_index)) / recent_f0_hz_ - 1.0f) < 0.2f;
  const bool voiced = !falls_past_range && (aperiodicity < config_.voicing_threshold || continues);
  path_.commit(voiced);
  recent_f0_hz_ = voiced ? lag_to_hz(static_cast<float>(lag_index)) : 0.0f;
  // An unvoiced hop's voicing is still reported (the VAD weighs it), unless
  // the dip was no period at all.
  return finish_hop(voiced, falls_past_range ? 0.0f : 1.0f - aperiodicity);
}

PitchOutput PitchTracker::finish_hop(bool voiced, float voicing) noexcept {
  HopRecord& record = records_[newest_];
  record.voiced = voiced;
  record.voicing = voicing;
  if (!voiced) recent_f0_hz_ = 0.0f;
  PitchOutput output;
  output.voicing = voicing;
  if (++undecided_ > path_.latency_hops()) {
    output.has_estimate = true;
    output.estimate = estimate_at(path_.latency_hops());
    --undecided_;
  }
  return output;
}

bool PitchTracker::flush(PitchEstimate& estimate) noexcept {
  if (undecided_ == 0) return false;
  estimate = estimate_at(--undecided_);
  return true;
}

PitchEstimate PitchTracker::estimate_at(std::size_t age) const noexcept {
  const std::size_t slot = slot_at(age);
  const HopRecord& record = records_[slot];
  PitchEstimate estimate;
  estimate.voicing = record.voicing;
  const int choice = path_.decision(age);
  if (!record.voiced || choice < 0) return estimate;
  const auto j = static_cast<std::size_t>(choice);
  estimate.voiced = true;
  estimate.f0_hz = lag_to_hz(refine_lag(record.lag[j], record_power(slot), record.energy));
  const float rho = std::clamp(record.rho[j], 1e-4f, 0.9999f);
  estimate.hnr_db = 10.0f * std::log10(rho / (1.0f - rho));
  return estimate;
}

std::size_t PitchTracker::pick_lag() const noexcept {
  // YIN step 4: the first dip under the absolute threshold, followed to its
  // bottom; failing that, the global minimum of the search range.
  for (std::size_t t = min_lag_; t <= max_lag_; ++t) {
    if (cmnd_[t] < config_.yin_threshold) {
      while (t + 1 <= max_lag_ && cmnd_[t + 1] < cmnd_[t]) ++t;
      return t;
    }
  }
  std::size_t best = min_lag_;
  for (std::size_t t = min_lag_ + 1; t <= max_lag_; ++t) {
    if (cmnd_[t] < cmnd_[best]) best = t;
  }
  return best;
}

std::size_t PitchTracker::local_minimum_near(double lag) const noexcept {
  // The dip nearest a predicted lag, within one lag either side.
  const auto centre = static_cast<std::size_t>(std::lround(lag));
  std::size_t best = centre;
  for (std::size_t t = centre - 1; t <= centre + 1; ++t) {
    if (t >= min_lag_ && t <= max_lag_ && (best < min_lag_ || best > max_lag_ || cmnd_[t] < cmnd_[best])) best = t;
  }
  return best;
}

double PitchTracker::coarse_lag(std::size_t lag) const noexcept {
  // YIN step 5's parabola through the integer-lag dip: good to a few percent,
  // enough to place the sieve's partials.
  double centre = static_cast<double>(lag);
  if (lag > min_lag_ && lag < max_lag_) {
    const double a = cmnd_[lag - 1], b = cmnd_[lag], c = cmnd_[lag + 1];
    const double curvature = a - 2.0 * b + c;
    if (curvature > 1e-9) centre += std::clamp(0.5 * (a - c) / curvature, -0.5, 0.5);
  }
  return centre;
}

std::size_t PitchTracker::deepest_dip_near(double lag) const noexcept {
  // The deepest dip within 10 % of a predicted long lag: when YIN locked onto
  // the strongest harmonic rather than onto a true submultiple of the period,
  // m times its lag misses the period by a few percent.
  const auto lo = static_cast<std::size_t>(std::ceil(std::max(lag * 0.9, static_cast<double>(min_lag_))));
  const auto hi = std::min(max_lag_, static_cast<std::size_t>(lag * 1.1));
  std::size_t best = 0;
  for (std::size_t t = lo; t <= hi; ++t) {
    if (best == 0 || cmnd_[t] < cmnd_[best]) best = t;
  }
  return best;
}

SieveEvidence PitchTracker::sieve_for(std::size_t long_lag, int m) noexcept {
  // The fundamental of the long period from its own dip, against m times it.
  // The frame's amplitude spectrum is only made for a hop that asks.
  if (sieve_frame_ != nullptr) {
    sieve_.load(*sieve_frame_);
    sieve_frame_ = nullptr;
  }
  return sieve_.evidence(lag_to_hz(static_cast<float>(coarse_lag(long_lag))), m, config_.sieve_level_db);
}

bool PitchTracker::sieve_prefers_long(const SieveEvidence& evidence, float contrast_db) const noexcept {
  return evidence.contrast_db >= contrast_db && evidence.level_db >= config_.sieve_level_db;
}

std::size_t PitchTracker::prefer_submultiple(std::size_t lag) noexcept {
  // A period doubled or tripled is as periodic as the period itself, and the
  // window compensation can even favour it; a voice with an almost-as-good dip
  // at a half or a third of the chosen lag is speaking at that shorter period,
  // unless the spectrum holds the partials only the longer period has.
  for (const int divisor : {3, 2}) {
    const double candidate = static_cast<double>(lag) / divisor;
    if (candidate < static_cast<double>(min_lag_)) continue;
    const std::size_t t = local_minimum_near(candidate);
    if (t < min_lag_ || t > max_lag_) continue;
    if (cmnd_[t] < config_.voicing_threshold && cmnd_[t] <= cmnd_[lag] + config_.submultiple_tolerance) {
      if (sieve_prefers_long(sieve_for(lag, divisor), config_.sieve_contrast_db)) continue;
      return t;
    }
  }
  return lag;
}

std::size_t PitchTracker::prefer_multiple(std::size_t lag) noexcept {
  // The converse: when the fundamental and the second harmonic are gone (the
  // 300 Hz edge of a telephone line) and the spectral tilt leaves the third
  // harmonic strongest, the autocorrelation dips as deeply at a third (or
  // half) of the period as at the period, and YIN's first dip is that one. The
  // fourth, fifth, seventh ... harmonics are still there, and the sieve finds them.
  for (const int m : {3, 2}) {
    const std::size_t t = deepest_dip_near(coarse_lag(lag) * m);
    // A longer period that could not be voice (no dip there below
    // continue_voicing_threshold) is no candidate: the sieve is not asked.
    if (t == 0 || !(cmnd_[t] < config_.continue_voicing_threshold)) continue;
    if (sieve_prefers_long(sieve_for(t, m), config_.sieve_contrast_db)) return t;
  }
  return lag;
}

std::size_t PitchTracker::collect_candidates(std::size_t frame_choice, HopRecord& record) noexcept {
  // The hop's own choice and the other dips of the difference function that
  // could still be voice (Boersma 1993 and Talkin 1995 keep every local maximum
  // of the autocorrelation as a candidate), the cheapest kMaxCandidates. Any
  // dip but the hop's choice costs overrule_cost more, plus what it is less
  // periodic than the choice: continuity takes one only when the path saves
  // more than that, as it does over an isolated octave error (a jump there
  // and back costs twice the octave-jump cost).
  const float chosen_aperiodicity = cmnd_[frame_choice];
  std::size_t count = 0;
  const auto place = [&](std::size_t i, std::size_t t, float cost) {
    candidates_[i].cost = cost;
    candidate_lags_[i] = t;
  };
  place(count++, frame_choice, 0.0f);
  const float limit = config_.continue_voicing_threshold;
  for (std::size_t t = min_lag_; t <= max_lag_; ++t) {
    const float d = cmnd_[t];
    if (!(d < limit) || t == frame_choice || d > cmnd_[t - 1] || d >= cmnd_[t + 1]) continue;
    const float cost = config_.overrule_cost + std::max(0.0f, d - chosen_aperiodicity);
    // Insert in order of cost behind the hop's own choice; the dearest drops out.
    if (count == candidates_.size() && cost >= candidates_[count - 1].cost) continue;
    std::size_t i = count < candidates_.size() ? count++ : count - 1;
    for (; i > 1 && candidates_[i - 1].cost > cost; --i) place(i, candidate_lags_[i - 1], candidates_[i - 1].cost);
    place(i, t, cost);
  }
  // Where each lies (YIN's parabola through its dip), for the path's octave
  // steps and the final refinement.
  record.count = count;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t t = candidate_lags_[i];
    const double centre = coarse_lag(t);
    const auto whole = static_cast<std::size_t>(centre);
    const float frac = static_cast<float>(centre - static_cast<double>(whole));
    candidates_[i].log2_period = log2_lag_[whole] + frac * (log2_lag_[whole + 1] - log2_lag_[whole]);
    record.lag[i] = static_cast<float>(centre);
    record.rho[i] = normalized_autocorr_[t];
  }
  return count;
}

float PitchTracker::refine_lag(float coarse, std::span<const float> power, float energy) const noexcept {
  // YIN step 5 puts a parabola through the integer-lag dip. At the decimated
  // rate a 500 Hz period spans only 8 lags, where that parabola is biased by up
  // to 1 %. So the coarse parabola only picks the neighbourhood; the peak of rho
  // is then located on three lags a quarter apart, evaluated exactly from the
  // spectrum, where a parabola is accurate to well under 0.1 %.
  const double centre = coarse;
  constexpr double kStep = 0.25;
  const double lags[3] = {centre - kStep, centre, centre + kStep};
  double rho[3];
  normalized_autocorr_at(lags, power, energy, rho);
  const double curvature = rho[0] - 2.0 * rho[1] + rho[2];
  if (!(curvature < -1e-12)) return static_cast<float>(centre);
  const double shift = std::clamp(0.5 * (rho[0] - rho[2]) / curvature, -2.0, 2.0);
  return static_cast<float>(centre + shift * kStep);
}

}  // namespace tw::features
