#include "report/call_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "assets/embedded_assets.h"

namespace tw::report {
namespace {

using nlohmann::json;

constexpr int kReportVersion = 1;
// The speech activity lane reads speech_s against the summary window it was measured in.
constexpr double kSpeechWindow_s = 3.0;

// ---- numbers ---------------------------------------------------------------------

// Rounded to what a reader can see: the per-second series dominate the report's
// size (3600 s x 2 speakers x 9 columns for an hour), and six significant digits
// of a smoothed score carry nothing.
json rounded(double value, int decimals) { return alerts::json_number(value, decimals); }

json rounded_seconds(double value) { return rounded(value, 2); }

std::string printf_string(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

/// "55 s" under a minute, a clock ("1:38") from there.
std::string format_span(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (seconds < 59.5) return printf_string("%.0f s", std::max(0.0, seconds));
  return format_clock(seconds + 0.5);
}

/// A feature value for a table: precision by magnitude, an em dash when missing.
std::string format_value(double value) {
  if (!std::isfinite(value)) return "\u2014";
  const double magnitude = std::fabs(value);
  return printf_string(magnitude >= 100.0 ? "%.0f" : magnitude >= 10.0 ? "%.1f" : "%.2f", value);
}

std::string plural(int count, const char* noun) {
  if (count == 0) return std::string("no ") + noun + "s";
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// ---- text ------------------------------------------------------------------------

// Call ids come from file names and may not be UTF-8: invalid bytes become U+FFFD
// so the page and its JSON stay well formed.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok && n > 1) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      if (n == 2) ok = c >= 0xC2;                                          // overlong
      if (n == 3) ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogate
      if (n == 4) ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

/// Text for HTML content and quoted attribute values.
std::string html_escape(std::string_view raw) {
  const std::string text = valid_utf8(raw);
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // C0 controls other than tab and newlines are not allowed in HTML text.
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') ? ' ' : c;
    }
  }
  return out;
}

/// JSON that can sit inside <script type="application/json">: the only way out of
/// a script element is "</" (and "<!--" can switch the parser into a state where
/// "</script>" stops counting), so "</" is written "<\/" and every other "<" as
/// \u003c. Both are plain JSON string escapes: '<' only ever occurs inside strings.
std::string script_safe_json(const json& value) {
  const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 64);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '<') {
      out += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += "\\u003c";
    }
  }
  return out;
}

