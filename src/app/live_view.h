#pragma once
// The terminal view of `tonewatch live`: what the analysis has found so far,
// redrawn a few times a second. It is both a tap of the session (hop levels for
// the meters) and a sink of its events (the agent's open flags, the last alerts).
// The analysis thread feeds it and publishes a snapshot now and then; the display
// thread renders the latest snapshot. The two share only that snapshot, under a
// mutex the analysis thread holds for a copy of a few hundred bytes.

#include <cmath>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "alerts/event_sink.h"
#include "pipeline/call_analyzer.h"
#include "pipeline/call_session.h"

namespace tw::app {

/// One speaker's line of the view.
struct SpeakerView {
  bool present = false;
  float meter_db = -120.0f;     ///< peak level (dB re full-scale sine), falling 30 dB/s
  bool speaking = false;        ///< voice activity in the last hop
  float f0_hz = NAN;            ///< median F0 of the last window (second)
  float rate_syl_per_s = NAN;   ///< articulation rate of the last window
  float agitation = NAN;        ///< smoothed agitation, 0..1 (NaN until scored)
  bool baseline_established = false;
};

/// An agent episode open now (raised voice, fast or slow speech, monotone, monologue).
struct AgentFlag {
  std::string type;
  double since_s = 0.0;
  std::vector<detect::Evidence> evidence;
};

/// Everything a frame shows.
struct LiveViewState {
  std::string call_id;
  std::string source;           ///< one line: devices or file, rates, channel roles
  double duration_s = 0.0;
  std::string stage = "calm";
  double stage_since_s = 0.0;
  SpeakerView caller, agent;
  std::vector<AgentFlag> agent_flags;
  std::deque<alerts::Event> recent;  ///< the last alerts and warnings, newest first
  std::uint64_t lost_frames = 0;     ///< frames the ring could not take (analysis fell behind)
  std::uint64_t underrun_frames = 0; ///< silence filled for a device that fell behind the other
  std::uint64_t host_overflows = 0;  ///< callbacks the host flagged as having lost input
  std::uint64_t host_underflows = 0; ///< callbacks the host flagged as padded with silence
  double drift_ppm = NAN;            ///< between two devices (NaN: one device)
  bool drift_corrected = false;
  std::string ended;                 ///< why the call ended, once it has
};

/// Counters the capture side adds to each snapshot.
struct LiveViewCounters {
  std::uint64_t lost_frames = 0;
  std::uint64_t underrun_frames = 0;
  std::uint64_t host_overflows = 0;
  std::uint64_t host_underflows = 0;
  double drift_ppm = NAN;
  bool drift_corrected = false;
};

class LiveView final : public pipeline::FeatureSink, public alerts::EventSink {
 public:
  /// Alerts and warnings kept for the view.
  static constexpr std::size_t kRecentEvents = 4;

  LiveView(std::string call_id, std::string source, const std::vector<features::SpeakerRole>& roles);

  // ---- the analysis thread -------------------------------------------------------
  bool wants_hops() const noexcept override { return true; }
  void on_hop(features::SpeakerRole role, const features::HopFeatures& hop) override;
  void on_event(const alerts::Event& event) override;
  /// Copies what the session shows now into the snapshot (at most every 100 ms of
  /// audio unless `force`).
  void publish(const pipeline::CallSession& session, const LiveViewCounters& counters, bool force = false);
  /// Marks the call ended, with why.
  void end(const std::string& why);

  // ---- the display thread ---------------------------------------------------------
  LiveViewState snapshot() const;

 private:
  SpeakerView& speaker(features::SpeakerRole role) noexcept {
    return role == features::SpeakerRole::caller ? working_.caller : working_.agent;
  }

  LiveViewState working_;  // analysis thread only
  double published_s_ = -1.0;
  mutable std::mutex mutex_;
  LiveViewState shared_;
};

/// The frame for `state`: plain lines of at most `width` columns (ANSI bold and
/// colour for a terminal when `color`). A pure function, for the display and tests.
std::string render_live_view(const LiveViewState& state, int width, bool color);

/// The coaching line an agent reads for one of their open flags, in the second
/// person ("you are speaking fast: 6.1 syl/s, your usual 4.5; the caller 3.9").
std::string coaching_line(const AgentFlag& flag);

}  // namespace tw::app
