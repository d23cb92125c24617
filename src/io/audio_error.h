#pragma once

#include <stdexcept>
#include <string>

namespace tw::io {

enum class AudioErrorKind {
  missing,            ///< no such file (or a folder on its path is missing)
  unreadable,         ///< there, but cannot be read (permission denied, I/O error)
  not_audio,          ///< the file holds no format we recognise
  unsupported,        ///< audio, but an encoding, rate or layout we do not take
  truncated,          ///< the file ends before its header says it should
  empty,              ///< no samples at all
  too_many_channels,  ///< more channels than speaker roles
  read_failed,        ///< the decoder failed mid-stream
  invalid_samples,    ///< a channel holds no finite sample at all (every one NaN or infinite)
};

/// Short name of an error kind, as printed in reports ("truncated", ...).
const char* to_string(AudioErrorKind kind) noexcept;

/// An input problem, naming the source and what is wrong with it.
class AudioError : public std::runtime_error {
 public:
  AudioError(AudioErrorKind kind, const std::string& source, const std::string& detail)
      : std::runtime_error(source + ": " + to_string(kind) + ": " + detail), kind_(kind) {}
  AudioErrorKind kind() const noexcept { return kind_; }

 private:
  AudioErrorKind kind_;
};

inline const char* to_string(AudioErrorKind kind) noexcept {
  switch (kind) {
    case AudioErrorKind::missing: return "missing";
    case AudioErrorKind::unreadable: return "unreadable";
    case AudioErrorKind::not_audio: return "not audio";
    case AudioErrorKind::unsupported: return "unsupported";
    case AudioErrorKind::truncated: return "truncated";
    case AudioErrorKind::empty: return "empty";
    case AudioErrorKind::too_many_channels: return "too many channels";
    case AudioErrorKind::read_failed: return "read failed";
    case AudioErrorKind::invalid_samples: return "invalid samples";
  }
  return "error";
}

}  // namespace tw::io
