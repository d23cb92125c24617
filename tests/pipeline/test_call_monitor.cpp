// CallMonitor end to end on synthetic feature streams (no audio): scripted voice
// activity per 10 ms hop and a window summary per speaker each second, checked
// against the events in a CollectingSink.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alerts/event_sink.h"
#include "pipeline/call_monitor.h"
#include "detect/agitation_model.h"
#include "features/hop_features.h"
#include "features/window_summary.h"

using tw::alerts::CollectingSink;
using tw::alerts::Event;
using tw::alerts::EventKind;
using tw::alerts::EventState;
using tw::alerts::Severity;
using tw::pipeline::CallMonitor;
using tw::detect::AgitationModel;
using tw::detect::kProsodyCount;
using tw::detect::Prosody;
using tw::features::HopFeatures;
using tw::features::SpeakerRole;
using tw::features::WindowSummary;

namespace {

constexpr double kHop_s = 0.01;

// Prior median 0 and scale 1; only loudness_db is weighted (bias -2): a window at
// the speaker's baseline scores 0.12, one 4 units louder 0.88.
AgitationModel loudness_model() {
  nlohmann::json m;
  m["format"] = "tonewatch-agitation-model";
  m["version"] = "test-loudness";
  m["features"] = nlohmann::json::array();
  for (auto name : tw::detect::kProsodyNames) m["features"].push_back(std::string(name));
  m["prior"]["median"] = std::vector<float>(kProsodyCount, 0.0f);
  m["prior"]["scale"] = std::vector<float>(kProsodyCount, 1.0f);
  std::vector<float> weights(kProsodyCount, 0.0f);
  weights[static_cast<std::size_t>(Prosody::loudness_db)] = 1.0f;
  m["logistic"]["weights"] = weights;
  m["logistic"]["bias"] = -2.0;
  return AgitationModel::from_json(m);
}

// A stretch of the call: who is voice-active, and each speaker's window loudness
// (in scale units from the baseline; NaN = not measured).
struct Segment {
  double duration_s;
  bool caller;
  bool agent;
  float caller_loudness = 0.0f;
  float agent_loudness = 0.0f;
};

// One speaker's channel as the analyzer delivers it: hops, and a summary of the
// last 3 s every 100 hops.
struct Channel {
  explicit Channel(SpeakerRole r) : role(r) {}
  SpeakerRole role;
  std::deque<bool> recent;  // the last 300 hops' voice activity
  std::int64_t next_hop = 0;

  void push(CallMonitor& monitor, bool active, float loudness) {
    HopFeatures hop;
    hop.hop_index = next_hop;
    hop.time_s = static_cast<double>(next_hop) * kHop_s;
    hop.vad = active;
    monitor.on_hop(role, hop);
    recent.push_back(active);
    if (recent.size() > 300) recent.pop_front();
    if ((next_hop + 1) % 100 == 0) {
      WindowSummary w;
      w.end_hop = next_hop;
      w.end_time_s = static_cast<double>(next_hop + 1) * kHop_s;
      w.window_s = static_cast<float>(recent.size()) * 0.01f;
      w.speech_s = static_cast<float>(std::count(recent.begin(), recent.end(), true)) * 0.01f;
      const auto last_second = recent.end() - std::min<std::ptrdiff_t>(100, static_cast<std::ptrdiff_t>(recent.size()));
      w.new_speech_s = static_cast<float>(std::count(last_second, recent.end(), true)) * 0.01f;
      if (w.speech_s > 0.0f) w.loudness_median_db = loudness;
      monitor.on_window(role, w);
    }
    ++next_hop;
  }
};

// Plays a script into a monitor, `block_hops` hops of one channel at a time
// (1 = hop by hop, interleaved), the caller's block first unless `agent_first`.
struct Call {
  explicit Call(std::size_t block = 1, bool agent_first_in_block = false)
      : block_hops(block), agent_first(agent_first_in_block) {}
  AgitationModel model = loudness_model();
  CollectingSink sink;
  CallMonitor monitor{"test-call", tw::detect::DetectionConfig{}, model, {SpeakerRole::caller, SpeakerRole::agent},
                      sink};
  std::size_t block_hops;
  bool agent_first;
  Channel caller{SpeakerRole::caller};
  Channel agent{SpeakerRole::agent};

