#pragma once
// Writes call audio to WAV or FLAC via libsndfile: test calls, golden files, tool output.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tw::io {

/// How samples are stored in the written file.
enum class OutputEncoding {
  wav_pcm16,  ///< WAV, 16-bit linear PCM
  wav_ulaw,   ///< WAV, G.711 mu-law 8-bit (what US/JP telephone recordings use)
  wav_alaw,   ///< WAV, G.711 A-law 8-bit (European telephone recordings)
  wav_float,  ///< WAV, 32-bit IEEE float (lossless for our float samples)
  flac,       ///< FLAC, 16-bit
};

/// Short name, as accepted by parse_output_encoding ("pcm16", "ulaw", "alaw", "float", "flac").
const char* to_string(OutputEncoding encoding) noexcept;

/// Parses a short name; throws std::invalid_argument listing the accepted names.
OutputEncoding parse_output_encoding(const std::string& name);

/// Writes interleaved float samples in [-1, 1] (`interleaved.size()` must be a
/// multiple of `channels`) to `path`. Samples outside [-1, 1] are clipped, NaN
/// and infinities are written as 0. The file is written under a temporary name
/// next to `path` and renamed into place, so readers never see half a file and
/// a failed write leaves any previous file untouched.
/// Throws std::invalid_argument for bad arguments, AudioError (unsupported) when
/// libsndfile refuses the format, and std::runtime_error naming the file for
/// create, write and rename failures. Not real-time safe (allocates, does I/O).
void write_audio_file(const std::string& path, std::span<const float> interleaved, int channels, int rate_hz,
                      OutputEncoding encoding);

/// The same file written block by block as the audio arrives (a live call's
/// recording): under a temporary name until commit() renames it into place;
/// destroyed without commit(), it leaves nothing. Same clipping and errors as
/// write_audio_file. Not real-time safe (buffered I/O).
class AudioFileRecorder {
 public:
  AudioFileRecorder(std::string path, int channels, int rate_hz, OutputEncoding encoding);
  ~AudioFileRecorder();
  AudioFileRecorder(const AudioFileRecorder&) = delete;
  AudioFileRecorder& operator=(const AudioFileRecorder&) = delete;

  /// Appends interleaved frames. Throws std::runtime_error naming the file on a write error.
  void write(std::span<const float> interleaved);
  /// Finalises the header and renames the file into place.
  void commit();
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::string temporary_;
  std::size_t channels_;
  void* file_ = nullptr;  // SNDFILE*
  std::vector<float> block_;
  std::int64_t frames_ = 0;
};

}  // namespace tw::io
