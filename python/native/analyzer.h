#pragma once
// What the Python module calls: one analysis set-up (thresholds, model, channel
// layout), and through it recordings, arrays and streams analysed by the same
// batch code `tonewatch analyze` runs. No Python types here but ArrayAudio's.

#include <atomic>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "app/analysis_setup.h"
#include "array_audio.h"
#include "batch/call_job.h"
#include "dsp/resampler.h"
#include "memory_call.h"

namespace tw::python {

/// How arrays and streams describe their input in the summary.
inline constexpr const char* kMemoryInputPath = "<memory>";
inline constexpr const char* kMemoryInputFormat = "audio from Python (NumPy)";

class Analyzer {
 public:
  /// Throws app::AnalysisChoiceError.
  explicit Analyzer(const app::AnalysisChoices& choices);

  /// A recording, as `analyze` reads it. Throws io::AudioError naming the file.
  FinishedCall analyze_file(const std::string& path, const std::string& call_id, bool frames) const;
  /// An array at `sample_rate_hz` (8000-48000).
  FinishedCall analyze_array(const ArrayAudio& audio, int sample_rate_hz, const std::string& call_id,
                             bool frames) const;
  /// One call of a batch into its files (batch::analyze_call). Never throws.
  batch::CallResult analyze_call(const std::string& path, const std::string& call_id,
                                 const report::OutputOptions& output) const;

  const batch::CallJobOptions& job() const noexcept { return setup_.job; }

 private:
  app::AnalysisSetup setup_;
};

/// A call fed block by block (Python's Session): any block sizes give the
/// analysis of the whole. Not thread-safe; one stream.
class StreamSession {
 public:
  /// `channels` 1 or 2 (roles from the analyzer's layout). Throws std::invalid_argument.
  StreamSession(const Analyzer& analyzer, int sample_rate_hz, int channels, std::string call_id, bool frames);

  /// Analyses a block; returns the events decided since the last call (JSON texts).
  /// Throws std::invalid_argument for the wrong channel count or after finish().
  std::vector<std::string> process(const ArrayAudio& block);
  /// Ends the stream: the rest of the resampler, the open episodes, the summary.
  /// The events decided in the end are in the call's events.
  FinishedCall finish();
  bool finished() const noexcept { return finished_; }
  double duration_s() const noexcept { return session_->duration_s(); }
  /// Set while a thread is inside process() or finish() (see InUse).
  std::atomic<bool>& in_use() noexcept { return in_use_; }

 private:
  const Analyzer& analyzer_;
  int sample_rate_hz_;
  int channels_;
  MemoryOutputs outputs_;
  std::unique_ptr<pipeline::CallSession> session_;
  dsp::Resampler resampler_;
  bool finished_ = false;
  std::atomic<bool> in_use_{false};
};

/// Marks a session in use for the length of a call into it: a second thread
/// calling at the same time gets std::logic_error instead of a data race.
class InUse {
 public:
  explicit InUse(std::atomic<bool>& flag) : flag_(flag) {
    if (flag_.exchange(true)) throw std::logic_error("this Session is in use by another thread: one thread at a time");
  }
  ~InUse() { flag_.store(false); }
  InUse(const InUse&) = delete;
  InUse& operator=(const InUse&) = delete;

 private:
  std::atomic<bool>& flag_;
};

/// Checks a sample rate a caller gave (8000-48000 Hz, as files). Throws std::invalid_argument.
void check_sample_rate(int sample_rate_hz);

/// Checks a call id a caller gave: it names the call's files, so it must be what
/// batch ids are made of (batch::safe_name parts, joined by '~'), at most
/// batch::kMaxCallIdBytes, and not start with '.'. Throws std::invalid_argument.
void check_call_id(const std::string& call_id);

}  // namespace tw::python