  void play(const std::vector<Segment>& script) {
    // Expand to per-hop values, then deliver them in blocks.
    struct Hop {
      bool caller, agent;
      float caller_loudness, agent_loudness;
    };
    std::vector<Hop> hops;
    for (const Segment& s : script) {
      const auto n = static_cast<std::size_t>(std::llround(s.duration_s / kHop_s));
      hops.insert(hops.end(), n, Hop{s.caller, s.agent, s.caller_loudness, s.agent_loudness});
    }
    for (std::size_t start = 0; start < hops.size(); start += block_hops) {
      const std::size_t end = std::min(hops.size(), start + block_hops);
      auto caller_block = [&] {
        for (std::size_t i = start; i < end; ++i) caller.push(monitor, hops[i].caller, hops[i].caller_loudness);
      };
      auto agent_block = [&] {
        for (std::size_t i = start; i < end; ++i) agent.push(monitor, hops[i].agent, hops[i].agent_loudness);
      };
      if (agent_first) {
        agent_block();
        caller_block();
      } else {
        caller_block();
        agent_block();
      }
    }
  }
  std::vector<Event> of_type(const std::string& type) const {
    std::vector<Event> out;
    for (const Event& e : sink.events()) {
      if (e.type == type) out.push_back(e);
    }
    return out;
  }
};

// Caller talks 0..8 s, the agent cuts in at 4 s and talks over them for 2 s;
// both silent 8..15 s; the caller speaks again at 15 s.
const std::vector<Segment> kCutIn = {
    {4.0, true, false}, {2.0, true, true}, {2.0, true, false}, {7.0, false, false}, {2.0, true, false}};

Approx at(double seconds) { return Approx(seconds).margin(kHop_s + 1e-9); }

const tw::detect::Evidence* evidence_for(const Event& e, const std::string& feature) {
  for (const auto& x : e.evidence) {
    if (x.feature == feature) return &x;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the agent cutting in for 2 s is one interruption by the agent / with evidence", "[app][monitor]") {
  Call call;
  call.play(kCutIn);
  const auto interruptions = call.of_type("interruption");
  REQUIRE(interruptions.size() == 1);
  const Event& e = interruptions[0];
  CHECK(e.call_id == "test-call");
  CHECK(e.kind == EventKind::event);
  CHECK(e.state == EventState::instant);
  CHECK(e.speaker == "agent");
  CHECK(e.severity == Severity::warning);  // the agent cutting in on a calm caller
  CHECK(e.time_s == at(5.0));              // confirmed after 1 s of overlap
  CHECK(e.since_s == at(4.0));
  CHECK(e.details.at("interrupter") == "agent");
  CHECK(e.details.at("interrupted") == "caller");
  CHECK(e.details.at("interrupted_turn_s").get<double>() == at(4.0));
  CHECK(e.details.at("during_stage") == "calm");
  const auto* overlap = evidence_for(e, "overlap_s");
  REQUIRE(overlap != nullptr);
  CHECK(overlap->value == Approx(1.0f).margin(0.011));
  CHECK(overlap->since_s == at(4.0));
  CHECK(e.message.find("agent cut in 4.0 s into the caller's turn") != std::string::npos);

  // The report's overlap mark covers the 2 s both talked.
  call.monitor.finish(17.0);
  REQUIRE(call.monitor.timeline().overlaps.size() == 1);
  CHECK(call.monitor.timeline().overlaps[0].start_s == at(4.0));
  CHECK(call.monitor.timeline().overlaps[0].end_s == at(6.0));
}

TEST_CASE("the caller cutting in on the agent is an interruption by the caller / severity info", "[app][monitor]") {
  Call call;
  call.play({{3.0, false, true}, {2.0, true, true}, {2.0, true, false}, {1.0, false, false}});
  const auto interruptions = call.of_type("interruption");
  REQUIRE(interruptions.size() == 1);
  CHECK(interruptions[0].speaker == "caller");
  CHECK(interruptions[0].severity == Severity::info);
  CHECK(interruptions[0].details.at("interrupted") == "agent");
  CHECK(interruptions[0].since_s == at(3.0));
}

TEST_CASE("dead air is opened after 5 s of silence and closed by the next words", "[app][monitor]") {
  Call call;
  call.play(kCutIn);
  const auto dead_air = call.of_type("dead_air");
  REQUIRE(dead_air.size() == 2);
  const Event& opened = dead_air[0];
  CHECK(opened.state == EventState::opened);
  CHECK(opened.severity == Severity::warning);
  CHECK(opened.speaker.empty());  // the call as a whole
  CHECK(opened.since_s == at(8.0));
  CHECK(opened.time_s == at(13.0));
  const auto* silence = evidence_for(opened, "silence_s");
  REQUIRE(silence != nullptr);
  CHECK(silence->value == Approx(5.0f).margin(0.011));
  const Event& closed = dead_air[1];
  CHECK(closed.state == EventState::closed);
  CHECK(closed.time_s == at(15.0));
  CHECK(closed.since_s == at(8.0));
  CHECK(evidence_for(closed, "silence_s")->value == Approx(7.0f).margin(0.011));

  // Nothing is left open, so finish() adds no closing event.
  const std::size_t before = call.sink.events().size();
  call.monitor.finish(17.0);
  CHECK(call.sink.events().size() == before);
  CHECK(call.monitor.timeline().silences.size() == 1);  // the 7 s gap (the report marks >= 2 s)
}

TEST_CASE("finish() closes the episodes still open at the end of the call", "[app][monitor]") {
  Call call;
  call.play({{2.0, true, false}, {8.0, false, false}});  // dead air from 2 s, open at 7 s
  REQUIRE(call.of_type("dead_air").size() == 1);
  call.monitor.finish(10.0);
  const auto dead_air = call.of_type("dead_air");
  REQUIRE(dead_air.size() == 2);
  const Event& closed = dead_air[1];
  CHECK(closed.state == EventState::closed);
  CHECK(closed.time_s == 10.0);
  CHECK(closed.since_s == at(2.0));
  CHECK(closed.details.at("end_of_call") == true);
  // The sink and the timeline both got it.
  CHECK(call.monitor.timeline().events.size() == call.sink.events().size());
  CHECK(call.monitor.timeline().duration_s == 10.0);
}

TEST_CASE("hops from the two channels may arrive in blocks out of step", "[app][monitor]") {
  // Hop by hop (interleaved) is the reference. The analyzer hands over at most
  // 4096 frames per channel at a time (51 hops at 8 kHz); blocks of up to 100
  // hops keep each channel within one window summary of the other.
  Call reference;
  reference.play(kCutIn);
  reference.monitor.finish(17.0);
  REQUIRE(reference.sink.events().size() == 3);  // interruption, dead air opened and closed

  struct Delivery {
    std::size_t block;
    bool agent_first;
  };
  for (const Delivery d : {Delivery{10, false}, Delivery{10, true}, Delivery{37, false}, Delivery{51, true}, Delivery{100, true}}) {
    INFO("blocks of " << d.block << " hops, " << (d.agent_first ? "agent" : "caller") << " first");
    Call call(d.block, d.agent_first);
    call.play(kCutIn);
    call.monitor.finish(17.0);
    REQUIRE(call.sink.events().size() == reference.sink.events().size());
    for (std::size_t i = 0; i < call.sink.events().size(); ++i) {
      const Event& a = call.sink.events()[i];
      const Event& b = reference.sink.events()[i];
      CHECK(a.type == b.type);
      CHECK(a.state == b.state);
      CHECK(a.speaker == b.speaker);
      CHECK(a.time_s == b.time_s);
      CHECK(a.since_s == b.since_s);
      CHECK(a.details == b.details);
    }
    CHECK(call.monitor.timeline().overlaps.size() == reference.monitor.timeline().overlaps.size());
    CHECK(call.monitor.timeline().caller.size() == reference.monitor.timeline().caller.size());
  }
}

TEST_CASE("the agent cutting into a venting caller is critical and a supervisor alert", "[app][monitor]") {
  // The caller talks throughout, calm for 12 s (their baseline), then 4 units
  // louder; the agent listens until it cuts in at 30 s for 2 s.
  Call call;
  call.play({{12.0, true, false, 0.0f}, {18.0, true, false, 4.0f}, {2.0, true, true, 4.0f}, {3.0, true, false, 4.0f}});
  REQUIRE(call.monitor.timeline().caller.size() == 35);  // one second each

  // The escalation was seen: rising, a stage change to escalating with its alert, then venting.
  const auto stages = call.of_type("stage_change");
  REQUIRE(stages.size() >= 2);
  CHECK(stages[0].details.at("from") == "calm");
  CHECK(stages[0].details.at("to") == "escalating");
  CHECK(stages[0].time_s > 12.0);
  CHECK(stages[1].details.at("to") == "venting");
  CHECK(stages[1].time_s < 30.0);
  CHECK_FALSE(call.of_type("caller_agitation_rising").empty());
  CHECK_FALSE(call.of_type("caller_agitation_high").empty());

  const auto interruptions = call.of_type("interruption");
  REQUIRE(interruptions.size() == 1);
  const Event& cut = interruptions[0];
  CHECK(cut.time_s == at(31.0));
  CHECK(cut.speaker == "agent");
  CHECK(cut.severity == Severity::critical);
  CHECK(cut.details.at("during_stage") == "venting");

  std::vector<Event> listening;
  for (const Event& e : call.of_type("supervisor_alert")) {
    if (e.details.at("reason") == "agent_broke_listening_rules") listening.push_back(e);
  }
  REQUIRE(listening.size() == 1);
  CHECK(listening[0].kind == EventKind::alert);
  CHECK(listening[0].severity == Severity::critical);
  CHECK(listening[0].time_s == cut.time_s);
  CHECK(listening[0].since_s == at(30.0));  // when the agent cut in
  const auto* score = evidence_for(listening[0], "agitation_score");
  REQUIRE(score != nullptr);
  CHECK(score->since_s == Approx(stages[1].time_s));  // the caller has been venting since then
  CHECK(score->value >= 0.6f);
  CHECK(listening[0].message.find("let the caller finish") != std::string::npos);

  // At the end, every opened episode has its close.
  call.monitor.finish(35.0);
  for (const Event& e : call.sink.events()) {
    if (e.state != EventState::opened) continue;
    INFO(e.type << " opened at " << e.time_s);
    CHECK(std::any_of(call.sink.events().begin(), call.sink.events().end(), [&](const Event& x) {
      return x.type == e.type && x.state == EventState::closed && x.time_s >= e.time_s;
    }));
  }
}
