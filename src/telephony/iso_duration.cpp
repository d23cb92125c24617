#include "telephony/iso_duration.h"

#include <cstdio>

namespace tw::telephony {

std::optional<std::int64_t> parse_iso_duration_samples(std::string_view text, int rate_hz) noexcept {
  // AudioHook protocol, "Data types: Duration": ISO 8601 duration restricted to
  // seconds, "PT" decimal "S".
  if (rate_hz <= 0 || text.size() < 4 || text.substr(0, 2) != "PT" || text.back() != 'S') return std::nullopt;
  const std::string_view number = text.substr(2, text.size() - 3);
  const std::size_t dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  if (whole.empty() || whole.size() > 9 || (dot != std::string_view::npos && fraction.empty()) || fraction.size() > 9)
    return std::nullopt;
  std::int64_t seconds = 0;
  for (const char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  // Fraction in nanoseconds, then samples rounded to nearest.
  std::int64_t nanos = 0;
  std::int64_t scale = 100000000;
  for (const char c : fraction) {
    if (c < '0' || c > '9') return std::nullopt;
    nanos += (c - '0') * scale;
    scale /= 10;
  }
  return seconds * rate_hz + (nanos * rate_hz + 500000000) / 1000000000;
}

std::string format_iso_duration(std::int64_t samples, int rate_hz) {
  if (samples < 0) samples = 0;
  const std::int64_t seconds = samples / rate_hz;
  const std::int64_t micros = (samples % rate_hz) * 1000000 / rate_hz;
  char text[48];
  if (micros == 0) {
    std::snprintf(text, sizeof text, "PT%lldS", static_cast<long long>(seconds));
  } else {
    std::snprintf(text, sizeof text, "PT%lld.%06lld", static_cast<long long>(seconds), static_cast<long long>(micros));
    std::string out(text);
    while (out.back() == '0') out.pop_back();
    return out + "S";
  }
  return text;
}

}  // namespace tw::telephony
