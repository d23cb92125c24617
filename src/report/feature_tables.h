#pragma once
// Tabular output of features: per-window rows (CSV or JSON lines) and per-hop CSV.

#include <optional>
#include <ostream>
#include <string>

#include "features/hop_features.h"
#include "features/speaker_role.h"
#include "features/window_summary.h"
#include "pipeline/call_analyzer.h"

namespace tw::report {

enum class TableFormat { csv, jsonl };

/// Writes one row per speaker-window: the window's features, then what detection
/// made of that second (agitation score and level, the call's stage). Missing
/// values (NaN, no stage) are empty in CSV and null in JSON.
class WindowTableWriter {
 public:
  WindowTableWriter(std::ostream& out, TableFormat format, std::string call_id);
  void write(features::SpeakerRole role, const features::WindowSummary& window,
             const pipeline::WindowVerdict& verdict = {});

 private:
  std::ostream& out_;
  TableFormat format_;
  std::string call_id_;
};

/// Writes one CSV row per speaker-hop, with a header row. f0_hz is 0 when unvoiced.
class FrameTableWriter {
 public:
  explicit FrameTableWriter(std::ostream& out);
  void write(features::SpeakerRole role, const features::HopFeatures& hop);

 private:
  std::ostream& out_;
};

/// A CallSession tap writing both tables: the window rows with their verdicts, and
/// the frame rows when given a stream for them. Files (CallOutputs) and memory
/// (the Python API) use this one tap.
class FeatureTablesTap final : public pipeline::FeatureSink {
 public:
  /// `frames` null: no frame table (and no hops asked for).
  FeatureTablesTap(std::ostream& windows, TableFormat format, const std::string& call_id, std::ostream* frames)
      : windows_(windows, format, call_id) {
    if (frames != nullptr) frames_.emplace(*frames);
  }
  bool wants_hops() const noexcept override { return frames_.has_value(); }
  void on_hop(features::SpeakerRole role, const features::HopFeatures& hop) override {
    if (frames_) frames_->write(role, hop);
  }
  void on_window(features::SpeakerRole role, const features::WindowSummary& window) override {
    windows_.write(role, window);
  }
  void on_judged_window(features::SpeakerRole role, const features::WindowSummary& window,
                        const pipeline::WindowVerdict& verdict) override {
    windows_.write(role, window, verdict);
  }

 private:
  WindowTableWriter windows_;
  std::optional<FrameTableWriter> frames_;
};

}  // namespace tw::report
