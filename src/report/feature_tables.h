#pragma once
// Tabular output of features: per-window rows (CSV or JSON lines) and per-hop CSV.

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

}  // namespace tw::report
