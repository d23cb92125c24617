#include "io/resampling_source.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "io/audio_file_source.h"

namespace tw::io {
namespace {
constexpr std::size_t kBlockFrames = 4096;
}

ResamplingSource::ResamplingSource(AudioSource& input, int output_rate_hz)
    : input_(input),
      format_(input.format()),
      resampler_(input.format().sample_rate_hz, output_rate_hz, static_cast<unsigned>(input.format().channels)) {
  format_.sample_rate_hz = output_rate_hz;
  if (input.format().frames >= 0) {
    format_.frames = static_cast<std::int64_t>(std::llround(static_cast<double>(input.format().frames) *
                                                            output_rate_hz / input.format().sample_rate_hz));
  }
  input_block_.resize(kBlockFrames * static_cast<std::size_t>(format_.channels));
}

std::size_t ResamplingSource::read(std::span<float> interleaved) {
  const auto channels = static_cast<std::size_t>(format_.channels);
  // At the source's own rate nothing is converted: read straight into the
  // caller's buffer (three copies of every sample otherwise, 3 % of a file's
  // whole analysis).
  if (resampler_.is_passthrough() && pending_offset_ == pending_.size()) return input_.read(interleaved);
  auto append = [&](std::span<const float> converted) { pending_.insert(pending_.end(), converted.begin(), converted.end()); };
  while (pending_.size() - pending_offset_ < interleaved.size() && !input_done_) {
    if (pending_offset_ > 0) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_offset_));
      pending_offset_ = 0;
    }
    const std::size_t frames = input_.read(input_block_);
    if (frames == 0) {
      input_done_ = true;
      resampler_.flush(append);
    } else {
      resampler_.process(std::span<const float>(input_block_.data(), frames * channels), append);
    }
  }
  const std::size_t available = (pending_.size() - pending_offset_) / channels * channels;
  const std::size_t n = std::min(available, interleaved.size() / channels * channels);
  std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(pending_offset_), n, interleaved.begin());
  pending_offset_ += n;
  return n / channels;
}

std::vector<float> read_all(AudioSource& source) {
  const auto channels = static_cast<std::size_t>(source.format().channels);
  std::vector<float> all;
  if (source.format().frames > 0) all.reserve(static_cast<std::size_t>(source.format().frames) * channels);
  std::vector<float> block(kBlockFrames * channels);
  while (const std::size_t frames = source.read(block)) {
    all.insert(all.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(frames * channels));
  }
  return all;
}

std::vector<float> load_channel(const std::string& path, int rate_hz, int channel) {
  FileSourceOptions options;
  options.max_channels = 64;
  options.min_rate_hz = 1;
  options.max_rate_hz = 1 << 20;
  AudioFileSource file(path, options);
  ResamplingSource resampled(file, rate_hz);
  const std::vector<float> all = read_all(resampled);
  const auto channels = static_cast<std::size_t>(file.format().channels);
  if (channel >= static_cast<int>(channels)) {
    throw std::invalid_argument(path + ": has no channel " + std::to_string(channel));
  }
  std::vector<float> out(all.size() / channels);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (channel >= 0) {
      out[i] = all[i * channels + static_cast<std::size_t>(channel)];
    } else {
      float sum = 0.0f;
      for (std::size_t c = 0; c < channels; ++c) sum += all[i * channels + c];
      out[i] = sum / static_cast<float>(channels);
    }
  }
  return out;
}

}  // namespace tw::io
