#include "pipeline/call_analyzer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "dsp/frame_batch.h"
#include "dsp/stream_spec.h"
#include "dsp/thread_scratch.h"

namespace tw::pipeline {
namespace {
// Per-channel scratch (2.5 KiB); longer blocks are split. Eight hops: both channels'
// frames of a block fill four transforms of four (dsp::FrameBatch).
constexpr std::size_t kMaxBlockFrames = 8 * dsp::kHopSize10ms8kHz;
// Hops one block can complete: one per hop of samples, plus the one a carried
// partial hop completes.
constexpr std::size_t kMaxBlockHops = kMaxBlockFrames / dsp::kHopSize10ms8kHz + 2;
// Both channels' frames of a block fit one batch.
static_assert(2 * (kMaxBlockFrames / dsp::kHopSize10ms8kHz + 1) <= dsp::FrameBatch::kCapacity);
// The de-interleaved block and its hops are scratch: the thread's, not the call's
// (dsp/thread_scratch.h), room for two channels.
struct BlockSamplesUse;
struct BlockHopsUse;
using BlockSamples = dsp::ThreadScratch<float, BlockSamplesUse>;
using BlockHops = dsp::ThreadScratch<features::HopFeatures, BlockHopsUse>;
}

CallAnalyzer::CallAnalyzer(const AnalyzerConfig& config, std::vector<features::SpeakerRole> roles)
    : comparator_(dsp::kAnalysisRateHz),
      crosstalk_(config.crosstalk),
      // A merge applies from the hop whose frame is centred on the decision sample.
      merge_hop_(comparator_.decision_frame() / static_cast<std::int64_t>(dsp::kHopSize10ms8kHz)),
      merged_role_(config.merged_role) {
  if (roles.empty() || roles.size() > 2) {
    throw std::invalid_argument("CallAnalyzer: a call has one or two speaker channels, got " +
                                std::to_string(roles.size()));
  }
  if (roles.size() == 2 && roles[0] == roles[1]) {
    throw std::invalid_argument("CallAnalyzer: both channels are assigned to the " +
                                std::string(features::to_string(roles[0])));
  }
  roles_ = roles;
  speakers_.reserve(roles.size());
  for (const features::SpeakerRole role : roles) {
    speakers_.push_back(Speaker{role, features::FeatureExtractor(config.features),
                                features::WindowSummarizer(config.summary), features::SpeakerStatistics(), {}, {},
                                0, 0, 0});
  }
  BlockSamples::reserve(2 * kMaxBlockFrames);
  BlockHops::reserve(2 * kMaxBlockHops);
}

void CallAnalyzer::bind_scratch() noexcept {
  const std::span<float> samples = BlockSamples::get(2 * kMaxBlockFrames);
  const std::span<features::HopFeatures> hops = BlockHops::get(2 * kMaxBlockHops);
  for (std::size_t c = 0; c < speakers_.size(); ++c) {
    speakers_[c].samples = samples.subspan(c * kMaxBlockFrames, kMaxBlockFrames);
    speakers_[c].hops = hops.subspan(c * kMaxBlockHops, kMaxBlockHops);
  }
}

void CallAnalyzer::deliver(Speaker& speaker, const features::HopFeatures& hop, FeatureSink& sink, bool hops_wanted) {
  // Hops skipped in a gap (skip()) enter the window as silence, in their place.
  if (hop.hop_index > speaker.next_hop) speaker.summarizer.skip(hop.hop_index - speaker.next_hop);
  speaker.next_hop = hop.hop_index + 1;
  speaker.statistics.add(hop);
  if (hops_wanted) sink.on_hop(speaker.role, hop);
  if (speaker.summarizer.push(hop)) sink.on_window(speaker.role, speaker.summarizer.summary());
}

void CallAnalyzer::process(std::span<const float> interleaved, FeatureSink& sink) {
  const std::size_t channels = speakers_.size();
  const bool hops_wanted = sink.wants_hops();
  std::size_t frames = interleaved.size() / channels;
  std::size_t offset = 0;
  bind_scratch();
  while (frames > 0) {
    const std::size_t n = frames < kMaxBlockFrames ? frames : kMaxBlockFrames;
    for (std::size_t c = 0; c < channels; ++c) {
      Speaker& speaker = speakers_[c];
      // A local count and plain pointers: the loop vectorizes.
      const float* in = interleaved.data() + offset * channels + c;
      float* out = speaker.samples.data();
      std::int64_t clipped = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const float v = in[i * channels];
        out[i] = v;
        clipped += std::fabs(v) >= 0.999f ? 1 : 0;
      }
      speaker.clipped += clipped;
    }
    if (channels == 2) {
      comparator_.add(std::span<const float>(speakers_[0].samples.data(), n),
                      std::span<const float>(speakers_[1].samples.data(), n));
    }
    // Each channel's hops of this block; both channels consumed the same
    // samples, so they completed the same hops. Both channels' frames are
    // transformed together, four to a transform (dsp::FrameBatch): a live pump of
    // 20 ms holds two hops of each.
    dsp::FrameBatch& batch = dsp::FrameBatch::this_thread(dsp::kFrameSize40ms8kHz);
    batch.clear();
    for (std::size_t c = 0; c < channels; ++c) {
      speakers_[c].extractor.gather(std::span<const float>(speakers_[c].samples.data(), n), batch, static_cast<int>(c));
    }
    for (std::size_t c = 0; c < channels; ++c) {
      Speaker& speaker = speakers_[c];
      speaker.hop_count = 0;
      speaker.extractor.analyze_gathered(batch, static_cast<int>(c), [&](const features::HopFeatures& hop) {
        speaker.hops[speaker.hop_count++] = hop;
      });
    }
    deliver_block(sink, hops_wanted);
    frames -= n;
    offset += n;
    frames_consumed_ += static_cast<std::int64_t>(n);
  }
}

