#pragma once
// The per-call summary (<call>.summary.json): what a call was and what was found in it.
// The same summary for a recording, a live stream and a sound device.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/non_finite_guard.h"
#include "pipeline/call_analyzer.h"
#include "pipeline/call_timeline.h"

namespace tw::report {

/// Where a call's audio came from, for the summary's "input" object.
struct InputDescription {
  /// File path, or a live source's name (e.g. "twilio:CA123"): any bytes. Written
  /// as "path", valid UTF-8 with each byte that is not part of a well-formed UTF-8
  /// sequence as the text \xNN, and, only when there was such a byte, also as
  /// "path_bytes_hex", the exact bytes in hex (see input_path_json).
  std::string path;
  std::string format;        ///< human-readable, e.g. "WAV, u-law 8-bit" or "Twilio Media Streams, PCMU"
  int sample_rate_hz = 0;    ///< the source's own rate
  int channels = 0;
  nlohmann::json extra = nlohmann::json::object();  ///< more keys for the input object (stream metadata, ...)
};

/// {"path": ...} and, for a path that is not valid UTF-8, "path_bytes_hex": the
/// lossless JSON form of a path (never throws on any bytes).
nlohmann::json input_path_json(const std::string& path);

/// The exact path bytes back from a summary's input object (path_bytes_hex when
/// present, else path). Throws std::invalid_argument for a malformed object.
std::string input_path_from_json(const nlohmann::json& input);

/// The summary of a finished analysis: call, input, duration, speakers, warnings.
nlohmann::json make_call_summary(const std::string& call_id, const InputDescription& input,
                                 std::int64_t frames_analysed, const std::vector<pipeline::SpeakerReport>& reports);

/// Records the non-finite samples the source replaced by silence (see
/// io::NonFiniteGuard): per speaker "non_finite_samples" and "non_finite_at_s"
/// ([start_s, end_s] of the first runs, at the source's rate), and a warning
/// per affected channel with the count and the times. `roles` in channel order.
void add_non_finite_samples(const io::NonFiniteGuard& guard, int source_rate_hz,
                            const std::vector<features::SpeakerRole>& roles, nlohmann::json& summary);

/// Adds the detection outcome (alerts, escalations, relapses, time to calm) to a summary.
void add_detection_summary(const pipeline::CallTimeline& timeline, nlohmann::json& summary);

}  // namespace tw::report
