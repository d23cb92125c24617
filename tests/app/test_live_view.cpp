// The terminal view of `tonewatch live`: what it shows for a known state, and how
// it follows the events of a call.

#include <catch2/catch.hpp>

#include <sstream>

#include "app/live_view.h"

using tw::alerts::Event;
using tw::alerts::EventKind;
using tw::alerts::EventState;
using tw::alerts::Severity;

namespace {

Event event(double t, const std::string& type, EventState state, Severity severity, EventKind kind = EventKind::event) {
  Event e;
  e.call_id = "c1";
  e.time_s = t;
  e.type = type;
  e.state = state;
  e.severity = severity;
  e.kind = kind;
  e.since_s = t - 5.0;
  return e;
}

std::vector<std::string> lines_of(const std::string& frame) {
  std::vector<std::string> lines;
  std::istringstream in(frame);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace

TEST_CASE("the live view shows stage and speakers and agent coaching and alerts with evidence", "[app][view]") {
  tw::app::LiveViewState s;
  s.call_id = "live-1";
  s.source = "'pulse' (ALSA, device 3) 8000 Hz, left caller, right agent";
  s.duration_s = 95.4;
  s.stage = "venting";
  s.stage_since_s = 61.0;
  s.caller = {true, -20.0f, true, 182.0f, 5.6f, 0.81f, true};
  s.agent = {true, -45.0f, false, 210.0f, 6.1f, 0.2f, true};
  s.agent_flags.push_back({"agent_fast_speech", 80.0,
                           {{"speaking_rate_syl_per_s", 6.1f, 4.5f, 2.3f, 80.0}, {"caller_speaking_rate_syl_per_s", 3.9f, NAN, NAN, 80.0}}});
  Event alert = event(90.0, "supervisor_alert", EventState::instant, Severity::critical, EventKind::alert);
  alert.speaker = "agent";
  alert.message = "agent raised their voice at the venting caller";
  alert.evidence = {{"loudness_db", 71.2f, 64.0f, 2.8f, 85.0}};
  s.recent.push_front(alert);
  s.lost_frames = 12;
  s.drift_ppm = 42.0;
  s.drift_corrected = true;

  const std::string frame = tw::app::render_live_view(s, 100, false);
  INFO(frame);
  CHECK(frame.find("call live-1  1:35  stage: VENTING since 1:01") != std::string::npos);
  CHECK(frame.find("overflow 12 frames") != std::string::npos);
  CHECK(frame.find("drift +42 ppm (followed)") != std::string::npos);
  CHECK(frame.find("you are speaking faster than the caller: 6.1 syl/s, your usual 4.5, the caller 3.9") !=
        std::string::npos);
  CHECK(frame.find("1:30  ALERT supervisor_alert (agent): agent raised their voice at the venting caller") !=
        std::string::npos);
  CHECK(frame.find("evidence: loudness 71.2 dB (baseline 64.0, +2.8)") != std::string::npos);
  CHECK(frame.find("182 Hz") != std::string::npos);
  CHECK(frame.find("5.6 syl/s") != std::string::npos);
  CHECK(frame.find("0.81") != std::string::npos);
  // The meters: -20 dB fills 50/70 of 20 cells, -45 dB 25/70.
  CHECK(frame.find("[##############......]") != std::string::npos);
  CHECK(frame.find("[#######.............]") != std::string::npos);
  for (const std::string& l : lines_of(frame)) CHECK(l.size() <= 100);
  // Narrow terminals get cut lines, never wrapped ones; colour adds escapes only.
  for (const std::string& l : lines_of(tw::app::render_live_view(s, 50, false))) CHECK(l.size() <= 50);
  CHECK(tw::app::render_live_view(s, 100, true).find("\x1b[1;31m") != std::string::npos);
  CHECK(tw::app::render_live_view(s, 100, false).find('\x1b') == std::string::npos);
}

TEST_CASE("the live view follows the call's events / open agent flags and the last alerts newest first",
          "[app][view]") {
  tw::app::LiveView view("c1", "test", {tw::features::SpeakerRole::caller, tw::features::SpeakerRole::agent});
  Event fast = event(20.0, "agent_fast_speech", EventState::opened, Severity::warning);
  view.on_event(fast);
  view.on_event(event(21.0, "agent_monotone", EventState::opened, Severity::warning));
  view.on_event(event(22.0, "interruption", EventState::instant, Severity::info));  // info: not shown
  view.on_event(event(30.0, "agent_fast_speech", EventState::closed, Severity::info));
  for (int i = 0; i < 6; ++i) {
    view.on_event(event(40.0 + i, "supervisor_alert", EventState::instant, Severity::critical, EventKind::alert));
  }
  view.end("ctrl-c");
  const tw::app::LiveViewState s = view.snapshot();
  REQUIRE(s.agent_flags.size() == 1);
  CHECK(s.agent_flags[0].type == "agent_monotone");
  REQUIRE(s.recent.size() == tw::app::LiveView::kRecentEvents);
  CHECK(s.recent.front().time_s == 45.0);
  CHECK(s.recent.back().time_s == 42.0);
  CHECK(s.ended == "ctrl-c");
  CHECK(tw::app::render_live_view(s, 100, false).find("you sound monotone") != std::string::npos);
}

TEST_CASE("coaching lines speak to the agent", "[app][view]") {
  using tw::app::AgentFlag;
  CHECK(tw::app::coaching_line({"agent_slow_speech", 5.0, {{"speaking_rate_syl_per_s", 2.9f, 4.4f, -2.1f, 5.0}}}) ==
        "you are speaking slower than usual: 2.9 syl/s, your usual 4.4 (since 0:05)");
  CHECK(tw::app::coaching_line({"agent_raised_voice", 65.0, {{"loudness_db", 70.0f, 62.0f, 3.1f, 65.0}}}) ==
        "your voice is raised: loudness 70.0 dB (baseline 62.0, +3.1) - lower it (since 1:05)");
  CHECK(tw::app::coaching_line({"agent_monologue", 10.0, {{"agent_turn_s", 48.0f, NAN, NAN, 10.0}}}) ==
        "you have held the floor for 48 s - let the caller speak (since 0:10)");
}
