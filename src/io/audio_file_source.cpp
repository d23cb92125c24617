#include "io/audio_file_source.h"

#include <fcntl.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "dsp/pcm16.h"
#include "io/audio_error.h"

namespace tw::io {
namespace {

struct EncodingName {
  std::string_view name;
  RawEncoding encoding;
  int subtype;
};

constexpr EncodingName kRawEncodings[] = {
    {"s8", RawEncoding::pcm_s8, SF_FORMAT_PCM_S8},      {"u8", RawEncoding::pcm_u8, SF_FORMAT_PCM_U8},
    {"s16", RawEncoding::pcm_s16, SF_FORMAT_PCM_16},    {"s24", RawEncoding::pcm_s24, SF_FORMAT_PCM_24},
    {"s32", RawEncoding::pcm_s32, SF_FORMAT_PCM_32},    {"f32", RawEncoding::float32, SF_FORMAT_FLOAT},
    {"f64", RawEncoding::float64, SF_FORMAT_DOUBLE},    {"ulaw", RawEncoding::ulaw, SF_FORMAT_ULAW},
    {"alaw", RawEncoding::alaw, SF_FORMAT_ALAW},
};

std::string accepted_encodings() {
  std::string names;
  for (const auto& e : kRawEncodings) names += (names.empty() ? "" : ", ") + std::string(e.name);
  return names;
}

int raw_subtype(RawEncoding encoding) {
  for (const auto& e : kRawEncodings) {
    if (e.encoding == encoding) return e.subtype;
  }
  return SF_FORMAT_PCM_16;
}

std::string format_name(int format) {
  SF_FORMAT_INFO info{};
  info.format = format & SF_FORMAT_TYPEMASK;
  std::string container = sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) == 0 ? info.name : "audio";
  info = {};
  info.format = format & SF_FORMAT_SUBMASK;
  std::string encoding = sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) == 0 ? info.name : "unknown";
  return container + ", " + encoding;
}

// What errno says, in the words a user acts on.
std::string system_reason(int error) {
  if (error == EACCES) return "permission denied";
  if (error == EPERM) return "permission denied (" + std::string(std::strerror(error)) + ")";
  return std::strerror(error);
}

AudioErrorKind classify_open_error(int code) {
  switch (code) {
    case SF_ERR_UNRECOGNISED_FORMAT:
    case SF_ERR_MALFORMED_FILE: return AudioErrorKind::not_audio;
    case SF_ERR_UNSUPPORTED_ENCODING: return AudioErrorKind::unsupported;
    case SF_ERR_SYSTEM: return AudioErrorKind::unreadable;
    default: return AudioErrorKind::not_audio;
  }
}

}  // namespace

RawEncoding parse_raw_encoding(const std::string& name) {
  for (const auto& e : kRawEncodings) {
    if (e.name == name) return e.encoding;
  }
  throw std::invalid_argument("unknown raw encoding '" + name + "' (accepted: " + accepted_encodings() + ")");
}

