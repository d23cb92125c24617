#pragma once
// One call in progress: its legs' audio arriving from connections, and — once the
// call knows who is on it — the same CallSession and output files as a recording
// gets, driven by one worker thread.
//
// Threads: connections add legs and write audio (add_tracks, leg(i).write/end);
// exactly one worker calls pump() and, at the end, write_outputs(); anyone may
// read status() and counters().

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "detect/agitation_model.h"
#include "pipeline/call_session.h"
#include "pipeline/live_pump.h"
#include "report/call_outputs.h"
#include "report/live_call_writer.h"
#include "server/call_metadata.h"
#include "server/leg_input.h"
#include "server/timeline_snapshot.h"

namespace tw::server {

/// What every live call shares; read-only while the server runs.
struct CallSettings {
  pipeline::SessionConfig session;
  const detect::AgitationModel* model = nullptr;  ///< shared read-only; must be set
  report::OutputOptions output;
  std::string record_dir;           ///< non-empty: keep each call's audio as <id>.wav (8 kHz stereo 16-bit)
  double ring_s = 1.0;              ///< audio a leg may buffer ahead of analysis (workers poll every 5 ms)
  double max_skew_s = 0.5;          ///< a leg this far behind the other is filled with silence
  double second_leg_wait_s = 0.75;  ///< how long a one-leg call waits for its other party (its audio waits in the ring)
  TimelineLimits timeline;          ///< what the live timeline (the dashboard's call view) keeps
  MetadataLimits metadata;          ///< what a call keeps of its platform's metadata
  /// A call analysed this long is ended (its outputs written, its connections told
  /// why): every output of a call grows with its length, so this bounds them. 0: no limit.
  double max_call_s = 0.0;
  nlohmann::json analysis;          ///< each summary's "analysis" object (report::LiveCallWriterOptions::analysis)
};

/// A live call as the dashboard and the API see it. A copy.
struct CallStatus {
  std::string call_id;
  std::string protocol;
  nlohmann::json metadata = nlohmann::json::object();
  std::int64_t started_unix_ms = 0;
  double duration_s = 0.0;
  std::vector<std::string> roles;
  std::string stage = "calm";
  float caller_agitation = 0.0f;     ///< smoothed, 0..1
  float caller_score = 0.0f;         ///< the last window's score
  bool caller_scored = false;
  /// The last second of each speaker: loudness (dB), F0 (Hz), speaking rate (syl/s), speech in the window (s).
  struct Speaker {
    float loudness_db = NAN, f0_hz = NAN, rate_syl_per_s = NAN, speech_s = 0.0f;
  } caller, agent;
  std::vector<pipeline::StageSpan> stages;  ///< the stage history so far
  std::string verdict;     ///< the report's one-line verdict so far (report::call_verdict)
  std::int64_t ended_unix_ms = 0;  ///< when the outputs were written (0 while live)
  bool analysing = false;  ///< the session has started (both legs known)
  bool ended = false;      ///< the call has ended and its outputs are written (or failed)
  std::string error;       ///< why the call could not be analysed, if it could not
  std::string report_path; ///< the finished report, once written
  int alerts = 0;          ///< supervisor alerts raised, once written
};

/// Counters of one call, for the metrics and the summary.
struct LiveCallCounters {
  std::uint64_t frames_received = 0;   ///< source-rate frames written by the legs
  std::uint64_t overflowed_frames = 0; ///< frames a leg's ring could not take (analysis too far behind)
  std::uint64_t stall_fill_frames = 0; ///< analysis-rate frames of silence put in for a stalled leg
  std::uint64_t late_dropped_frames = 0;
  std::uint64_t analysed_frames = 0;
  std::uint64_t paused_frames = 0;     ///< source-rate frames the platform declared paused or discarded (passed on as gaps)
  std::uint64_t lost_frames = 0;       ///< source-rate frames of lost audio passed on as gaps
};

class LiveCall {
 public:
  /// `call_id` is the id the outputs are named by (filesystem-safe; the registry
  /// makes it so). `events` receives every event (after the call's own events file)
  /// and must outlive the call. Throws std::invalid_argument if settings.model is null.
  LiveCall(std::string call_id, std::string protocol, nlohmann::json metadata, const CallSettings& settings,
           alerts::EventSink& events);
  ~LiveCall();
  LiveCall(const LiveCall&) = delete;
  LiveCall& operator=(const LiveCall&) = delete;

  const std::string& call_id() const noexcept { return call_id_; }
  /// The call's event sequence counter (the last number taken), shared by its
  /// analysis and its acknowledgements: every event of the call has its own number.
  std::shared_ptr<std::atomic<std::uint64_t>> sequence() const noexcept { return sequence_; }

  // ---- connections --------------------------------------------------------------
  /// Adds a connection's tracks; returns the leg index of the first, or -1 when the
  /// call takes no more legs (a role is taken, or it would make more than two
  /// channels). `complete`: no other leg will come (both parties are here, or the
  /// protocol carries the whole call on one connection): analysis may start at once.
  /// A call whose protocol splits parties over connections (AudioSocket, Twilio
  /// one-track streams) that started with one party takes the other at any time
  /// until it ends: that party joins the call in progress, its time before being
  /// its silence (the report says when it joined).
  int add_tracks(const std::vector<pipeline::LiveTrack>& tracks, bool complete);
  LegInput& leg(int index) noexcept { return *legs_[static_cast<std::size_t>(index)]; }
  /// Merges metadata a later leg brings (an agent id, say), within
  /// settings.metadata's limits. Returns how many values were cut or left out.
  std::size_t add_metadata(const nlohmann::json& metadata);
  /// Replaces the members `metadata` names (the protocol's own, updated mid-call: a
  /// SIPREC metadata update), within the same limits. Returns how many values were cut.
  std::size_t update_metadata(const nlohmann::json& metadata);
  /// Metadata values cut or left out so far (the first leg's included).
  std::size_t metadata_cut() const;
  /// A connection whose protocol can act on the server's word (AudioHook pauses and
  /// resumes its stream when asked) registers how to ask it. Thread-safe.
  void add_stream_control(std::function<void(const std::string& request)> control);
  /// Hands `request` ("pause", "resume") to every stream that registered a control;
  /// false if none did (the call's platform cannot be asked). Any thread.
  bool request_streams(const std::string& request) const;