std::string words(std::string_view identifier) {
  std::string out(identifier);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

// ---- what the report says about events ----------------------------------------------

struct FeatureLabel {
  std::string_view feature, label;
};

// Evidence feature names (detect::kProsodyNames and the detectors' own) as a reader says them.
constexpr FeatureLabel kFeatureLabels[] = {
    {"agitation_score", "agitation score"},
    {"agitation_slope_per_min", "agitation slope (/min)"},
    {"f0_median_st", "median pitch (semitones)"},
    {"f0_range_st", "pitch range (semitones)"},
    {"loudness_db", "loudness (dB)"},
    {"loudness_range_db", "loudness range (dB)"},
    {"alpha_ratio_db", "vocal effort, alpha ratio (dB)"},
    {"hnr_db", "harmonics-to-noise (dB)"},
    {"speaking_rate_syl_per_s", "speaking rate (syl/s)"},
    {"caller_speaking_rate_syl_per_s", "caller's speaking rate (syl/s)"},
    {"voiced_fraction", "voiced fraction"},
    {"overlap_s", "talk-over (s)"},
    {"silence_s", "silence (s)"},
    {"agent_turn_s", "agent's turn (s)"},
    {"caller_floor_share", "caller's share of the floor"},
    {"agent_floor_share", "agent's share of the floor"},
};

std::string feature_label(std::string_view feature) {
  for (const FeatureLabel& f : kFeatureLabels) {
    if (f.feature == feature) return std::string(f.label);
  }
  return words(feature);
}

/// Why an event matters, in a sentence; empty for types the report does not know.
std::string explanation(const alerts::Event& e) {
  if (e.type == "supervisor_alert") {
    const std::string reason = e.details.is_object() ? e.details.value("reason", std::string()) : std::string();
    if (reason == "escalation") return "The caller's agitation crossed the agitated level and keeps rising: the call has left calm.";
    if (reason == "relapse") return "The caller escalated again after the call had started to calm down.";
    if (reason == "venting_stalled") return "The caller has vented longer than the stall limit without the call moving on to disarming.";
    if (reason == "agent_broke_listening_rules") {
      return "The agent interrupted or raised their voice while the caller was venting; venting callers calm down sooner when let finish.";
    }
    return "A supervisor should look at this call now.";
  }
  if (e.state == alerts::EventState::closed) return "The condition no longer holds.";
  if (e.type == "caller_agitation_rising") return "The caller's agitation is trending up against their own baseline.";
  if (e.type == "caller_agitation_high") return "The caller's smoothed agitation stayed above the high level.";
  if (e.type == "agent_raised_voice") return "The agent's loudness, pitch or vocal effort is well above their own baseline.";
  if (e.type == "agent_fast_speech") return "The agent speaks much faster than usual for them, and faster than the caller.";
  if (e.type == "agent_slow_speech") return "The agent speaks much slower than usual for them while the caller is fast.";
  if (e.type == "agent_monotone") return "The agent's pitch and loudness have stayed flat for a long stretch.";
  if (e.type == "interruption") return "One side started talking during the other's turn and kept talking over them.";
  if (e.type == "dead_air") return "Neither side has spoken for a while.";
  if (e.type == "agent_monologue") return "The agent has held the floor for a long turn without letting the caller in.";
  if (e.type == "stage_change") return "The call moved to another de-escalation stage (calm, escalating, venting, disarming).";
  return {};
}

/// The chart an event is marked on, or "" for events that stay in the table
/// (episode ends and information the stage bands already show).
std::string_view marker_chart(const alerts::Event& e) {
  if (e.state == alerts::EventState::closed) return {};
  if (e.kind != alerts::EventKind::alert && e.severity == alerts::Severity::info) return {};
  if (e.type == "interruption" || e.type == "dead_air" || e.type == "agent_monologue") return "turns";
  return "agitation";
}

// ---- the report ------------------------------------------------------------------------

const std::vector<SpeakerSecond>* seconds_of(const CallTimeline& t, std::string_view role) {
  if (role == "caller") return &t.caller;
  if (role == "agent") return &t.agent;
  return nullptr;
}

/// Speakers in channel order, plus any role that has seconds but was not listed.
std::vector<std::string> report_roles(const CallTimeline& t) {
  std::vector<std::string> roles = t.roles;
  for (const char* role : {"caller", "agent"}) {
    if (!seconds_of(t, role)->empty() && std::find(roles.begin(), roles.end(), role) == roles.end()) {
      roles.emplace_back(role);
    }
  }
  return roles;
}

json series_json(const std::vector<SpeakerSecond>& seconds) {
  json time = json::array(), agitation = json::array(), score = json::array(), loudness = json::array(),
       f0 = json::array(), rate = json::array(), speech = json::array(), scored = json::array(),
       baseline = json::array();
  for (const SpeakerSecond& s : seconds) {
    time.push_back(rounded_seconds(s.time_s));
    agitation.push_back(rounded(s.agitation, 3));
    score.push_back(rounded(s.score, 3));
    loudness.push_back(rounded(s.loudness_db, 1));
    f0.push_back(rounded(s.f0_median_hz, 1));
    rate.push_back(rounded(s.speaking_rate_syl_per_s, 2));
    speech.push_back(rounded(s.speech_s, 2));
    scored.push_back(s.scored);
    baseline.push_back(s.baseline_established);
  }
  return {{"time_s", std::move(time)},
          {"agitation", std::move(agitation)},
          {"score", std::move(score)},
          {"loudness_db", std::move(loudness)},
          {"f0_median_hz", std::move(f0)},
          {"speaking_rate_syl_per_s", std::move(rate)},
          {"speech_s", std::move(speech)},
          {"scored", std::move(scored)},
          {"baseline_established", std::move(baseline)}};
}

json intervals_json(const std::vector<Interval>& intervals, double& total_s) {
  json out = json::array();
  total_s = 0.0;
  for (const Interval& i : intervals) {
    out.push_back({{"start_s", rounded_seconds(i.start_s)}, {"end_s", rounded_seconds(i.end_s)}, {"label", i.label}});
    total_s += std::max(0.0, i.end_s - i.start_s);
  }
  return out;
}

double stage_seconds(const CallTimeline& t, detect::Stage stage) {
  double total = 0.0;
  for (const StageSpan& span : t.stages) {
    if (span.stage == stage) total += std::max(0.0, span.end_s - span.start_s);
  }
  return total;
}

detect::Stage final_stage(const CallTimeline& t) { return t.stages.empty() ? detect::Stage::calm : t.stages.back().stage; }

int alert_count(const CallTimeline& t) {
  return static_cast<int>(std::count_if(t.events.begin(), t.events.end(),
                                        [](const alerts::Event& e) { return e.kind == alerts::EventKind::alert; }));
}

double report_duration_s(const CallTimeline& t, const json& summary) {
  if (t.duration_s > 0.0) return t.duration_s;
  if (summary.is_object()) {
    const auto it = summary.find("duration_s");
    if (it != summary.end() && it->is_number()) return it->get<double>();
  }
  double end = 0.0;
  for (const auto* seconds : {&t.caller, &t.agent}) {
    if (!seconds->empty()) end = std::max(end, seconds->back().time_s);
  }
  return end;
}

// ---- the page -----------------------------------------------------------------------------


void append_fact(std::string& out, std::string_view label, const std::string& value) {
  out += "<li><b>";
  out += label;
  out += "</b>";
  out += html_escape(value);
  out += "</li>";
}

std::string summary_number(const json& speaker, const char* key, const char* pattern) {
  const auto it = speaker.find(key);
  if (it == speaker.end() || !it->is_number()) return "\u2014";
  return printf_string(pattern, it->get<double>());
}

void append_header(std::string& out, const CallTimeline& t, const json& report) {
  const std::string call = report.value("call", std::string());
  const double duration_s = report.value("duration_s", 0.0);
  const bool escalated = std::any_of(t.stages.begin(), t.stages.end(),
                                     [](const StageSpan& s) { return s.stage != detect::Stage::calm && s.end_s > s.start_s; }) ||
                         t.escalations > 0;
  const bool calm_at_end = final_stage(t) == detect::Stage::calm;
  out += "<header class=\"top\"><div class=\"title\"><h1>Call <span class=\"id\">";
  out += html_escape(call.empty() ? "(unnamed)" : call);
  out += "</span></h1><span class=\"dur\">";
  out += html_escape(format_clock(duration_s));
  out += " long</span></div>\n<p class=\"verdict ";
  out += !escalated ? "v-calm" : calm_at_end ? "v-escalated" : "v-unresolved";
  out += "\" id=\"verdict\">";
  out += html_escape(report.value("verdict", std::string()));
  out += "</p>\n<div class=\"figures\"><ul class=\"facts\">";
  append_fact(out, "Duration", format_clock(duration_s));
  append_fact(out, "Final stage", std::string(detect::to_string(final_stage(t))));
  append_fact(out, "Escalations", std::to_string(t.escalations));
  append_fact(out, "Relapses", std::to_string(t.relapses));
  append_fact(out, "Time to calm", t.time_to_calm_s >= 0.0 ? format_span(t.time_to_calm_s) : std::string("\u2014"));
  append_fact(out, "Venting", format_span(stage_seconds(t, detect::Stage::venting)));
  append_fact(out, "Talk-over", std::to_string(t.overlaps.size()) + " \u00b7 " +
                                     printf_string("%.1f s", report.value("overlap_s", 0.0)));
  append_fact(out, "Silences", std::to_string(t.silences.size()) + " \u00b7 " +
                                    printf_string("%.1f s", report.value("silence_s", 0.0)));
  for (const pipeline::Party& p : t.parties) {
    if (!t.parties_moved()) break;
    std::string when = std::isnan(p.joined_s) ? std::string("never joined") : "joined " + format_clock(p.joined_s);
    if (!std::isnan(p.left_s)) when += ", left " + format_clock(p.left_s);
    append_fact(out, p.role == "caller" ? "Caller" : "Agent", when);
  }
  if (!t.gaps.empty()) {
    append_fact(out, "Paused", std::to_string(t.gaps.size()) + " \u00b7 " +
                                   printf_string("%.1f s", report.value("paused_s", 0.0) + report.value("lost_s", 0.0)));
  }
  append_fact(out, "Alerts", std::to_string(alert_count(t)) + " of " + std::to_string(t.events.size()) + " events");
  out += "</ul>\n";

  const json& speakers = report["speakers"];
  if (!speakers.empty()) {
    out += "<table class=\"speakers\"><thead><tr><th>Speaker</th><th class=\"n\">Peak agitation</th>"
           "<th class=\"n\">Talk time</th><th class=\"n\">Median F0</th><th class=\"n\">Median loudness</th>"
           "<th class=\"n\">Articulation rate</th></tr></thead><tbody>";
    for (const json& s : speakers) {
      const std::string role = s.value("role", std::string());
      std::string peak = "\u2014";
      if (const auto* seconds = seconds_of(t, role); seconds != nullptr) {
        const auto best = std::max_element(seconds->begin(), seconds->end(), [](const SpeakerSecond& a, const SpeakerSecond& b) {
          return a.agitation < b.agitation;
        });
        if (best != seconds->end() && std::isfinite(best->agitation)) {
          peak = printf_string("%.2f", best->agitation) + " at " + format_clock(best->time_s);
        }
      }
      out += "<tr><td>" + html_escape(role) + "</td><td class=\"n\">" + html_escape(peak) + "</td><td class=\"n\">" +
             html_escape(summary_number(s, "talk_time_s", "%.0f s")) + "</td><td class=\"n\">" +
             html_escape(summary_number(s, "f0_median_hz", "%.0f Hz")) + "</td><td class=\"n\">" +
             html_escape(summary_number(s, "loudness_median_db", "%.1f dB")) + "</td><td class=\"n\">" +
             html_escape(summary_number(s, "articulation_rate_syl_per_s", "%.1f syl/s")) + "</td></tr>";
    }
    out += "</tbody></table>";
  }
  out += "</div>\n";
  const json& warnings = report["warnings"];
  if (warnings.is_array() && !warnings.empty()) {
    out += "<ul class=\"warnings\">";
    for (const json& w : warnings) {
      out += "<li>" + html_escape(w.is_string() ? w.get<std::string>() : w.dump(-1, ' ', false, json::error_handler_t::replace)) +
             "</li>";
    }
    out += "</ul>\n";
  }
  out += "</header>\n";
}

void append_charts(std::string& out) {
  // The same section as the dashboard's live call view: assets/charts.html.
  std::string_view section = assets::get("charts.html");
  section.remove_prefix(section.find('\n') + 1);  // its first line is a comment
  out += section;
}

void append_evidence(std::string& out, const std::vector<detect::Evidence>& evidence) {
  if (evidence.empty()) return;
  out += "<table class=\"evid\"><thead><tr><th>feature</th><th>value</th><th>baseline</th><th>deviation</th>"
         "<th>since</th></tr></thead><tbody>";
  for (const detect::Evidence& x : evidence) {
    out += "<tr><td title=\"" + html_escape(x.feature) + "\">" + html_escape(feature_label(x.feature)) + "</td><td>" +
           format_value(x.value) + "</td><td>" + format_value(x.baseline) + "</td><td>" +
           (std::isfinite(x.deviation) ? printf_string("%+.1f", x.deviation) : std::string("\u2014")) + "</td><td>" +
           (std::isfinite(x.since_s) ? format_clock(x.since_s) : std::string("\u2014")) + "</td></tr>";
  }
  out += "</tbody></table>";
}

void append_events(std::string& out, const CallTimeline& t) {
  out += "<section class=\"events\"><h2>Alerts and events <small class=\"note\">(" +
         std::to_string(alert_count(t)) + " alerts, " + std::to_string(t.events.size()) +
         " events)</small></h2>\n";
  if (t.events.empty()) {
    out += "<p class=\"note\">No events in this call.</p></section>\n";
    return;
  }
  out += "<p class=\"note\">Deviation is (value &minus; baseline) in units of the speaker&rsquo;s own baseline spread; "
         "since is when the condition began.</p>\n";
  out += "<table class=\"ev\" id=\"event-table\"><thead><tr><th>Time</th><th>Severity</th><th>Event</th><th>Speaker</th>"
         "<th>What happened</th><th>Evidence</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < t.events.size(); ++i) {
    const alerts::Event& e = t.events[i];
    const std::string severity(alerts::to_string(e.severity));
    const std::string kind(alerts::to_string(e.kind));
    const std::string index = std::to_string(i);
    out += "<tr id=\"ev-" + index + "\" class=\"sev-" + severity + " kind-" + kind + "\"><td class=\"t\" title=\"" +
           printf_string("%.2f s", e.time_s) + "\">";
    const std::string_view chart = marker_chart(e);
    if (!chart.empty()) {
      out += "<a href=\"#chart-";
      out += chart;
      out += "\" data-ev=\"" + index + "\">" + format_clock(e.time_s) + "</a>";
    } else {
      out += format_clock(e.time_s);
    }
    out += "</td><td><span class=\"badge " + severity + "\">" + severity + "</span>";
    if (e.kind == alerts::EventKind::alert) out += "<span class=\"badge alert\">alert</span>";
    out += "</td><td>" + html_escape(words(e.type));
    if (e.details.is_object() && e.details.contains("reason") && e.details["reason"].is_string()) {
      out += ": " + html_escape(words(e.details["reason"].get<std::string>()));
    }
    if (e.state != alerts::EventState::instant) {
      out += "<span class=\"state\">";
      out += e.state == alerts::EventState::opened ? "began" : "ended";
      out += "</span>";
    }
    if (std::isfinite(e.since_s) && e.since_s < e.time_s - 0.5) {
      out += "<span class=\"since\">since " + format_clock(e.since_s) + "</span>";
    }
    out += "</td><td>" + html_escape(e.speaker.empty() ? std::string("call") : e.speaker) + "</td><td>" +
           html_escape(e.message);
    const std::string why = explanation(e);
    if (!why.empty()) out += "<div class=\"why\">" + html_escape(why) + "</div>";
    out += "</td><td>";
    append_evidence(out, e.evidence);
    out += "</td></tr>\n";
  }
  out += "</tbody></table></section>\n";
}

}  // namespace

