#pragma once
// What telephone lines do to a call after the voices are mixed: codecs, an AGC,
// lost packets; and the steep band-pass a network applies. For evaluating the
// detectors under each condition.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tw::tools {

/// The channel conditions the composed-call evaluation runs every scenario under.
enum class LineCondition {
  clean,  ///< 8 kHz linear, no band limit beyond the 4 kHz Nyquist
  ulaw,   ///< steep 300-3400 Hz band, G.711 mu-law
  alaw,   ///< steep band, G.711 A-law
  gsm,    ///< steep band, GSM 06.10 full rate (13 kbit/s RPE-LTP)
  agc,    ///< steep band, an automatic gain control moving levels up to +-6 dB, mu-law
  loss,   ///< steep band, mu-law, 2 % of 20 ms packets lost and zero-filled
};
inline constexpr std::array<LineCondition, 6> kAllLineConditions = {
    LineCondition::clean, LineCondition::ulaw, LineCondition::alaw,
    LineCondition::gsm,   LineCondition::agc,  LineCondition::loss};

std::string_view to_string(LineCondition condition) noexcept;
/// Parses a condition's name; throws std::invalid_argument listing the names.
LineCondition parse_line_condition(std::string_view name);
/// The band the condition's calls are composed with ("none" or "steep"; see CallScript::band).
std::string band_of(LineCondition condition);

/// Applies the condition's codec, gain and losses to an interleaved call at
/// `rate_hz` (8 kHz for the codecs), in place. Deterministic for a seed; each
/// channel draws its own gains and losses. Throws std::runtime_error if the codec
/// fails (libsndfile's message).
void apply_line_condition(std::vector<float>& interleaved, int channels, int rate_hz, LineCondition condition,
                          std::uint64_t seed);

/// A linear-phase band-pass FIR (Kaiser-windowed sinc, Kaiser 1974): `taps` odd,
/// attenuation in dB sets the Kaiser beta. Output is aligned with the input (the
/// (taps - 1) / 2 sample delay removed), same length.
std::vector<float> fir_band_pass(std::span<const float> x, int rate_hz, double low_hz, double high_hz, int taps,
                                 double attenuation_db);

/// The "steep" telephone band: 300-3400 Hz, 401 taps (100 Hz transitions at
/// 8 kHz by Kaiser's formula), 80 dB stop band.
std::vector<float> steep_telephone_band(std::span<const float> x, int rate_hz);

enum class Codec { ulaw, alaw, gsm610 };
/// One channel through a codec and back (libsndfile's G.711 and GSM 06.10), same length.
std::vector<float> codec_round_trip(std::span<const float> mono, int rate_hz, Codec codec);

/// An AGC: the gain moves the active speech level toward `target_dbfs` (the
/// ITU-T nominal -26 dBov), within +-`range_db`, with a 1.5 s level estimate and
/// a 0.5 s gain slew, only learning while the signal stands 10 dB above its
/// quietest stretch (a gain that chased the line noise would pump it up).
void automatic_gain(std::span<float> mono, int rate_hz, double target_dbfs = -26.0, double range_db = 6.0);

/// Zero-fills packets of `packet_s` with probability `rate`, seeded; returns how many.
std::size_t lose_packets(std::span<float> mono, int rate_hz, double rate, double packet_s, std::uint64_t seed);

}  // namespace tw::tools
