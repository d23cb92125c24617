#include "report/live_call_writer.h"

#include <algorithm>
#include <array>
#include <filesystem>

#include "dsp/stream_spec.h"

namespace tw::report {

LiveCallWriter::LiveCallWriter(const std::string& call_id, const LiveCallWriterOptions& options,
                               const detect::AgitationModel& model, const std::vector<features::SpeakerRole>& roles,
                               alerts::EventSink* also)
    : call_id_(call_id), outputs_(std::make_unique<CallOutputs>(options.output, call_id)) {
  std::vector<alerts::EventSink*> sinks{&outputs_->events()};
  if (also != nullptr) sinks.push_back(also);
  events_ = std::make_unique<alerts::FanoutSink>(std::move(sinks));
  session_ = std::make_unique<pipeline::CallSession>(call_id, options.session, model, roles, *events_);
  session_->add_tap(outputs_->tap());
  session_->set_sequence_source(options.sequence);
  analysis_ = options.analysis;
  if (!options.record_path.empty()) {
    const std::filesystem::path folder = std::filesystem::path(options.record_path).parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder);
    recorder_ = std::make_unique<io::AudioFileRecorder>(options.record_path, static_cast<int>(roles.size()),
                                                        dsp::kAnalysisRateHz, options.record_encoding);
  }
}

LiveCallWriter::~LiveCallWriter() = default;

void LiveCallWriter::process(std::span<const float> interleaved) {
  session_->process(interleaved);
  if (recorder_) recorder_->write(interleaved);
}

void LiveCallWriter::skip(std::int64_t frames, dsp::GapKind kind) {
  session_->skip(frames, kind);
  if (recorder_) {
    // The recording is the call's time line, sample for sample: the gap is silence there.
    static constexpr std::array<float, 1024> kSilence{};
    const auto channels = static_cast<std::int64_t>(session_->channels());
    const std::int64_t block = static_cast<std::int64_t>(kSilence.size()) / channels;
    for (std::int64_t left = frames; left > 0; left -= block) {
      const std::int64_t n = std::min(left, block);
      recorder_->write(std::span<const float>(kSilence.data(), static_cast<std::size_t>(n * channels)));
    }
  }
}

void LiveCallWriter::finish() {
  if (finished_) return;
  finished_ = true;
  session_->finish();
}

nlohmann::json LiveCallWriter::commit(InputDescription input, const std::vector<std::string>& warnings) {
  finish();
  if (recorder_) {
    recorder_->commit();
    input.extra["recording"] = recorder_->path();
  }
  nlohmann::json summary = make_call_summary(call_id_, input, session_->frames(), session_->reports());
  add_detection_summary(session_->timeline(), summary);
  for (const std::string& w : warnings) summary["warnings"].push_back(w);
  if (!analysis_.is_null()) summary["analysis"] = analysis_;
  outputs_->commit(session_->timeline(), summary);
  return summary;
}

}  // namespace tw::report
