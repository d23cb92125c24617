#pragma once
// A stretch of a stream's time that carries no samples: the platform paused or held
// the audio, discarded it, or it was lost on the way. Such a stretch is passed on as
// its length, never as samples, so a gap of any length costs the same to carry and to
// analyse, and stream time stays exact (sample n is still time n / rate).

#include <cstdint>
#include <string_view>

namespace tw::dsp {

/// Why a stretch of stream time has no audio.
enum class GapKind : std::uint8_t {
  paused,     ///< the platform declared a pause or hold (AudioHook paused .. resumed)
  discarded,  ///< the platform declared audio it did not send (AudioHook discarded)
  lost,       ///< audio that should have come and did not (a timestamp or position gap)
};

/// Lower-case name, as in summaries, reports and metrics.
constexpr std::string_view to_string(GapKind kind) noexcept {
  switch (kind) {
    case GapKind::paused: return "paused";
    case GapKind::discarded: return "discarded";
    case GapKind::lost: return "lost";
  }
  return "lost";
}

/// A platform's own declaration (paused, discarded), as opposed to audio that went missing.
constexpr bool declared(GapKind kind) noexcept { return kind != GapKind::lost; }

/// One gap of a stream: `frames` samples per channel at the stream's rate.
struct StreamGap {
  std::int64_t frames = 0;
  GapKind kind = GapKind::lost;
};

}  // namespace tw::dsp
