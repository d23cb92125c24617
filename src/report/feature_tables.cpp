#include "report/feature_tables.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "alerts/event.h"

namespace tw::report {
namespace {

// Appends a number with `decimals` digits, or nothing for NaN (an empty CSV cell).
void append_number(std::string& line, double value, int decimals) {
  if (std::isnan(value)) return;
  char buffer[48];
  const int n = std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  line.append(buffer, static_cast<std::size_t>(n));
}

constexpr const char* kWindowColumns[] = {
    "call",          "speaker",           "end_time_s",       "window_s",           "speech_s",
    "pause_s",       "voiced_fraction",   "syllables",        "speaking_rate_syl_per_s",
    "f0_median_hz",  "f0_median_st",      "f0_range_st",      "loudness_median_db", "loudness_range_db",
    "level_median_dbfs", "alpha_ratio_db", "centroid_hz",     "hnr_db",             "agitation_score",
    "agitation_level",   "stage"};

}  // namespace

WindowTableWriter::WindowTableWriter(std::ostream& out, TableFormat format, std::string call_id)
    : out_(out), format_(format), call_id_(std::move(call_id)) {
  if (format_ == TableFormat::csv) {
    const char* separator = "";
    for (const char* column : kWindowColumns) {
      out_ << separator << column;
      separator = ",";
    }
    out_ << '\n';
  }
}

void WindowTableWriter::write(features::SpeakerRole role, const features::WindowSummary& w,
                              const pipeline::WindowVerdict& verdict) {
  const double values[] = {w.end_time_s,        w.window_s,         w.speech_s,          w.pause_s,
                           w.voiced_fraction,   static_cast<double>(w.syllables),       w.speaking_rate_syl_per_s,
                           w.f0_median_hz,      w.f0_median_st,     w.f0_range_st,       w.loudness_median_db,
                           w.loudness_range_db, w.level_median_dbfs, w.alpha_ratio_db,   w.centroid_hz,
                           w.hnr_db,            verdict.agitation_score, verdict.agitation_level};
  constexpr int kDecimals[] = {2, 2, 2, 2, 3, 0, 2, 1, 2, 2, 1, 1, 1, 1, 0, 1, 3, 3};
  static_assert(std::size(values) + 3 == std::size(kWindowColumns));
  if (format_ == TableFormat::csv) {
    // The call id is a file stem; quote it in case it holds a comma.
    std::string line = "\"" + call_id_ + "\"," + std::string(features::to_string(role));
    for (std::size_t i = 0; i < std::size(values); ++i) {
      line += ',';
      append_number(line, values[i], kDecimals[i]);
    }
    line += ',';
    line += verdict.stage;
    out_ << line << '\n';
    return;
  }
  nlohmann::json row;
  row["call"] = call_id_;
  row["speaker"] = features::to_string(role);
  for (std::size_t i = 0; i < std::size(values); ++i) row[kWindowColumns[i + 2]] = alerts::json_number(values[i], kDecimals[i]);
  row["stage"] = verdict.stage.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(verdict.stage));
  out_ << row.dump() << '\n';
}

FrameTableWriter::FrameTableWriter(std::ostream& out) : out_(out) {
  out_ << "time_s,speaker,f0_hz,f0_semitones,voicing,level_dbfs,loudness_db,vad,voice_band_db,noise_floor_db,"
          "alpha_ratio_db,centroid_hz,hnr_db,syllable_peak_s\n";
}

void FrameTableWriter::write(features::SpeakerRole role, const features::HopFeatures& h) {
  // A syllable nucleus is confirmed a few hops after its intensity peak; the
  // last column gives the peak's time on the confirming hop, empty elsewhere.
  char syllable[24] = "";
  if (h.syllable) std::snprintf(syllable, sizeof syllable, "%.3f", h.time_s - 0.01 * h.syllable_lag_hops);
  char line[256];
  const int n = std::snprintf(line, sizeof line, "%.3f,%s,%.2f,%.3f,%.3f,%.2f,%.2f,%d,%.2f,%.2f,%.2f,%.0f,%.2f,%s\n",
                              h.time_s, role == features::SpeakerRole::caller ? "caller" : "agent",
                              static_cast<double>(h.f0_hz), static_cast<double>(h.f0_semitones),
                              static_cast<double>(h.voicing), static_cast<double>(h.level_dbfs),
                              static_cast<double>(h.loudness_db), h.vad ? 1 : 0, static_cast<double>(h.voice_band_db),
                              static_cast<double>(h.noise_floor_db), static_cast<double>(h.alpha_ratio_db),
                              static_cast<double>(h.centroid_hz), static_cast<double>(h.hnr_db), syllable);
  out_.write(line, n);
}

}  // namespace tw::report