  // ---- the worker -----------------------------------------------------------------
  /// Moves what the legs have into the session. Returns true if it analysed
  /// anything. Safe to call at any rate; `now_ns` on the steady clock.
  /// `lag_ns`, if given, receives how long the newest audio read had waited (or -1).
  bool pump(std::int64_t now_ns, std::int64_t* lag_ns = nullptr);
  /// Analysis is over (every leg ended and drained, or stop() was called).
  bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }
  /// Ends the call now (server shutdown, idle timeout): every leg counts as ended.
  void stop() noexcept {
    stop_.store(true, std::memory_order_release);
    ready_.store(true, std::memory_order_release);
  }
  /// True once after a leg got audio, joined or ended, or stop() was called: the
  /// worker pumps such calls and leaves the others be (a call's state stays cold
  /// between its packets). Clears the flag. Worker only.
  bool take_ready() noexcept {
    return ready_.load(std::memory_order_relaxed) && ready_.exchange(false, std::memory_order_acq_rel);
  }
  /// Whether every leg still sending has at least `seconds` of audio waiting (also
  /// true before the call has started, once it is stopping, or with no leg sending):
  /// the worker lets a call's packets gather into larger blocks (WorkerPool's
  /// block_s). Worker only; one acquire load of each leg's ring.
  bool holds_audio(double seconds) const noexcept;
  /// Whether analysing what the legs hold now would reach a moment at which detection
  /// decides: the next once-a-second judgement (CallSession::next_summary_frame), or
  /// any hop while the caller is venting (an agent cutting in then is an alert at
  /// once). Also true before the call has started and once it is stopping. The worker
  /// lets audio gather between such moments (WorkerPool's block_s) and never past
  /// one, so alerts wait for no block. Worker only; one acquire load of each leg's ring.
  bool decision_due() const noexcept;
  /// True once the call was ended for reaching settings.max_call_s. Any thread;
  /// one relaxed load (the connections ask after each message).
  bool cut_at_max_length() const noexcept { return cut_.load(std::memory_order_relaxed); }
  /// Analysis-rate frames analysed so far (the worker's count after its last pump).
  std::uint64_t analysed_frames() const noexcept { return analysed_frames_.load(std::memory_order_relaxed); }
  /// Writes the summary, tables and report (and commits the recording). Worker or finisher thread, once.
  void write_outputs();

  // ---- anyone -----------------------------------------------------------------------
  CallStatus status() const;
  LiveCallCounters counters() const;
  /// The timeline so far (brought up to date once a second by the worker).
  const TimelineSnapshot& timeline() const noexcept { return timeline_; }

 private:
  bool should_start(std::int64_t now_ns) const;
  void start();
  void analyse(std::span<const float> frames);
  void follow_parties();
  void update_status();

  // Set by the connections' threads, taken by the worker: on a cache line of its own
  // so that writing it never invalidates the worker's state.
  alignas(64) std::atomic<bool> ready_{true};
  alignas(64) const std::string call_id_;
  const CallSettings& settings_;
  alerts::EventSink& hub_;
  const std::int64_t created_ns_;

  mutable std::mutex mutex_;  // adding legs, metadata and status; never held while analysing
  // Fixed slots: a leg's address never moves while the worker reads earlier ones.
  std::array<std::unique_ptr<LegInput>, pipeline::TrackJoiner::kMaxTracks> legs_;
  std::atomic<std::size_t> leg_count_{0};
  bool complete_ = false;
  bool started_ = false;  // from here on, only the absent party's leg may join
  // A call started with one party of a split protocol: the pump's input for the other
  // waits as `absent_input_` (-1: none) with these roles, and a leg that brings them
  // joins it. The worker attaches it (join_pending_) on its next pump.
  int absent_input_ = -1;
  std::vector<features::SpeakerRole> absent_roles_;
  std::atomic<bool> join_pending_{false};
  std::shared_ptr<std::atomic<std::uint64_t>> sequence_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  // The worker's view of the parties: inputs whose departure it has told the session.
  std::array<bool, pipeline::TrackJoiner::kMaxTracks> departed_{};
  CallStatus status_;
  CallMetadata metadata_;  // status_.metadata is its value
  std::vector<std::function<void(const std::string&)>> stream_controls_;  // under mutex_
  TimelineSnapshot timeline_;

  // Worker-owned once started: legs -> pump (joiner) -> writer (session, outputs, recording).
  std::optional<pipeline::LivePump> pump_;
  std::unique_ptr<report::LiveCallWriter> writer_;
  std::vector<float> scratch_;  // draining the legs of a call that cannot be analysed
  // After each pump: when the session next judges a second (analysis-rate frames), and
  // whether a single hop can bring an alert (the caller is venting). decision_due().
  std::int64_t next_summary_frame_ = 0;
  bool hop_alerts_possible_ = false;
  std::int64_t status_second_ = -1;
  std::string error_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> cut_{false};
  // The worker's counts, published for other threads after each pump.
  std::atomic<std::uint64_t> stall_fill_frames_{0}, late_dropped_frames_{0}, analysed_frames_{0};
  bool outputs_written_ = false;
};

}  // namespace tw::server