std::string format_clock(double time_s) {
  const long long total = std::isfinite(time_s) && time_s > 0.0 ? static_cast<long long>(std::floor(time_s)) : 0;
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

namespace {

std::string verdict(const CallTimeline& t, bool in_progress) {
  double first_escalation_s = -1.0;
  for (const StageSpan& span : t.stages) {
    // Venting and disarming only follow an escalation; the first non-calm span is where it began.
    if (span.stage != detect::Stage::calm && span.end_s > span.start_s) {
      first_escalation_s = span.start_s;
      break;
    }
  }
  const int alerts = alert_count(t);
  std::string text;
  // A call in progress is told in the present: what it is now, not how it ended.
  const char* at_end = in_progress ? " now" : " at the end";
  if (first_escalation_s < 0.0) {
    text = in_progress ? "No escalation so far" : "No escalation";
  } else {
    text = "Escalated at " + format_clock(first_escalation_s);
    const double venting_s = stage_seconds(t, detect::Stage::venting);
    if (venting_s > 0.0) text += (in_progress ? ", caller has vented " : ", caller vented ") + format_span(venting_s);
    const detect::Stage end_stage = final_stage(t);
    if (end_stage == detect::Stage::calm) {
      if (t.time_to_calm_s >= 0.0) text += ", calm again after " + format_span(t.time_to_calm_s);
    } else if (t.time_to_calm_s >= 0.0) {
      text += ", calm after " + format_span(t.time_to_calm_s) + " but " + std::string(detect::to_string(end_stage)) + at_end;
    } else {
      text += (in_progress ? ", " : ", still ") + std::string(detect::to_string(end_stage)) + at_end;
    }
    text += "; " + plural(t.relapses, "relapse");
  }
  text += "; " + plural(alerts, "alert");
  return text;
}

}  // namespace

std::string call_verdict(const CallTimeline& t) { return verdict(t, false); }
std::string call_verdict_so_far(const CallTimeline& t) { return verdict(t, true); }

json call_report_json(const CallTimeline& t, const json& call_summary) {
  const bool has_summary = call_summary.is_object();
  json report;
  report["format"] = "tonewatch-call-report";
  report["version"] = kReportVersion;
  report["call"] = !t.call_id.empty() || !has_summary ? t.call_id : call_summary.value("call", std::string());
  report["duration_s"] = rounded_seconds(report_duration_s(t, call_summary));
  report["verdict"] = call_verdict(t);

  const std::vector<std::string> roles = report_roles(t);
  json speakers = json::array();
  for (const std::string& role : roles) {
    json speaker = {{"role", role}};
    if (has_summary && call_summary.contains("speakers") && call_summary["speakers"].is_array()) {
      for (const json& s : call_summary["speakers"]) {
        if (!s.is_object() || s.value("role", std::string()) != role) continue;
        for (auto it = s.begin(); it != s.end(); ++it) speaker[it.key()] = it.value();
      }
    }
    speakers.push_back(std::move(speaker));
  }
  report["speakers"] = std::move(speakers);

  json stages = json::array();
  for (const StageSpan& span : t.stages) {
    stages.push_back({{"stage", std::string(detect::to_string(span.stage))},
                      {"start_s", rounded_seconds(span.start_s)},
                      {"end_s", rounded_seconds(span.end_s)}});
  }
  report["stages"] = std::move(stages);
  report["escalations"] = t.escalations;
  report["relapses"] = t.relapses;
  report["time_to_calm_s"] = t.time_to_calm_s >= 0.0 ? rounded(t.time_to_calm_s, 1) : json(nullptr);
  report["venting_s"] = rounded(stage_seconds(t, detect::Stage::venting), 1);
  report["final_stage"] = std::string(detect::to_string(final_stage(t)));

  double overlap_s = 0.0, silence_s = 0.0;
  report["overlaps"] = intervals_json(t.overlaps, overlap_s);
  report["overlap_s"] = rounded(overlap_s, 2);
  report["silences"] = intervals_json(t.silences, silence_s);
  report["silence_s"] = rounded(silence_s, 2);
  if (t.parties_moved()) {  // only a live call where a party joined late or left early
    json parties = json::array();
    for (const pipeline::Party& p : t.parties) {
      parties.push_back({{"role", p.role},
                         {"joined_s", std::isnan(p.joined_s) ? json(nullptr) : rounded_seconds(p.joined_s)},
                         {"left_s", std::isnan(p.left_s) ? json(nullptr) : rounded_seconds(p.left_s)}});
    }
    report["parties"] = std::move(parties);
  }
  if (!t.gaps.empty()) {  // only a call that had stretches without audio (a live call's hold, say)
    double gap_s = 0.0, paused_s = 0.0;
    report["gaps"] = intervals_json(t.gaps, gap_s);
    for (const Interval& g : t.gaps) paused_s += g.label == "lost" ? 0.0 : g.end_s - g.start_s;
    report["paused_s"] = rounded(paused_s, 2);
    report["lost_s"] = rounded(gap_s - paused_s, 2);
  }

  json events = json::array();
  for (const alerts::Event& e : t.events) events.push_back(alerts::to_json(e));
  report["alert_count"] = alert_count(t);
  report["events"] = std::move(events);

  json series = json::object();
  for (const std::string& role : roles) {
    if (const auto* seconds = seconds_of(t, role); seconds != nullptr) series[role] = series_json(*seconds);
  }
  report["series"] = std::move(series);
  report["summary"] = has_summary ? call_summary : json(nullptr);
  report["warnings"] = has_summary && call_summary.contains("warnings") && call_summary["warnings"].is_array()
                           ? call_summary["warnings"]
                           : json::array();
  return report;
}

json report_ui_json(const std::vector<alerts::Event>& events) {
  // Readable feature names, an explanation per event, and where each marker goes
  // (the same rule as the event table's links).
  json features = json::object();
  for (const FeatureLabel& f : kFeatureLabels) features[std::string(f.feature)] = std::string(f.label);
  json explanations = json::array(), marks = json::array();
  for (std::size_t i = 0; i < events.size(); ++i) {
    explanations.push_back(explanation(events[i]));
    const std::string_view chart = marker_chart(events[i]);
    if (!chart.empty()) marks.push_back({i, std::string(chart)});
  }
  return {{"features", std::move(features)},
          {"explanations", std::move(explanations)},
          {"marks", std::move(marks)},
          {"speech_window_s", kSpeechWindow_s}};
}

std::string call_report_html(const CallTimeline& t, const json& call_summary) {
  json data = call_report_json(t, call_summary);
  std::string out;
  out.reserve(64 * 1024 + t.caller.size() * 160 + t.agent.size() * 160 + t.events.size() * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"tonewatch\">\n<title>";
  out += html_escape("Call " + data.value("call", std::string()) + " \u2014 tonewatch report");
  out += "</title>\n<style>";
  out += assets::get("report.css");
  out += "</style>\n</head>\n<body>\n<main>\n";
  append_header(out, t, data);
  append_charts(out);
  append_events(out, t);
  out += "<footer>tonewatch call report, format version " + std::to_string(kReportVersion) +
         ". Scores compare each speaker with their own baseline; they are indicators, not judgements.</footer>\n";
  out += "</main>\n<div id=\"tip\" role=\"dialog\" aria-live=\"polite\" hidden></div>\n";

  data["ui"] = report_ui_json(t.events);
  out += "<script type=\"application/json\" id=\"report-data\">";
  out += script_safe_json(data);
  // The chart code and the page's own script, in one element.
  out += "</script>\n<script>";
  out += assets::get("charts.js");
  out += "\n";
  out += assets::get("report.js");
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace tw::report
