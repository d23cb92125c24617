#include "io/audio_file_writer.h"

#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include "io/atomic_file.h"
#include "io/audio_error.h"

namespace tw::io {
namespace {

struct EncodingInfo {
  std::string_view name;
  OutputEncoding encoding;
  int sf_format;
};

constexpr std::array<EncodingInfo, 5> kEncodings{{
    {"pcm16", OutputEncoding::wav_pcm16, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    {"ulaw", OutputEncoding::wav_ulaw, SF_FORMAT_WAV | SF_FORMAT_ULAW},
    {"alaw", OutputEncoding::wav_alaw, SF_FORMAT_WAV | SF_FORMAT_ALAW},
    {"float", OutputEncoding::wav_float, SF_FORMAT_WAV | SF_FORMAT_FLOAT},
    {"flac", OutputEncoding::flac, SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
}};

const EncodingInfo& info_for(OutputEncoding encoding) {
  for (const auto& e : kEncodings) {
    if (e.encoding == encoding) return e;
  }
  throw std::invalid_argument("unknown output encoding");
}

// Removes the temporary unless released: every throw below leaves no litter.
class TemporaryGuard {
 public:
  explicit TemporaryGuard(std::string path) : path_(std::move(path)) {}
  ~TemporaryGuard() {
    if (!released_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  TemporaryGuard(const TemporaryGuard&) = delete;
  TemporaryGuard& operator=(const TemporaryGuard&) = delete;
  void release() noexcept { released_ = true; }

 private:
  std::string path_;
  bool released_ = false;
};

// Samples go through a bounded scratch block, so a large call never needs a
// second full-size copy for clipping.
constexpr std::size_t kBlockFrames = 8192;

}  // namespace

const char* to_string(OutputEncoding encoding) noexcept {
  for (const auto& e : kEncodings) {
    if (e.encoding == encoding) return e.name.data();
  }
  return "unknown";
}

OutputEncoding parse_output_encoding(const std::string& name) {
  for (const auto& e : kEncodings) {
    if (e.name == name) return e.encoding;
  }
  std::string accepted;
  for (const auto& e : kEncodings) accepted += (accepted.empty() ? "" : ", ") + std::string(e.name);
  throw std::invalid_argument("unknown output encoding '" + name + "' (accepted: " + accepted + ")");
}

void write_audio_file(const std::string& path, std::span<const float> interleaved, int channels, int rate_hz,
                      OutputEncoding encoding) {
  if (channels >= 1 && interleaved.size() % static_cast<std::size_t>(channels) != 0) {
    throw std::invalid_argument(path + ": " + std::to_string(interleaved.size()) +
                                " interleaved samples are not a whole number of " + std::to_string(channels) +
                                "-channel frames");
  }
  AudioFileRecorder recorder(path, channels, rate_hz, encoding);
  recorder.write(interleaved);
  recorder.commit();
}

AudioFileRecorder::AudioFileRecorder(std::string path, int channels, int rate_hz, OutputEncoding encoding)
    : path_(std::move(path)) {
  if (channels < 1) throw std::invalid_argument(path_ + ": channel count must be >= 1");
  if (rate_hz < 1) throw std::invalid_argument(path_ + ": sample rate must be > 0 Hz");
  channels_ = static_cast<std::size_t>(channels);
  SF_INFO info{};
  info.samplerate = rate_hz;
  info.channels = channels;
  info.format = info_for(encoding).sf_format;
  if (sf_format_check(&info) == 0) {
    throw AudioError(AudioErrorKind::unsupported, path_,
                     std::string("libsndfile cannot write ") + to_string(encoding) + " with " +
                         std::to_string(channels) + " channels at " + std::to_string(rate_hz) + " Hz");
  }
  temporary_ = temporary_name_for(path_);
  file_ = sf_open(temporary_.c_str(), SFM_WRITE, &info);
  if (file_ == nullptr) throw std::runtime_error(path_ + ": cannot create output file: " + sf_strerror(nullptr));
  block_.resize(kBlockFrames * channels_);
}

AudioFileRecorder::~AudioFileRecorder() {
  if (file_ != nullptr) {
    sf_close(static_cast<SNDFILE*>(file_));
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AudioFileRecorder::write(std::span<const float> interleaved) {
  if (file_ == nullptr) throw std::logic_error(path_ + ": recorder already committed");
  auto* file = static_cast<SNDFILE*>(file_);
  const std::size_t total_frames = interleaved.size() / channels_;
  for (std::size_t frame = 0; frame < total_frames; frame += kBlockFrames) {
    const std::size_t frames = std::min(kBlockFrames, total_frames - frame);
    const auto source = interleaved.subspan(frame * channels_, frames * channels_);
    // libsndfile wraps around on out-of-range floats unless told otherwise, and
    // NaN has no integer value: both are made safe here, for every encoding alike.
    std::transform(source.begin(), source.end(), block_.begin(),
                   [](float x) { return std::isfinite(x) ? std::clamp(x, -1.0f, 1.0f) : 0.0f; });
    const auto wanted = static_cast<sf_count_t>(frames);
    if (sf_writef_float(file, block_.data(), wanted) != wanted) {
      throw std::runtime_error(path_ + ": write failed after " + std::to_string(frames_) + " frames: " + sf_strerror(file));
    }
    frames_ += static_cast<std::int64_t>(frames);
  }
}

void AudioFileRecorder::commit() {
  if (file_ == nullptr) throw std::logic_error(path_ + ": recorder already committed");
  // sf_close flushes buffered audio and finalises the header; its error counts too.
  const int close_error = sf_close(static_cast<SNDFILE*>(file_));
  file_ = nullptr;
  TemporaryGuard guard(temporary_);
  if (close_error != 0) throw std::runtime_error(path_ + ": write failed: " + sf_error_number(close_error));
  std::error_code ec;
  std::filesystem::rename(temporary_, path_, ec);
  if (ec) throw std::runtime_error(path_ + ": cannot move output into place: " + ec.message());
  guard.release();
}

}  // namespace tw::io