void CallAnalyzer::skip(std::int64_t frames, FeatureSink& sink) {
  static constexpr std::array<float, 2 * kMaxBlockFrames> kSilence{};
  const std::size_t channels = speakers_.size();
  auto silence = [&](std::int64_t n) {
    while (n > 0) {
      const auto m = static_cast<std::size_t>(std::min<std::int64_t>(n, kMaxBlockFrames));
      process(std::span<const float>(kSilence.data(), m * channels), sink);
      n -= static_cast<std::int64_t>(m);
    }
  };
  if (frames <= kDirectGapFrames) {
    silence(frames);
    return;
  }
  // To a hop boundary, then one whole frame of silence: the frames the extractor
  // would make inside the gap are all silence from here, so skipping them (and the
  // window and hop bookkeeping they would have fed) changes nothing but the cost.
  constexpr auto kHop = static_cast<std::int64_t>(dsp::kHopSize10ms8kHz);
  constexpr auto kFrame = static_cast<std::int64_t>(dsp::kFrameSize40ms8kHz);
  const std::int64_t lead = (kHop - frames_consumed_ % kHop) % kHop + kFrame;
  silence(lead);
  frames -= lead;
  const std::int64_t hops = frames / kHop;
  for (Speaker& speaker : speakers_) speaker.extractor.skip_hops(hops);
  frames_consumed_ += hops * kHop;
  skipped_frames_ += hops * kHop;
  silence(frames % kHop);
}

std::int64_t CallAnalyzer::summary_lookahead_frames() const noexcept {
  constexpr auto kHop = static_cast<std::int64_t>(dsp::kHopSize10ms8kHz);
  constexpr auto kFrame = static_cast<std::int64_t>(dsp::kFrameSize40ms8kHz);
  // Summary j ends at hop j * period_hops - 1, delivered when the frame of hop
  // (j * period_hops - 1 + latency), centred on it, is whole: offset frames after
  // the second's end.
  return (static_cast<std::int64_t>(speakers_.front().extractor.latency_hops()) - 1) * kHop + kFrame / 2;
}

