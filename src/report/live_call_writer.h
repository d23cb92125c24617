#pragma once
// A live call's session and its files: the same CallSession and the same outputs a
// recording gets from `tonewatch analyze` (summary, tables, events, reports), plus
// an optional recording of exactly the audio analysed. The server's LiveCall and
// `tonewatch live` both build one once they know who is on the call.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "detect/agitation_model.h"
#include "io/audio_file_writer.h"
#include "pipeline/call_session.h"
#include "report/call_outputs.h"
#include "report/call_summary.h"

namespace tw::report {

struct LiveCallWriterOptions {
  pipeline::SessionConfig session;
  OutputOptions output;
  /// Non-empty: the analysed audio is kept here (8 kHz, the session's channels,
  /// caller left); its folder is created.
  std::string record_path;
  /// How it is kept: 16-bit is what the network delivered to the server; 32-bit float
  /// keeps resampled device audio exactly as it was analysed.
  io::OutputEncoding record_encoding = io::OutputEncoding::wav_pcm16;
  /// The summary's "analysis" object (tonewatch version, model and settings hashes:
  /// batch::RunFingerprint::summary_json), as `tonewatch analyze` writes it, so a
  /// live call's summary has the structure of a recording's. Null: none.
  nlohmann::json analysis;
  /// Non-null: the call's event sequence counter, shared with acknowledgements
  /// (CallSession::set_sequence_source); must outlive the writer.
  std::atomic<std::uint64_t>* sequence = nullptr;
};

class LiveCallWriter {
 public:
  /// Opens the outputs (and the recording) and builds the session for `roles` (the
  /// joiner's, caller first). Events go to the call's events file first, then to
  /// `also` if given (a console, a feed, webhooks); `model` and `also` must outlive
  /// the writer. Throws std::runtime_error naming a path that cannot be written, or
  /// std::invalid_argument for bad roles or config.
  LiveCallWriter(const std::string& call_id, const LiveCallWriterOptions& options, const detect::AgitationModel& model,
                 const std::vector<features::SpeakerRole>& roles, alerts::EventSink* also);
  ~LiveCallWriter();
  LiveCallWriter(const LiveCallWriter&) = delete;
  LiveCallWriter& operator=(const LiveCallWriter&) = delete;

  /// Adds a tap (a live view) to the session. Before the first process().
  void add_tap(pipeline::FeatureSink& tap) { session_->add_tap(tap); }
  /// Analyses (and records) joined frames at the analysis rate.
  void process(std::span<const float> interleaved);
  /// A stretch of `frames` analysis-rate frames without audio (CallSession::skip):
  /// constant time; a recording gets the silence it stands for.
  void skip(std::int64_t frames, dsp::GapKind kind);
  /// Parties coming and going (CallSession::set_absent, party_joined, party_left).
  void set_absent(features::SpeakerRole role) { session_->set_absent(role); }
  void party_joined(features::SpeakerRole role) { session_->party_joined(role); }
  void party_left(features::SpeakerRole role, std::int64_t at_frame) { session_->party_left(role, at_frame); }
  /// Ends the call at the audio's end: closes open episodes. Idempotent.
  void finish();

  /// Commits the recording (noted in input.extra["recording"]), writes the summary —
  /// make_call_summary of `input`, the detection, and `warnings` appended to its
  /// own — and commits every output. Returns the summary. Once, after finish().
  nlohmann::json commit(InputDescription input, const std::vector<std::string>& warnings = {});

  const pipeline::CallSession& session() const noexcept { return *session_; }
  const CallOutputPaths& paths() const noexcept { return outputs_->paths(); }
  /// The recording's path, empty if not recording.
  std::string recording_path() const { return recorder_ ? recorder_->path() : std::string(); }

 private:
  std::string call_id_;
  std::unique_ptr<CallOutputs> outputs_;
  std::unique_ptr<alerts::FanoutSink> events_;
  std::unique_ptr<pipeline::CallSession> session_;
  std::unique_ptr<io::AudioFileRecorder> recorder_;
  nlohmann::json analysis_;
  bool finished_ = false;
};

}  // namespace tw::report
