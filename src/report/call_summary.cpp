#include "report/call_summary.h"

#include <cstdio>

#include "alerts/event.h"
#include "dsp/stream_spec.h"

namespace tw::report {

using alerts::json_number;

nlohmann::json make_call_summary(const std::string& call_id, const InputDescription& input,
                                 std::int64_t frames_analysed, const std::vector<pipeline::SpeakerReport>& reports) {
  nlohmann::json summary;
  summary["call"] = call_id;
  summary["input"] = {{"path", input.path},
                      {"format", input.format},
                      {"sample_rate_hz", input.sample_rate_hz},
                      {"channels", input.channels}};
  for (const auto& [key, value] : input.extra.items()) summary["input"][key] = value;
  summary["analysis_rate_hz"] = dsp::kAnalysisRateHz;
  summary["duration_s"] = json_number(dsp::samples_to_seconds(frames_analysed), 2);
  nlohmann::json speakers = nlohmann::json::array();
  nlohmann::json warnings = nlohmann::json::array();
  for (const pipeline::SpeakerReport& r : reports) {
    const features::SpeakerTotals& t = r.totals;
    const std::string role(features::to_string(r.role));
    speakers.push_back({{"role", role},
                        {"channel", r.channel},
                        {"talk_time_s", json_number(t.talk_time_s, 2)},
                        {"speech_time_s", json_number(t.speech_time_s, 2)},
                        {"voiced_time_s", json_number(t.voiced_time_s, 2)},
                        {"syllables", t.syllables},
                        {"articulation_rate_syl_per_s", json_number(t.articulation_rate_syl_per_s, 2)},
                        {"f0_median_hz", json_number(t.f0_median_hz, 1)},
                        {"f0_median_st", json_number(t.f0_median_st, 2)},
                        {"f0_range_st", json_number(t.f0_range_st, 2)},
                        {"loudness_median_db", json_number(t.loudness_median_db, 1)},
                        {"loudness_range_db", json_number(t.loudness_range_db, 1)},
                        {"level_median_dbfs", json_number(t.level_median_dbfs, 1)},
                        {"clipped_samples", r.clipped_samples}});
    if (t.speech_time_s < 1.0) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.1f", t.speech_time_s);
      warnings.push_back("channel " + std::to_string(r.channel) + " (" + role + ") has almost no speech (" + seconds +
                         " s): check the channel layout or the recording");
    }
    if (r.clipped_samples > 0 && frames_analysed > 0 &&
        static_cast<double>(r.clipped_samples) / static_cast<double>(frames_analysed) > 1e-4) {
      warnings.push_back("channel " + std::to_string(r.channel) + " (" + role + ") clips (" +
                         std::to_string(r.clipped_samples) + " samples at full scale): loudness reads low");
    }
  }
  summary["speakers"] = speakers;
  summary["warnings"] = warnings;
  return summary;
}

void add_detection_summary(const pipeline::CallTimeline& timeline, nlohmann::json& summary) {
  if (!summary.contains("warnings")) summary["warnings"] = nlohmann::json::array();
  for (const std::string& warning : timeline.warnings) summary["warnings"].push_back(warning);
  if (timeline.channels_identical) {
    summary["channels"] = {{"identical", true},
                           {"correlation", json_number(timeline.channel_correlation, 4)},
                           {"analysed_as", timeline.roles.empty() ? std::string() : timeline.roles.front()}};
  }
  nlohmann::json alerts = nlohmann::json::array();
  // What a reader should see first: alerts and warnings as they opened.
  nlohmann::json highlights = nlohmann::json::array();
  constexpr std::size_t kMaxHighlights = 20;
  std::size_t events = 0;
  for (const alerts::Event& e : timeline.events) {
    ++events;
    if (e.kind == alerts::EventKind::alert) alerts.push_back(e.details.value("reason", e.type));
    const bool notable = e.kind == alerts::EventKind::alert || e.severity != alerts::Severity::info;
    if (notable && e.state != alerts::EventState::closed && highlights.size() < kMaxHighlights) {
      highlights.push_back({{"time_s", json_number(e.time_s, 1)},
                            {"kind", std::string(alerts::to_string(e.kind))},
                            {"severity", std::string(alerts::to_string(e.severity))},
                            {"type", e.kind == alerts::EventKind::alert ? e.details.value("reason", e.type) : e.type},
                            {"message", e.message}});
    }
  }
  double venting_s = 0.0;
  for (const pipeline::StageSpan& span : timeline.stages) {
    if (span.stage == detect::Stage::venting) venting_s += span.end_s - span.start_s;
  }
  summary["detection"] = {{"events", events},
                          {"alerts", alerts},
                          {"escalations", timeline.escalations},
                          {"relapses", timeline.relapses},
                          {"venting_s", json_number(venting_s, 1)},
                          {"time_to_calm_s", timeline.time_to_calm_s >= 0.0 ? json_number(timeline.time_to_calm_s, 1)
                                                                            : nlohmann::json(nullptr)},
                          {"final_stage", std::string(detect::to_string(timeline.stages.back().stage))},
                          {"interruptions", {{"by_caller", timeline.interruptions[0]}, {"by_agent", timeline.interruptions[1]}}},
                          {"highlights", highlights}};
}

}  // namespace tw::report
