#include "report/call_summary.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "alerts/event.h"
#include "dsp/stream_spec.h"
#include "io/path_text.h"

namespace tw::report {

using alerts::json_number;

nlohmann::json input_path_json(const std::string& path) {
  nlohmann::json json = {{"path", io::escape_invalid_utf8(path)}};
  if (!io::is_valid_utf8(path)) json["path_bytes_hex"] = io::to_hex(path);
  return json;
}

std::string input_path_from_json(const nlohmann::json& input) {
  if (!input.is_object()) throw std::invalid_argument("input is not an object");
  if (input.contains("path_bytes_hex")) {
    if (!input["path_bytes_hex"].is_string()) throw std::invalid_argument("input.path_bytes_hex is not a string");
    return io::from_hex(input["path_bytes_hex"].get<std::string>());
  }
  if (!input.contains("path") || !input["path"].is_string()) throw std::invalid_argument("input.path is missing");
  return input["path"].get<std::string>();
}

nlohmann::json make_call_summary(const std::string& call_id, const InputDescription& input,
                                 std::int64_t frames_analysed, const std::vector<pipeline::SpeakerReport>& reports) {
  nlohmann::json summary;
  summary["call"] = call_id;
  summary["input"] = input_path_json(input.path);
  summary["input"]["format"] = input.format;
  summary["input"]["sample_rate_hz"] = input.sample_rate_hz;
  summary["input"]["channels"] = input.channels;
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
                        {"clipped_samples", r.clipped_samples},
                        // A source that cannot carry NaN (16-bit live audio) has none;
                        // add_non_finite_samples() fills in what a float file had.
                        {"non_finite_samples", 0},
                        {"non_finite_at_s", nlohmann::json::array()}});
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

void add_non_finite_samples(const io::NonFiniteGuard& guard, int source_rate_hz,
                            const std::vector<features::SpeakerRole>& roles, nlohmann::json& summary) {
  const double rate = source_rate_hz > 0 ? source_rate_hz : 1.0;
  for (int c = 0; c < guard.channels(); ++c) {
    const std::string role =
        c < static_cast<int>(roles.size()) ? std::string(features::to_string(roles[static_cast<std::size_t>(c)])) : "?";
    nlohmann::json at = nlohmann::json::array();
    std::string times;
    for (const io::NonFiniteSpan& span : guard.spans(c)) {
      const double start_s = static_cast<double>(span.first_frame) / rate;
      const double end_s = static_cast<double>(span.end_frame) / rate;
      at.push_back({json_number(start_s, 4), json_number(end_s, 4)});
      char text[64];
      if (span.end_frame - span.first_frame == 1) {
        std::snprintf(text, sizeof text, "%.3f s", start_s);
      } else {
        std::snprintf(text, sizeof text, "%.3f-%.3f s", start_s, end_s);
      }
      times += (times.empty() ? "" : ", ") + std::string(text);
    }
    if (summary.contains("speakers")) {
      for (nlohmann::json& speaker : summary["speakers"]) {
        if (speaker.value("channel", -1) != c) continue;
        speaker["non_finite_samples"] = guard.count(c);
        speaker["non_finite_at_s"] = at;
      }
    }
    if (guard.count(c) == 0) continue;
    const std::int64_t more = guard.span_count(c) - static_cast<std::int64_t>(guard.spans(c).size());
    if (more > 0) times += " and " + std::to_string(more) + " more place" + (more > 1 ? "s" : "");
    const std::int64_t n = guard.count(c);
    summary["warnings"].push_back("channel " + std::to_string(c) + " (" + role + ") had " + std::to_string(n) +
                                  " non-finite sample" + (n > 1 ? "s" : "") +
                                  " (NaN or infinity), analysed as silence: at " + times);
  }
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
  if (timeline.parties_moved()) {
    // Who was on the call when: only calls where a party joined late or left early.
    nlohmann::json parties = nlohmann::json::array();
    for (const pipeline::Party& p : timeline.parties) {
      parties.push_back({{"role", p.role},
                         {"joined_s", std::isnan(p.joined_s) ? nlohmann::json(nullptr) : json_number(p.joined_s, 2)},
                         {"left_s", std::isnan(p.left_s) ? nlohmann::json(nullptr) : json_number(p.left_s, 2)}});
    }
    summary["parties"] = parties;
  }
  if (!timeline.gaps.empty()) {
    // Stretches without audio (a hold, a secure pause, a discarded stretch, lost
    // audio): part of the call's time, heard by nobody. Only calls that had them.
    double paused_s = 0.0, lost_s = 0.0;
    nlohmann::json intervals = nlohmann::json::array();
    for (const pipeline::Interval& g : timeline.gaps) {
      (g.label == "lost" ? lost_s : paused_s) += g.end_s - g.start_s;
      intervals.push_back({{"start_s", json_number(g.start_s, 2)}, {"end_s", json_number(g.end_s, 2)}, {"kind", g.label}});
    }
    summary["gaps"] = {{"paused_s", json_number(paused_s, 2)}, {"lost_s", json_number(lost_s, 2)}, {"intervals", intervals}};
  }
}

}  // namespace tw::report
