#include "app/live_view.h"

#include <algorithm>
#include <cstdio>

#include "detect/prosody_vector.h"

namespace tw::app {
namespace {

// The meter falls 30 dB a second (0.3 dB a 10 ms hop): a peak meter's usual
// release, slow enough to read and quick enough to follow turns.
constexpr float kMeterFallDbPerHop = 0.3f;
constexpr float kMeterFloorDb = -70.0f;
constexpr double kPublishPeriodS = 0.1;

bool is_agent_flag(const std::string& type) {
  return type == "agent_raised_voice" || type == "agent_fast_speech" || type == "agent_slow_speech" ||
         type == "agent_monotone" || type == "agent_monologue";
}

std::string text(const char* pattern, double a, double b = 0.0, double c = 0.0) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, pattern, a, b, c);
  return buffer;
}

std::string clock(double seconds) {
  const auto s = static_cast<long>(std::max(0.0, seconds));
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  return buffer;
}

const detect::Evidence* find(const std::vector<detect::Evidence>& evidence, const std::string& feature) {
  for (const detect::Evidence& e : evidence) {
    if (e.feature == feature) return &e;
  }
  return nullptr;
}

// "loudness 71.2 dB (baseline 64.0, +2.8)" — the evidence a supervisor reads.
std::string evidence_text(const detect::Evidence& x) {
  std::string label = x.feature, unit;
  for (std::size_t i = 0; i < detect::kProsodyCount; ++i) {
    if (detect::kProsodyNames[i] == x.feature) {
      label = detect::kProsodyLabels[i];
      unit = detect::kProsodyUnits[i];
    }
  }
  std::string out = label + " " + (std::isfinite(x.value) ? text("%.2g", x.value) : std::string("-"));
  if (std::isfinite(x.value) && std::fabs(x.value) >= 10.0f) out = label + " " + text("%.1f", x.value);
  if (!unit.empty()) out += " " + unit;
  if (std::isfinite(x.baseline)) {
    out += " (baseline " + text("%.1f", x.baseline);
    if (std::isfinite(x.deviation)) out += text(", %+.1f", x.deviation);
    out += ")";
  }
  return out;
}

std::string fit(std::string line, int width) {
  if (width > 4 && static_cast<int>(line.size()) > width) line = line.substr(0, static_cast<std::size_t>(width - 1)) + "~";
  return line;
}

std::string meter(float db, int cells) {
  const float fraction = std::clamp((db - kMeterFloorDb) / -kMeterFloorDb, 0.0f, 1.0f);
  const int full = static_cast<int>(std::lround(fraction * static_cast<float>(cells)));
  return "[" + std::string(static_cast<std::size_t>(full), '#') + std::string(static_cast<std::size_t>(cells - full), '.') + "]";
}

std::string number(float value, const char* pattern) {
  return std::isfinite(value) ? text(pattern, value) : std::string("-");
}

}  // namespace

LiveView::LiveView(std::string call_id, std::string source, const std::vector<features::SpeakerRole>& roles) {
  working_.call_id = std::move(call_id);
  working_.source = std::move(source);
  for (features::SpeakerRole role : roles) speaker(role).present = true;
  shared_ = working_;
}

void LiveView::on_hop(features::SpeakerRole role, const features::HopFeatures& hop) {
  SpeakerView& s = speaker(role);
  s.meter_db = std::max(hop.level_dbfs, s.meter_db - kMeterFallDbPerHop);
  s.speaking = hop.vad;
}

