#include "pipeline/call_analyzer.h"

#include <cmath>
#include <stdexcept>

namespace tw::pipeline {
namespace {
constexpr std::size_t kMaxBlockFrames = 512;  // per-channel scratch (2 KiB); longer blocks are split
}

CallAnalyzer::CallAnalyzer(const AnalyzerConfig& config, std::vector<features::SpeakerRole> roles) {
  if (roles.empty() || roles.size() > 2) {
    throw std::invalid_argument("CallAnalyzer: a call has one or two speaker channels, got " +
                                std::to_string(roles.size()));
  }
  if (roles.size() == 2 && roles[0] == roles[1]) {
    throw std::invalid_argument("CallAnalyzer: both channels are assigned to the " +
                                std::string(features::to_string(roles[0])));
  }
  speakers_.reserve(roles.size());
  for (const features::SpeakerRole role : roles) {
    speakers_.push_back(Speaker{role, features::FeatureExtractor(config.features),
                                features::WindowSummarizer(config.summary), features::SpeakerStatistics(),
                                std::vector<float>(kMaxBlockFrames), 0});
  }
}

void CallAnalyzer::process(std::span<const float> interleaved, FeatureSink& sink) {
  const std::size_t channels = speakers_.size();
  const bool hops_wanted = sink.wants_hops();
  std::size_t frames = interleaved.size() / channels;
  std::size_t offset = 0;
  while (frames > 0) {
    const std::size_t n = frames < kMaxBlockFrames ? frames : kMaxBlockFrames;
    for (std::size_t c = 0; c < channels; ++c) {
      Speaker& speaker = speakers_[c];
      for (std::size_t i = 0; i < n; ++i) {
        const float v = interleaved[(offset + i) * channels + c];
        speaker.samples[i] = v;
        if (std::fabs(v) >= 0.999f) ++speaker.clipped;
      }
      speaker.extractor.process(std::span<const float>(speaker.samples.data(), n),
                                [&](const features::HopFeatures& hop) {
                                  speaker.statistics.add(hop);
                                  if (hops_wanted) sink.on_hop(speaker.role, hop);
                                  if (speaker.summarizer.push(hop)) sink.on_window(speaker.role, speaker.summarizer.summary());
                                });
    }
    frames -= n;
    offset += n;
    frames_consumed_ += static_cast<std::int64_t>(n);
  }
}

std::vector<SpeakerReport> CallAnalyzer::reports() const {
  std::vector<SpeakerReport> reports;
  for (std::size_t c = 0; c < speakers_.size(); ++c) {
    reports.push_back({speakers_[c].role, static_cast<int>(c), speakers_[c].statistics.totals(), speakers_[c].clipped});
  }
  return reports;
}

void CallAnalyzer::reset() noexcept {
  for (Speaker& speaker : speakers_) {
    speaker.extractor.reset();
    speaker.summarizer.reset();
    speaker.statistics.reset();
    speaker.clipped = 0;
  }
  frames_consumed_ = 0;
}

}  // namespace tw::pipeline
