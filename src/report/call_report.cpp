#include "report/call_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

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

constexpr std::string_view kStyle = R"css(
:root{--ink:#1d1f23;--muted:#555b65;--rule:#d3d7de;--panel:#f5f6f8;--caller:#1d1f23;--agent:#0072b2;
--calm:#e3f1e5;--escalating:#fde2b0;--venting:#f9c6b1;--disarming:#d2e6f6;
--critical:#b54400;--critical-mark:#d55e00;--warning:#e69f00;--info:#8a9099;color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
main{max-width:1320px;margin:0 auto;padding:16px 24px 40px}
h1{font-size:22px;margin:0}h2{font-size:17px;margin:28px 0 8px}
.top{border-bottom:1px solid var(--rule);padding-bottom:12px}
.title{display:flex;gap:14px;align-items:baseline;flex-wrap:wrap}
.title .dur{color:var(--muted)}
.verdict{font-size:17px;font-weight:600;margin:8px 0 10px;padding:6px 12px;border-left:6px solid var(--calm-mark,#2e8b57);background:var(--panel)}
.verdict.v-escalated{border-left-color:var(--warning)}.verdict.v-unresolved{border-left-color:var(--critical-mark)}
.figures{display:flex;flex-wrap:wrap;gap:10px 40px;align-items:flex-start}
.facts{display:grid;grid-template-columns:repeat(3,auto);gap:3px 28px;list-style:none;margin:0;padding:0}
.facts b{font-weight:600;color:var(--muted);margin-right:4px}
table{border-collapse:collapse}
.speakers{margin:0}
.speakers th,.speakers td{padding:3px 14px 3px 0;text-align:left}
.speakers td.n,.speakers th.n{text-align:right}
.speakers th{font-weight:600;color:var(--muted);border-bottom:1px solid var(--rule)}
.warnings{margin:10px 0 0;padding:6px 12px 6px 28px;background:#fff4dc;border:1px solid #f0d08a}
.legend{display:flex;flex-wrap:wrap;gap:4px 18px;align-items:center;margin:14px 0 6px;color:var(--muted)}
.legend span{display:inline-flex;align-items:center;gap:6px}
.sw{display:inline-block;width:18px;height:12px;border:1px solid rgba(0,0,0,.18)}
.sw.st-calm{background:var(--calm)}.sw.st-escalating{background:var(--escalating)}
.sw.st-venting{background:var(--venting)}.sw.st-disarming{background:var(--disarming)}
.sw.ov{background:var(--critical-mark);opacity:.75}.sw.si{background:#9aa0a8}
.readout{position:sticky;top:0;z-index:2;background:rgba(255,255,255,.96);border-bottom:1px solid var(--rule);padding:4px 0;min-height:28px;color:var(--muted);font-variant-numeric:tabular-nums}
.readout b{color:var(--ink)}.readout .agent{color:var(--agent)}
figure{margin:6px 0 0}figcaption{font-weight:600;font-size:13px;margin:0 0 0 64px}
figcaption small{font-weight:400;color:var(--muted)}
.chart{width:100%;min-height:40px}
.chart svg{display:block;overflow:visible;font-size:11px;user-select:none}
.band.st-calm{fill:var(--calm)}.band.st-escalating{fill:var(--escalating)}
.band.st-venting{fill:var(--venting)}.band.st-disarming{fill:var(--disarming)}
.faint .band{opacity:.45}
.grid{stroke:#000;stroke-opacity:.09}.axis{stroke:#8c929b}
.tick{fill:var(--muted)}.ylab{fill:var(--muted);text-anchor:end}.rowlab{fill:var(--ink);text-anchor:end}
.ln{fill:none;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}
.ln.caller{stroke:var(--caller)}.ln.agent{stroke:var(--agent);stroke-dasharray:6 3}
.sc{fill:none;stroke-width:1;stroke-opacity:.35;stroke-linecap:round}
.sc.caller{stroke:var(--caller)}.sc.agent{stroke:var(--agent);stroke-dasharray:2 2}
.act.caller{fill:var(--caller);fill-opacity:.55}.act.agent{fill:var(--agent);fill-opacity:.55}
.ovl{fill:var(--critical-mark);fill-opacity:.8}.sil{fill:#9aa0a8}
.lane{fill:var(--panel)}
.nodata{fill:var(--muted);text-anchor:middle}
.cursor{stroke:#000;stroke-opacity:.55;stroke-width:1;pointer-events:none}
.mk{cursor:pointer;outline:none}
.mk .hit{fill:transparent}
.mk .guide{stroke:#000;stroke-opacity:.28;stroke-dasharray:3 3;pointer-events:none}
.mk.kind-alert .guide{stroke-opacity:.5;stroke-dasharray:none}
.mk .shape{stroke:#1d1f23;stroke-width:1}
.mk.sev-critical .shape{fill:var(--critical-mark)}.mk.sev-warning .shape{fill:var(--warning)}.mk.sev-info .shape{fill:var(--info)}
.mk:hover .shape,.mk:focus .shape,.mk.on .shape{stroke-width:2.5}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.critical{background:var(--critical);color:#fff}.badge.warning{background:var(--warning);color:#1d1f23}
.badge.info{background:#e4e6ea;color:#1d1f23}.badge.alert{background:#1d1f23;color:#fff;margin-left:4px}
table.ev{width:100%;margin-top:6px}
table.ev>thead th{text-align:left;font-weight:600;color:var(--muted);border-bottom:2px solid var(--rule);padding:6px 10px 6px 0}
table.ev>tbody>tr>td{vertical-align:top;border-bottom:1px solid var(--rule);padding:7px 10px 7px 0}
table.ev>tbody>tr.kind-alert{background:#fff6f0}
table.ev>tbody>tr.kind-alert>td:first-child{box-shadow:inset 5px 0 0 var(--critical-mark);padding-left:10px}
table.ev>tbody>tr.hl{outline:3px solid var(--agent);outline-offset:-3px}
table.ev.only-important>tbody>tr.sev-info.kind-event{display:none}
.filter{display:inline-block;margin:2px 0 4px;cursor:pointer}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
td.t a{color:inherit}
.state,.since{color:var(--muted);font-size:12px;display:block}
.why{color:var(--muted);font-size:12.5px;margin-top:2px}
table.evid{font-size:12.5px;font-variant-numeric:tabular-nums}
table.evid th{font-weight:600;color:var(--muted);text-align:right;padding:0 0 2px 12px;border-bottom:1px solid var(--rule)}
table.evid td{text-align:right;padding:1px 0 1px 12px}
table.evid th:first-child,table.evid td:first-child{text-align:left;padding-left:0}
.note{color:var(--muted)}
#tip{position:absolute;z-index:5;max-width:440px;background:#fff;border:1px solid #9aa0a8;border-radius:6px;box-shadow:0 4px 18px rgba(0,0,0,.18);padding:10px 12px;font-size:13px}
#tip[hidden]{display:none}
#tip .head{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin-bottom:4px}
#tip .type{font-weight:600;color:var(--muted)}#tip .msg{margin:4px 0;font-weight:600}#tip .why{margin:0 0 6px}
#tip .close{margin-left:auto;border:0;background:none;font-size:16px;cursor:pointer;color:var(--muted)}
footer{margin-top:28px;color:var(--muted);font-size:12px}
@media print{.readout,#tip{display:none}}
)css";

// Draws the charts from #report-data into the chart containers. Vanilla JS, no
// libraries, no network: supervisors open reports offline.
constexpr std::string_view kScript = R"js(
(function () {
  "use strict";
  var body = document.body;
  function fail(message) { body.dataset.renderError = String(message); delete body.dataset.rendered; }
  window.addEventListener("error", function (e) { fail(e.message || "script error"); });

  var NS = "http://www.w3.org/2000/svg";
  var LEFT = 64, RIGHT = 18, STRIP = 26, AXIS = 20;
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var ui = data.ui || {};
  var events = data.events || [];
  // Speakers in channel order (the series object's keys come sorted).
  var roles = (data.speakers || []).map(function (s) { return s.role; })
    .filter(function (r) { return data.series && data.series[r] && data.series[r].time_s.length > 0; });
  var duration = Math.max(1, data.duration_s || 0);
  roles.forEach(function (r) { var t = data.series[r].time_s; duration = Math.max(duration, t[t.length - 1] || 0); });
  var tip = document.getElementById("tip");
  var readout = document.getElementById("readout");
  var readoutIdle = readout ? readout.textContent : "";
  var charts = [];     // {svg, x, cursor} per drawn chart, for the shared cursor
  var pinned = null;   // index of the event whose details stay open

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(name, cls, text, parent) {
    var e = document.createElement(name);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function finite(v) { return typeof v === "number" && isFinite(v); }
  function clock(t) {
    t = Math.max(0, Math.floor(t));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }
  function fmt(v) {
    if (!finite(v)) return "\u2014";
    var a = Math.abs(v);
    return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
  }
  function niceStep(span, count) {
    var raw = span / Math.max(1, count), p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  }
  function words(s) { return String(s || "").replace(/_/g, " "); }

  function frame(id, height, extraClass) {
    var box = document.getElementById(id);
    box.textContent = "";
    var width = Math.max(520, Math.floor(box.clientWidth || 0));
    var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
                          "class": extraClass || "", role: "img" }, box);
    var plotW = width - LEFT - RIGHT;
    var x = function (t) { return LEFT + Math.max(0, Math.min(1, t / duration)) * plotW; };
    var c = { id: id, svg: svg, width: width, height: height, x: x, plotW: plotW };
    return c;
  }

  function timeAxis(c, top, bottom, labels) {
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; ++i) { if (steps[i] * c.plotW / duration >= 70) { step = steps[i]; break; } }
    var g = el("g", {}, c.svg);
    for (var t = 0; t <= duration + 1e-9; t += step) {
      var xx = c.x(t).toFixed(1);
      el("line", { x1: xx, x2: xx, y1: top, y2: bottom, "class": "grid" }, g);
      if (labels) el("text", { x: xx, y: bottom + 14, "text-anchor": "middle", "class": "tick" }, g).textContent = clock(t);
    }
    el("line", { x1: LEFT, x2: LEFT + c.plotW, y1: bottom, y2: bottom, "class": "axis" }, g);
  }

  function stageBands(c, top, height) {
    var g = el("g", {}, c.svg);
    (data.stages || []).forEach(function (s) {
      var x0 = c.x(s.start_s), x1 = c.x(s.end_s);
      if (!(x1 > x0)) return;
      el("rect", { x: x0.toFixed(1), y: top, width: (x1 - x0).toFixed(1), height: height, "class": "band st-" + s.stage }, g)
        .appendChild(el("title", {})).textContent = s.stage + " " + clock(s.start_s) + "\u2013" + clock(s.end_s);
    });
  }

  function linePath(ts, vs, x, y) {
    var d = [], pen = false;
    for (var i = 0; i < ts.length; ++i) {
      var v = vs[i];
      if (!finite(v)) { pen = false; continue; }
      d.push((pen ? "L" : "M") + x(ts[i]).toFixed(1) + " " + y(v).toFixed(1));
      pen = true;
    }
    return d.join("");
  }

  function extent(field) {
    var lo = Infinity, hi = -Infinity;
    roles.forEach(function (r) {
      data.series[r][field].forEach(function (v) { if (finite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } });
    });
    return [lo, hi];
  }

  function cursorLine(c, top, bottom) {
    c.cursor = el("line", { x1: 0, x2: 0, y1: top, y2: bottom, "class": "cursor", visibility: "hidden" }, c.svg);
    c.svg.addEventListener("mousemove", function (e) {
      var r = c.svg.getBoundingClientRect();
      var t = (e.clientX - r.left - LEFT) / c.plotW * duration;
      if (t < 0 || t > duration) { hideCursor(); return; }
      showCursor(t);
    });
    c.svg.addEventListener("mouseleave", hideCursor);
    charts.push(c);
  }

  // One chart of a per-second feature, every speaker on the same axes.
  function lineChart(id, field, opts) {
    var top = opts.markers ? STRIP : 8, plotH = opts.plotH;
    var c = frame(id, top + plotH + AXIS, opts.faint ? "faint" : "");
    var y0 = top + plotH;
    var lo, hi, noData = false;
    if (opts.domain) { lo = opts.domain[0]; hi = opts.domain[1]; }
    else {
      var e = extent(field); lo = e[0]; hi = e[1];
      if (!finite(lo)) { lo = 0; hi = 1; noData = true; }
      if (hi - lo < opts.minSpan) { var mid = (hi + lo) / 2; lo = mid - opts.minSpan / 2; hi = mid + opts.minSpan / 2; }
      var step0 = niceStep(hi - lo, 3);
      lo = Math.floor(lo / step0) * step0; hi = Math.ceil(hi / step0) * step0;
    }
    var y = function (v) { return y0 - (v - lo) / (hi - lo) * plotH; };
    stageBands(c, top, plotH);
    var g = el("g", {}, c.svg);
    var step = niceStep(hi - lo, opts.ticks || 3);
    for (var v = lo; v <= hi + step * 1e-6; v += step) {
      var yy = y(v).toFixed(1);
      el("line", { x1: LEFT, x2: LEFT + c.plotW, y1: yy, y2: yy, "class": "grid" }, g);
      el("text", { x: LEFT - 6, y: +yy + 4, "class": "ylab" }, g).textContent = +v.toFixed(2);
    }
    timeAxis(c, top, y0, true);
    if (opts.score) {
      roles.forEach(function (r) {
        var s = data.series[r];
        var vs = s.score.map(function (v, i) { return s.scored[i] ? v : null; });
        el("path", { d: linePath(s.time_s, vs, c.x, y), "class": "sc " + r }, c.svg);
      });
    }
    roles.forEach(function (r) {
      var s = data.series[r];
      el("path", { d: linePath(s.time_s, s[field], c.x, y), "class": "ln " + r }, c.svg)
        .appendChild(el("title", {})).textContent = r;
    });
    if (noData) el("text", { x: LEFT + c.plotW / 2, y: top + plotH / 2, "class": "nodata" }, c.svg).textContent = "not measured";
    cursorLine(c, top, y0);
    c.top = top; c.bottom = y0;
    return c;
  }

  function turnsChart() {
    var rows = roles.map(function (r) { return { label: r, kind: "speech", role: r }; })
      .concat([{ label: "talk-over", kind: "overlap" }, { label: "silence", kind: "silence" }]);
    var rowH = 18, gap = 4, top = STRIP;
    var bottom = top + rows.length * (rowH + gap);
    var c = frame("chart-turns", bottom + AXIS);
    timeAxis(c, top, bottom, true);
    rows.forEach(function (row, k) {
      var y = top + k * (rowH + gap) + gap / 2;
      el("rect", { x: LEFT, y: y, width: c.plotW, height: rowH, "class": "lane" }, c.svg);
      el("text", { x: LEFT - 6, y: y + rowH / 2 + 4, "class": "rowlab" }, c.svg).textContent = row.label;
      if (row.kind === "speech") {
        // Voice-active share of the summary window, as a step area.
        var s = data.series[row.role], d = [], base = (y + rowH).toFixed(1);
        for (var i = 0; i < s.time_s.length; ++i) {
          var share = finite(s.speech_s[i]) ? Math.max(0, Math.min(1, s.speech_s[i] / (ui.speech_window_s || 3))) : 0;
          var t1 = s.time_s[i], t0 = i > 0 ? s.time_s[i - 1] : Math.max(0, t1 - 1);
          var top1 = (y + rowH - share * rowH).toFixed(1);
          d.push((i === 0 ? "M" + c.x(t0).toFixed(1) + " " + base + "L" : "L") + c.x(t0).toFixed(1) + " " + top1 +
                 "L" + c.x(t1).toFixed(1) + " " + top1);
        }
        if (d.length) el("path", { d: d.join("") + "L" + c.x(s.time_s[s.time_s.length - 1]).toFixed(1) + " " + base + "Z",
                                   "class": "act " + row.role }, c.svg);
      } else {
        var list = row.kind === "overlap" ? data.overlaps : data.silences;
        (list || []).forEach(function (iv) {
          var x0 = c.x(iv.start_s), x1 = c.x(iv.end_s);
          el("rect", { x: x0.toFixed(1), y: y + 2, width: Math.max(1.5, x1 - x0).toFixed(1), height: rowH - 4,
                       "class": row.kind === "overlap" ? "ovl" : "sil" }, c.svg)
            .appendChild(el("title", {})).textContent = row.label + " " + clock(iv.start_s) + ", " +
              (iv.end_s - iv.start_s).toFixed(1) + " s";
        });
      }
    });
    cursorLine(c, top, bottom);
    c.top = top; c.bottom = bottom;
    return c;
  }

  // ---- markers and their details ----
  function markers(c, chartName) {
    var g = el("g", {}, c.svg);
    var lastX = -1e9, row = 0;
    (ui.marks || []).forEach(function (m) {
      if (m[1] !== chartName) return;
      var i = m[0], ev = events[i];
      if (!ev || !finite(ev.time_s)) return;
      var x = c.x(ev.time_s);
      row = x - lastX < 13 ? (row + 1) % 2 : 0;
      lastX = x;
      var cy = row ? 19 : 8, alert = ev.kind === "alert";
      var mk = el("g", { "class": "mk sev-" + ev.severity + " kind-" + ev.kind, tabindex: 0, role: "button",
                         "data-ev": i, "aria-label": clock(ev.time_s) + " " + words(ev.type) + ": " + ev.message }, g);
      el("line", { x1: x.toFixed(1), x2: x.toFixed(1), y1: cy + 6, y2: c.bottom, "class": "guide" }, mk);
      el("rect", { x: (x - 8).toFixed(1), y: cy - 8, width: 16, height: 16, "class": "hit" }, mk);
      var r = alert ? 7 : 5.5, d;
      if (ev.severity === "critical") d = "M" + (x - r) + " " + (cy - r + 1) + "L" + (x + r) + " " + (cy - r + 1) + "L" + x + " " + (cy + r) + "Z";
      else if (ev.severity === "warning") d = "M" + x + " " + (cy - r) + "L" + (x + r) + " " + cy + "L" + x + " " + (cy + r) + "L" + (x - r) + " " + cy + "Z";
      else d = "M" + (x - r * 0.8) + " " + cy + "a" + r * 0.8 + " " + r * 0.8 + " 0 1 0 " + r * 1.6 + " 0a" + r * 0.8 + " " + r * 0.8 + " 0 1 0 " + (-r * 1.6) + " 0";
      el("path", { d: d, "class": "shape" }, mk);
      mk.addEventListener("mouseenter", function () { if (pinned === null) showTip(i, mk); });
      mk.addEventListener("mouseleave", function () { if (pinned === null) hideTip(); });
      mk.addEventListener("focus", function () { if (pinned === null) showTip(i, mk); });
      mk.addEventListener("blur", function () { if (pinned === null) hideTip(); });
      mk.addEventListener("click", function (e) { e.stopPropagation(); togglePin(i, mk); });
      mk.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); togglePin(i, mk); }
      });
    });
  }

  function markerOf(i) { return document.querySelector('.mk[data-ev="' + i + '"]'); }
  function togglePin(i, mk) {
    if (pinned === i) { pinned = null; hideTip(); return; }
    pinned = i; showTip(i, mk);
  }
  function highlightRow(i) {
    Array.prototype.forEach.call(document.querySelectorAll("tr.hl"), function (tr) { tr.classList.remove("hl"); });
    Array.prototype.forEach.call(document.querySelectorAll(".mk.on"), function (m) { m.classList.remove("on"); });
    if (i === null) return;
    var row = document.getElementById("ev-" + i);
    if (row) row.classList.add("hl");
    var mk = markerOf(i);
    if (mk) mk.classList.add("on");
  }
  function hideTip() { tip.hidden = true; tip.textContent = ""; highlightRow(null); }

  function evidenceTable(evidence, parent) {
    var t = html("table", "evid", null, parent);
    var hr = html("tr", null, null, html("thead", null, null, t));
    ["feature", "value", "baseline", "deviation", "since"].forEach(function (h) { html("th", null, h, hr); });
    var tb = html("tbody", null, null, t);
    evidence.forEach(function (x) {
      var tr = html("tr", null, null, tb);
      var f = html("td", null, (ui.features || {})[x.feature] || words(x.feature), tr);
      f.title = x.feature;
      html("td", null, fmt(x.value), tr);
      html("td", null, fmt(x.baseline), tr);
      html("td", null, finite(x.deviation) ? (x.deviation >= 0 ? "+" : "") + x.deviation.toFixed(1) : "\u2014", tr);
      html("td", null, finite(x.since_s) ? clock(x.since_s) : "\u2014", tr);
    });
    return t;
  }

  function showTip(i, anchor) {
    var ev = events[i];
    tip.textContent = "";
    var head = html("div", "head", null, tip);
    html("span", "badge " + ev.severity, ev.severity, head);
    if (ev.kind === "alert") html("span", "badge alert", "alert", head);
    html("span", null, clock(ev.time_s) + (ev.speaker ? " \u00b7 " + ev.speaker : ""), head);
    if (pinned === i) {
      var close = html("button", "close", "\u00d7", head);
      close.setAttribute("aria-label", "close");
      close.addEventListener("click", function (e) { e.stopPropagation(); pinned = null; hideTip(); });
    }
    html("div", "type", words(ev.type) + (ev.details && ev.details.reason ? ": " + words(ev.details.reason) : ""), tip);
    html("p", "msg", ev.message, tip);
    var why = (ui.explanations || [])[i];
    if (why) html("p", "why", why, tip);
    if (ev.evidence && ev.evidence.length) evidenceTable(ev.evidence, tip);
    tip.hidden = false;
    var r = anchor.getBoundingClientRect(), w = tip.offsetWidth;
    var left = Math.max(8, Math.min(window.innerWidth - w - 8, r.left + r.width / 2 - w / 2));
    tip.style.left = (left + window.scrollX) + "px";
    tip.style.top = (r.top + window.scrollY + 22) + "px";
    highlightRow(i);
  }

  // ---- the shared cursor and readout ----
  function nearest(ts, t) {
    var lo = 0, hi = ts.length - 1;
    if (hi < 0) return -1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (ts[mid] < t) lo = mid; else hi = mid; }
    return Math.abs(ts[lo] - t) <= Math.abs(ts[hi] - t) ? lo : hi;
  }
  function stageAt(t) {
    var st = data.stages || [];
    for (var k = 0; k < st.length; ++k) if (t >= st[k].start_s && t < st[k].end_s) return st[k].stage;
    return st.length ? st[st.length - 1].stage : "";
  }
  function showCursor(t) {
    charts.forEach(function (c) {
      var xx = c.x(t).toFixed(1);
      c.cursor.setAttribute("x1", xx); c.cursor.setAttribute("x2", xx); c.cursor.setAttribute("visibility", "visible");
    });
    if (!readout) return;
    readout.textContent = "";
    html("b", null, clock(t), readout);
    readout.appendChild(document.createTextNode(" \u00b7 " + stageAt(t)));
    roles.forEach(function (r) {
      var s = data.series[r], i = nearest(s.time_s, t);
      if (i < 0) return;
      var parts = ["agitation " + fmt(s.agitation[i]) + (s.scored[i] ? "" : " (not scored)"),
                   finite(s.loudness_db[i]) ? s.loudness_db[i].toFixed(0) + " dB" : "\u2014 dB",
                   finite(s.f0_median_hz[i]) ? s.f0_median_hz[i].toFixed(0) + " Hz" : "\u2014 Hz",
                   finite(s.speaking_rate_syl_per_s[i]) ? s.speaking_rate_syl_per_s[i].toFixed(1) + " syl/s" : "\u2014 syl/s"];
      readout.appendChild(document.createTextNode(" \u2003 "));
      html("span", r, r + ": " + parts.join(", "), readout);
    });
  }
  function hideCursor() {
    charts.forEach(function (c) { c.cursor.setAttribute("visibility", "hidden"); });
    if (readout) readout.textContent = readoutIdle;
  }

  function draw() {
    charts = [];
    pinned = null;
    hideTip();
    var ag = lineChart("chart-agitation", "agitation", { plotH: 150, domain: [0, 1], ticks: 4, markers: true, score: true });
    markers(ag, "agitation");
    lineChart("chart-loudness", "loudness_db", { plotH: 90, minSpan: 6, faint: true });
    lineChart("chart-f0", "f0_median_hz", { plotH: 90, minSpan: 20, faint: true });
    lineChart("chart-rate", "speaking_rate_syl_per_s", { plotH: 90, minSpan: 1, faint: true });
    markers(turnsChart(), "turns");
  }

  function render() {
    try {
      draw();
      if (!body.dataset.renderError) body.dataset.rendered = "ok";
    } catch (e) {
      fail(e && e.message ? e.message : e);
      if (window.console) console.error(e);
    }
  }

  document.addEventListener("click", function (e) {
    if (pinned !== null && !tip.contains(e.target)) { pinned = null; hideTip(); }
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { pinned = null; hideTip(); } });
  Array.prototype.forEach.call(document.querySelectorAll("a[data-ev]"), function (a) {
    a.addEventListener("click", function (e) {
      var i = +a.getAttribute("data-ev"), mk = markerOf(i);
      if (!mk) return;
      e.preventDefault();
      e.stopPropagation();
      mk.closest(".chart").scrollIntoView({ block: "center" });
      pinned = i; showTip(i, mk);
    });
  });
  // A long call has many routine events: let the reader keep only what needs attention.
  var table = document.getElementById("event-table");
  if (table) {
    var label = document.createElement("label");
    label.className = "filter";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = "only-important";
    label.appendChild(box);
    label.appendChild(document.createTextNode(" only alerts, warnings and critical events"));
    box.addEventListener("change", function () { table.classList.toggle("only-important", box.checked); });
    table.parentNode.insertBefore(label, table);
  }
  var resizeTimer = 0, lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(render, 150);
  });
  render();
})();
)js";

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
  out += R"html(<section class="charts" aria-label="Timeline of the call">
<div class="legend" aria-label="Legend">
<span><i class="sw st-calm"></i>calm</span><span><i class="sw st-escalating"></i>escalating</span>
<span><i class="sw st-venting"></i>venting</span><span><i class="sw st-disarming"></i>disarming</span>
<span><svg width="28" height="10" aria-hidden="true"><line x1="1" x2="27" y1="5" y2="5" stroke="#1d1f23" stroke-width="2"/></svg>caller</span>
<span><svg width="28" height="10" aria-hidden="true"><line x1="1" x2="27" y1="5" y2="5" stroke="#0072b2" stroke-width="2" stroke-dasharray="6 3"/></svg>agent</span>
<span><svg width="14" height="14" aria-hidden="true"><path d="M1 2H13L7 13Z" fill="#d55e00" stroke="#1d1f23"/></svg>critical</span>
<span><svg width="14" height="14" aria-hidden="true"><path d="M7 1L13 7L7 13L1 7Z" fill="#e69f00" stroke="#1d1f23"/></svg>warning</span>
<span><i class="sw ov"></i>talk-over</span><span><i class="sw si"></i>silence</span>
</div>
<div class="readout" id="readout">Point at a chart to read every value at that second; click a marker for its evidence.</div>
<noscript><p class="note">The charts need JavaScript. The summary above and the table of events below do not.</p></noscript>
<figure><figcaption>Agitation <small>0&ndash;1, smoothed (thin: each window&rsquo;s score); stage bands behind; markers: alerts and warnings</small></figcaption><div class="chart" id="chart-agitation"></div></figure>
<figure><figcaption>Loudness <small>dB</small></figcaption><div class="chart" id="chart-loudness"></div></figure>
<figure><figcaption>Pitch <small>median F0, Hz</small></figcaption><div class="chart" id="chart-f0"></div></figure>
<figure><figcaption>Speaking rate <small>syllables per second</small></figcaption><div class="chart" id="chart-rate"></div></figure>
<figure><figcaption>Turn taking <small>speech activity, talk-over and silences; markers: interruptions, dead air, monologues</small></figcaption><div class="chart" id="chart-turns"></div></figure>
</section>
)html";
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

std::string call_verdict(const CallTimeline& t) {
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
  if (first_escalation_s < 0.0) {
    text = "No escalation";
  } else {
    text = "Escalated at " + format_clock(first_escalation_s);
    const double venting_s = stage_seconds(t, detect::Stage::venting);
    if (venting_s > 0.0) text += ", caller vented " + format_span(venting_s);
    const detect::Stage end_stage = final_stage(t);
    if (end_stage == detect::Stage::calm) {
      if (t.time_to_calm_s >= 0.0) text += ", calm again after " + format_span(t.time_to_calm_s);
    } else if (t.time_to_calm_s >= 0.0) {
      text += ", calm after " + format_span(t.time_to_calm_s) + " but " + std::string(detect::to_string(end_stage)) +
              " at the end";
    } else {
      text += ", still " + std::string(detect::to_string(end_stage)) + " at the end";
    }
    text += "; " + plural(t.relapses, "relapse");
  }
  text += "; " + plural(alerts, "alert");
  return text;
}

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

std::string call_report_html(const CallTimeline& t, const json& call_summary) {
  json data = call_report_json(t, call_summary);
  std::string out;
  out.reserve(64 * 1024 + t.caller.size() * 160 + t.agent.size() * 160 + t.events.size() * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"tonewatch\">\n<title>";
  out += html_escape("Call " + data.value("call", std::string()) + " \u2014 tonewatch report");
  out += "</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n<main>\n";
  append_header(out, t, data);
  append_charts(out);
  append_events(out, t);
  out += "<footer>tonewatch call report, format version " + std::to_string(kReportVersion) +
         ". Scores compare each speaker with their own baseline; they are indicators, not judgements.</footer>\n";
  out += "</main>\n<div id=\"tip\" role=\"dialog\" aria-live=\"polite\" hidden></div>\n";

  // What only the page needs: readable feature names, an explanation per event,
  // and where each marker goes (the same rule as the table's links).
  json features = json::object();
  for (const FeatureLabel& f : kFeatureLabels) features[std::string(f.feature)] = std::string(f.label);
  json explanations = json::array(), marks = json::array();
  for (std::size_t i = 0; i < t.events.size(); ++i) {
    explanations.push_back(explanation(t.events[i]));
    const std::string_view chart = marker_chart(t.events[i]);
    if (!chart.empty()) marks.push_back({i, std::string(chart)});
  }
  data["ui"] = {{"features", std::move(features)},
                {"explanations", std::move(explanations)},
                {"marks", std::move(marks)},
                {"speech_window_s", kSpeechWindow_s}};
  out += "<script type=\"application/json\" id=\"report-data\">";
  out += script_safe_json(data);
  out += "</script>\n<script>";
  out += kScript;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace tw::report
