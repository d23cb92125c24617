#pragma once
// ISO 8601 durations of the restricted form AudioHook uses for stream positions
// ("PT" seconds "S", seconds a non-negative decimal), converted to samples.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tw::telephony {

/// Samples at `rate_hz` in a duration "PT<seconds>S" (e.g. "PT0S", "PT12.345S"),
/// rounded to the nearest sample; nullopt for anything else or more than about
/// 31 years. Real-time safe.
std::optional<std::int64_t> parse_iso_duration_samples(std::string_view text, int rate_hz) noexcept;

/// "PT<seconds>S" for a sample count at `rate_hz`, with up to 6 decimals, trailing zeros removed.
std::string format_iso_duration(std::int64_t samples, int rate_hz);

}  // namespace tw::telephony