void LiveView::on_event(const alerts::Event& event) {
  if (is_agent_flag(event.type)) {
    auto open = std::find_if(working_.agent_flags.begin(), working_.agent_flags.end(),
                             [&](const AgentFlag& f) { return f.type == event.type; });
    if (event.state == alerts::EventState::closed) {
      if (open != working_.agent_flags.end()) working_.agent_flags.erase(open);
    } else if (open == working_.agent_flags.end()) {
      working_.agent_flags.push_back({event.type, event.since_s, event.evidence});
    } else {
      open->evidence = event.evidence;
    }
  }
  const bool worth_showing = event.kind == alerts::EventKind::alert ||
                             (event.severity != alerts::Severity::info && event.state != alerts::EventState::closed);
  if (worth_showing) {
    working_.recent.push_front(event);
    if (working_.recent.size() > kRecentEvents) working_.recent.pop_back();
  }
}

void LiveView::publish(const pipeline::CallSession& session, const LiveViewCounters& counters, bool force) {
  const double now_s = session.duration_s();
  if (!force && published_s_ >= 0.0 && now_s - published_s_ < kPublishPeriodS) return;
  published_s_ = now_s;
  working_.duration_s = now_s;
  working_.stage = std::string(detect::to_string(session.stage()));
  const pipeline::CallTimeline& t = session.timeline();
  working_.stage_since_s = t.stages.empty() ? 0.0 : t.stages.back().start_s;
  auto copy = [](const std::vector<pipeline::SpeakerSecond>& seconds, SpeakerView& view) {
    if (seconds.empty()) return;
    const pipeline::SpeakerSecond& s = seconds.back();
    view.f0_hz = s.f0_median_hz;
    view.rate_syl_per_s = s.speaking_rate_syl_per_s;
    view.agitation = s.scored ? s.agitation : NAN;
    view.baseline_established = s.baseline_established;
  };
  copy(t.caller, working_.caller);
  copy(t.agent, working_.agent);
  working_.lost_frames = counters.lost_frames;
  working_.underrun_frames = counters.underrun_frames;
  working_.host_overflows = counters.host_overflows;
  working_.host_underflows = counters.host_underflows;
  working_.drift_ppm = counters.drift_ppm;
  working_.drift_corrected = counters.drift_corrected;
  std::lock_guard<std::mutex> lock(mutex_);
  shared_ = working_;
}

void LiveView::end(const std::string& why) {
  working_.ended = why;
  std::lock_guard<std::mutex> lock(mutex_);
  shared_ = working_;
}

LiveViewState LiveView::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shared_;
}

std::string coaching_line(const AgentFlag& flag) {
  const detect::Evidence* rate = find(flag.evidence, "speaking_rate_syl_per_s");
  const detect::Evidence* caller_rate = find(flag.evidence, "caller_speaking_rate_syl_per_s");
  std::string line;
  if (flag.type == "agent_fast_speech" || flag.type == "agent_slow_speech") {
    const bool fast = flag.type == "agent_fast_speech";
    const bool versus_caller = caller_rate != nullptr && std::isfinite(caller_rate->value);
    line = std::string("you are speaking ") + (fast ? "faster" : "slower") + (versus_caller ? " than the caller" : " than usual");
    if (rate != nullptr && std::isfinite(rate->value)) {
      line += text(": %.1f syl/s", rate->value);
      if (std::isfinite(rate->baseline)) line += text(", your usual %.1f", rate->baseline);
    }
    if (versus_caller) line += text(", the caller %.1f", caller_rate->value);
    line += fast ? " - slow down" : "";
  } else if (flag.type == "agent_raised_voice") {
    line = "your voice is raised";
    std::string detail;
    for (const detect::Evidence& x : flag.evidence) {
      if (std::isfinite(x.deviation)) detail += (detail.empty() ? "" : ", ") + evidence_text(x);
    }
    if (!detail.empty()) line += ": " + detail;
    line += " - lower it";
  } else if (flag.type == "agent_monotone") {
    line = "you sound monotone: little pitch and loudness movement for a while";
  } else if (flag.type == "agent_monologue") {
    const detect::Evidence* turn = find(flag.evidence, "agent_turn_s");
    line = "you have held the floor";
    if (turn != nullptr && std::isfinite(turn->value)) line += text(" for %.0f s", turn->value);
    line += " - let the caller speak";
  } else {
    line = flag.type;
  }
  return line + " (since " + clock(flag.since_s) + ")";
}

