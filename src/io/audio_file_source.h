#pragma once
// Recorded calls: WAV (PCM, float, u-law, A-law), FLAC and headerless raw audio, via libsndfile.

#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/audio_source.h"
#include "io/non_finite_guard.h"

typedef struct sf_private_tag SNDFILE;

namespace tw::io {

/// Sample encodings of headerless raw audio.
enum class RawEncoding { pcm_s8, pcm_u8, pcm_s16, pcm_s24, pcm_s32, float32, float64, ulaw, alaw };

/// Parses "s16", "ulaw", ... ; throws std::invalid_argument listing the accepted names.
RawEncoding parse_raw_encoding(const std::string& name);

/// How to read a headerless file: nothing in it says, so the user must.
struct RawFormat {
  int sample_rate_hz = 8000;
  RawEncoding encoding = RawEncoding::pcm_s16;
  int channels = 1;
  bool big_endian = false;
};

struct FileSourceOptions {
  /// When set, the file is read as headerless raw audio of this format.
  std::optional<RawFormat> raw;
  int min_rate_hz = 8000;
  int max_rate_hz = 48000;
  /// More channels than this are an error: each channel is a speaker role.
  int max_channels = 2;
};

/// Decodes a whole file; the format is checked at open, truncation and decoder
/// errors while reading. Throws AudioError naming the file and the problem.
/// The file is opened once (a FIFO or other stream works; its length may then be
/// unknown). Non-finite samples are replaced by silence and counted (non_finite());
/// a channel with no finite sample at all fails at the end of the stream
/// (invalid_samples).
class AudioFileSource final : public AudioSource {
 public:
  explicit AudioFileSource(const std::string& path, const FileSourceOptions& options = {});
  ~AudioFileSource() override;
  AudioFileSource(const AudioFileSource&) = delete;
  AudioFileSource& operator=(const AudioFileSource&) = delete;

  const AudioFormat& format() const noexcept override { return format_; }
  std::size_t read(std::span<float> interleaved) override;
  const std::string& name() const noexcept override { return path_; }
  /// The non-finite samples replaced so far, per channel, with their frame positions
  /// (at the file's own rate).
  const NonFiniteGuard& non_finite() const noexcept { return *guard_; }

 private:
  void close() noexcept;

  std::string path_;
  int fd_ = -1;
  SNDFILE* file_ = nullptr;
  std::unique_ptr<NonFiniteGuard> guard_;
  AudioFormat format_;
  // 16-bit PCM and G.711 are read as 16-bit integers and scaled here, in one
  // vectorized pass (libsndfile's float conversion costs ten instructions a
  // sample); such samples are always finite.
  bool pcm16_ = false;
  std::vector<std::int16_t> pcm16_block_;
  std::int64_t frames_read_ = 0;
};

}  // namespace tw::io