std::int64_t CallAnalyzer::next_summary_frame() const noexcept {
  constexpr auto kHop = static_cast<std::int64_t>(dsp::kHopSize10ms8kHz);
  const Speaker& speaker = speakers_.front();  // every speaker has the same grid
  const auto period = static_cast<std::int64_t>(speaker.summarizer.config().period_hops) * kHop;
  const std::int64_t offset = summary_lookahead_frames();
  const std::int64_t j = frames_consumed_ < offset ? 1 : (frames_consumed_ - offset) / period + 1;
  return j * period + offset;
}

void CallAnalyzer::set_present(std::size_t channel, bool present) noexcept {
  if (channel >= speakers_.size()) return;
  present_[channel] = present;
  if (present) ever_present_[channel] = true;
  if (!present && frames_consumed_ == 0) ever_present_[channel] = false;  // absent from the start
}

void CallAnalyzer::finish(FeatureSink& sink) {
  // The stream is over: the hops still waiting for their pitch decision
  // (FeatureExtractor::latency_hops()) are decided with the hops there are.
  const bool hops_wanted = sink.wants_hops();
  bind_scratch();
  for (Speaker& speaker : speakers_) {
    speaker.hop_count = 0;
    speaker.extractor.flush([&](const features::HopFeatures& hop) { speaker.hops[speaker.hop_count++] = hop; });
  }
  deliver_block(sink, hops_wanted);
}

// The hops a block (or the final flush) completed, paired across the channels.
void CallAnalyzer::deliver_block(FeatureSink& sink, bool hops_wanted) {
  const std::size_t channels = speakers_.size();
  if (channels == 1) {
    for (std::size_t h = 0; h < speakers_[0].hop_count; ++h) deliver(speakers_[0], speakers_[0].hops[h], sink, hops_wanted);
  } else if (!present_[0] || !present_[1]) {
    // A party not on the call: its channel's hops (silence) go nowhere, and the two
    // channels can be neither compared for leakage nor merged.
    const std::size_t pairs = std::min(speakers_[0].hop_count, speakers_[1].hop_count);
    for (std::size_t h = 0; h < pairs; ++h) {
      for (std::size_t c = 0; c < 2; ++c) {
        if (present_[c]) deliver(speakers_[c], speakers_[c].hops[h], sink, hops_wanted);
      }
    }
  } else {
    const std::size_t pairs = std::min(speakers_[0].hop_count, speakers_[1].hop_count);
    for (std::size_t h = 0; h < pairs; ++h) {
      features::HopFeatures& first = speakers_[0].hops[h];
      features::HopFeatures& second = speakers_[1].hops[h];
      if (!merged_ && comparator_.check().identical && first.hop_index >= merge_hop_) {
        // From here on the first channel is the one mixed speaker.
        merged_ = true;
        speakers_[0].role = merged_role_;
        const features::SpeakerRole dropped = merged_role_ == features::SpeakerRole::caller
                                                  ? features::SpeakerRole::agent
                                                  : features::SpeakerRole::caller;
        sink.on_channels_merged(merged_role_, dropped, comparator_.check());
      }
      if (merged_) {
        deliver(speakers_[0], first, sink, hops_wanted);
        continue;
      }
      crosstalk_.process(first, second);
      deliver(speakers_[0], first, sink, hops_wanted);
      deliver(speakers_[1], second, sink, hops_wanted);
    }
  }
}

std::vector<SpeakerReport> CallAnalyzer::reports() const {
  std::vector<SpeakerReport> reports;
  for (std::size_t c = 0; c < (merged_ ? 1 : speakers_.size()); ++c) {
    if (!ever_present_[c]) continue;
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
    speaker.hop_count = 0;
    speaker.next_hop = 0;
  }
  skipped_frames_ = 0;
  present_ = {true, true};
  ever_present_ = {true, true};
  comparator_.reset();
  crosstalk_.reset();
  if (merged_) speakers_[0].role = roles_[0];
  merged_ = false;
  frames_consumed_ = 0;
}

}  // namespace tw::pipeline
