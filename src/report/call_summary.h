#pragma once
// The per-call summary (<call>.summary.json): what a call was and what was found in it.
// The same summary for a recording, a live stream and a sound device.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/call_analyzer.h"
#include "pipeline/call_timeline.h"

namespace tw::report {

/// Where a call's audio came from, for the summary's "input" object.
struct InputDescription {
  std::string path;          ///< file path, or a live source's name (e.g. "twilio:CA123")
  std::string format;        ///< human-readable, e.g. "WAV, u-law 8-bit" or "Twilio Media Streams, PCMU"
  int sample_rate_hz = 0;    ///< the source's own rate
  int channels = 0;
  nlohmann::json extra = nlohmann::json::object();  ///< more keys for the input object (stream metadata, ...)
};

/// The summary of a finished analysis: call, input, duration, speakers, warnings.
nlohmann::json make_call_summary(const std::string& call_id, const InputDescription& input,
                                 std::int64_t frames_analysed, const std::vector<pipeline::SpeakerReport>& reports);

/// Adds the detection outcome (alerts, escalations, relapses, time to calm) to a summary.
void add_detection_summary(const pipeline::CallTimeline& timeline, nlohmann::json& summary);

}  // namespace tw::report