AudioFileSource::AudioFileSource(const std::string& path, const FileSourceOptions& options) : path_(path) {
  // Raw parameters are checked here: libsndfile's own message for them names
  // neither the file nor the field ("Internal error : SF_INFO struct incomplete").
  if (options.raw) {
    const RawFormat& raw = *options.raw;
    if (raw.channels < 1) throw AudioError(AudioErrorKind::unsupported, path, "raw channel count must be >= 1");
    if (raw.sample_rate_hz < options.min_rate_hz || raw.sample_rate_hz > options.max_rate_hz) {
      throw AudioError(AudioErrorKind::unsupported, path,
                       "raw sample rate " + std::to_string(raw.sample_rate_hz) + " Hz is outside " +
                           std::to_string(options.min_rate_hz) + "-" + std::to_string(options.max_rate_hz) + " Hz");
    }
  }
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) throw AudioError(AudioErrorKind::missing, path, "no such file");
    throw AudioError(AudioErrorKind::unreadable, path, system_reason(error));
  }
  if (S_ISDIR(status.st_mode)) throw AudioError(AudioErrorKind::not_audio, path, "is a directory");
  if (S_ISREG(status.st_mode) && status.st_size == 0) {
    throw AudioError(AudioErrorKind::empty, path, "the file is empty (0 bytes)");
  }
  // Opened once, by us: errno says why a file cannot be read (libsndfile reports
  // only "System error"), and a FIFO is read by this one open.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw AudioError(AudioErrorKind::unreadable, path, system_reason(errno));
  const bool seekable = S_ISREG(status.st_mode) || S_ISBLK(status.st_mode);

  SF_INFO info{};
  if (options.raw) {
    const RawFormat& raw = *options.raw;
    info.samplerate = raw.sample_rate_hz;
    info.channels = raw.channels;
    info.format = SF_FORMAT_RAW | raw_subtype(raw.encoding) | (raw.big_endian ? SF_ENDIAN_BIG : SF_ENDIAN_LITTLE);
  }
  // SF_FALSE: the descriptor stays ours to close, on success and failure alike.
  file_ = sf_open_fd(fd_, SFM_READ, &info, SF_FALSE);
  if (file_ == nullptr) {
    const int code = sf_error(nullptr);
    const AudioErrorKind kind = classify_open_error(code);
    std::string detail = code == SF_ERR_SYSTEM ? sf_strerror(nullptr) : sf_error_number(code);
    if (kind == AudioErrorKind::not_audio && !options.raw) {
      detail += " (if it is headerless raw audio, say how to read it: --raw ENCODING --raw-rate HZ)";
    }
    close();
    throw AudioError(kind, path, detail);
  }
  format_.sample_rate_hz = info.samplerate;
  format_.channels = info.channels;
  // Raw audio from a stream has no length: libsndfile says "as many as can be".
  format_.frames = !seekable && options.raw ? -1 : info.frames;
  format_.description = format_name(info.format);

  // libsndfile reads what is there when a header promises more; its log says so.
  char log[4096] = {};
  sf_command(file_, SFC_GET_LOG_INFO, log, sizeof log);
  // A chunk length the file cannot hold reads "data : 15186 (should be 9942)".
  // (Other notes say "should be" too, e.g. "'data' chunk should be an even
  // number of bytes", which an odd-length u-law file legitimately triggers.)
  const bool overstated = std::string_view(log).find("(should be ") != std::string_view::npos;

  auto fail = [&](AudioErrorKind kind, const std::string& detail) {
    close();
    throw AudioError(kind, path, detail);
  };
  if (info.channels < 1) fail(AudioErrorKind::unsupported, "no channels");
  if (info.channels > options.max_channels) {
    fail(AudioErrorKind::too_many_channels,
         std::to_string(info.channels) + " channels, but a call has at most " + std::to_string(options.max_channels) +
             " speaker roles (agent and caller)");
  }
  if (info.samplerate < options.min_rate_hz || info.samplerate > options.max_rate_hz) {
    fail(AudioErrorKind::unsupported, "sample rate " + std::to_string(info.samplerate) + " Hz is outside " +
                                          std::to_string(options.min_rate_hz) + "-" +
                                          std::to_string(options.max_rate_hz) + " Hz");
  }
  if (info.frames == 0) fail(AudioErrorKind::empty, "no audio samples (" + format_.description + ")");
  if (overstated && !options.raw) {
    fail(AudioErrorKind::truncated, "the header promises more audio than the file holds (" +
                                        std::to_string(info.frames) + " frames present)");
  }
  guard_ = std::make_unique<NonFiniteGuard>(info.channels);
  // 16-bit PCM, and G.711 (libsndfile decodes it to 16-bit values, then scales).
  const int subtype = info.format & SF_FORMAT_SUBMASK;
  pcm16_ = subtype == SF_FORMAT_PCM_16 || subtype == SF_FORMAT_ULAW || subtype == SF_FORMAT_ALAW;
}

AudioFileSource::~AudioFileSource() { close(); }

void AudioFileSource::close() noexcept {
  if (file_ != nullptr) sf_close(file_);
  file_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::size_t AudioFileSource::read(std::span<float> interleaved) {
  const auto channels = static_cast<std::size_t>(format_.channels);
  const auto want = static_cast<sf_count_t>(interleaved.size() / channels);
  if (want == 0) return 0;
  sf_count_t got = 0;
  if (pcm16_) {
    if (pcm16_block_.size() < interleaved.size()) pcm16_block_.resize(interleaved.size());
    got = sf_readf_short(file_, pcm16_block_.data(), want);
    // libsndfile's float normalisation of these is the same x / 32768
    // (dsp::from_pcm16), so the samples are identical to the bit.
    const std::size_t n = got > 0 ? static_cast<std::size_t>(got) * channels : 0;
    for (std::size_t i = 0; i < n; ++i) interleaved[i] = dsp::from_pcm16(pcm16_block_[i]);
  } else {
    got = sf_readf_float(file_, interleaved.data(), want);
  }
  if (sf_error(file_) != SF_ERR_NO_ERROR) {
    throw AudioError(AudioErrorKind::read_failed, path_,
                     std::string(sf_strerror(file_)) + " after " + std::to_string(frames_read_) + " frames");
  }
  frames_read_ += got;
  if (got == 0 && format_.frames > 0 && frames_read_ < format_.frames) {
    throw AudioError(AudioErrorKind::truncated, path_,
                     "ended after " + std::to_string(frames_read_) + " of " + std::to_string(format_.frames) +
                         " frames");
  }
  if (!pcm16_) guard_->process(std::span<float>(interleaved.data(), static_cast<std::size_t>(got) * channels));
  if (got == 0) {
    // Only now is it known that a channel never held a finite sample: analysing
    // it would report a silent speaker.
    for (int c = 0; c < format_.channels; ++c) {
      if (guard_->all_non_finite(c)) {
        throw AudioError(AudioErrorKind::invalid_samples, path_,
                         "channel " + std::to_string(c) + " has no finite sample: all " +
                             std::to_string(guard_->frames()) + " are NaN or infinite");
      }
    }
  }
  return static_cast<std::size_t>(got);
}

}  // namespace tw::io