std::string render_live_view(const LiveViewState& s, int width, bool color) {
  const char* bold = color ? "\x1b[1m" : "";
  const char* red = color ? "\x1b[1;31m" : "";
  const char* yellow = color ? "\x1b[33m" : "";
  const char* plain = color ? "\x1b[0m" : "";
  std::string out;
  auto line = [&](const std::string& l, const char* style = "") {
    const std::string fitted = fit(l, width);
    out += *style != '\0' ? style + fitted + plain : fitted;
    out += "\n";
  };
  std::string stage = s.stage;
  std::transform(stage.begin(), stage.end(), stage.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  line("tonewatch live  call " + s.call_id + "  " + clock(s.duration_s) + "  stage: " + stage + " since " +
           clock(s.stage_since_s) + (s.ended.empty() ? "" : "  [ended: " + s.ended + "]"),
       bold);
  std::string health = "overflow " + std::to_string(s.lost_frames) + " frames, underrun " +
                       std::to_string(s.underrun_frames) + " frames, host flags " + std::to_string(s.host_overflows) +
                       " overflow / " + std::to_string(s.host_underflows) + " underflow";
  if (std::isfinite(s.drift_ppm)) health += text(", drift %+.0f ppm", s.drift_ppm) + (s.drift_corrected ? " (followed)" : "");
  line(s.source);
  line(health, s.lost_frames + s.underrun_frames + s.host_overflows > 0 ? yellow : "");
  line("");
  char header[160];
  std::snprintf(header, sizeof header, "%-7s %-22s %7s %1s %9s %11s  %s", "speaker", "level", "", "", "F0", "rate",
                "agitation");
  line(header);
  for (const auto& [name, v] : {std::pair<const char*, const SpeakerView&>{"caller", s.caller}, {"agent", s.agent}}) {
    if (!v.present) continue;
    std::string agitation = std::isfinite(v.agitation) ? text("%.2f", v.agitation) : std::string("-");
    if (!v.baseline_established) agitation += " (learning baseline)";
    char row[256];
    std::snprintf(row, sizeof row, "%-7s %s %4s dB %c %6s Hz %5s syl/s  %s", name, meter(v.meter_db, 20).c_str(),
                  v.meter_db > kMeterFloorDb ? text("%.0f", v.meter_db).c_str() : "-", v.speaking ? '*' : ' ',
                  number(v.f0_hz, "%.0f").c_str(), number(v.rate_syl_per_s, "%.1f").c_str(), agitation.c_str());
    line(row, std::isfinite(v.agitation) && v.agitation >= 0.6f ? red : "");
  }
  line("");
  if (s.agent.present) {
    if (s.agent_flags.empty()) {
      line("agent: no flags");
    } else {
      for (const AgentFlag& f : s.agent_flags) line("agent: > " + coaching_line(f), yellow);
    }
    line("");
  }
  line("last alerts", bold);
  if (s.recent.empty()) line("  none yet");
  for (const alerts::Event& e : s.recent) {
    const bool alert = e.kind == alerts::EventKind::alert;
    std::string head = "  " + clock(e.time_s) + "  " + (alert ? "ALERT " : "") + e.type;
    if (!e.speaker.empty()) head += " (" + e.speaker + ")";
    if (!e.message.empty()) head += ": " + e.message;
    line(head, alert ? red : yellow);
    std::string evidence;
    for (std::size_t i = 0; i < e.evidence.size() && i < 3; ++i) evidence += (i ? "; " : "") + evidence_text(e.evidence[i]);
    if (!evidence.empty()) line("          evidence: " + evidence);
  }
  line("");
  line(s.ended.empty() ? "Ctrl-C ends the call and writes its report" : "writing the report ...");
  return out;
}

}  // namespace tw::app
