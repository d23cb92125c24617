#pragma once
// ITU-T Recommendation G.722 (09/2012, algorithm unchanged since 11/1988), "7 kHz
// audio-coding within 64 kbit/s": the sub-band ADPCM (SB-ADPCM) decoder in mode 1
// (64 kbit/s: 6 bits for the lower sub-band, 2 for the higher one in each octet).
//
// Written from the Recommendation's block-by-block computational description of the
// decoder (the lower band's INVQAL, INVQBL, RECONS, LIMIT, LOGSCL, SCALEL; the
// higher band's INVQAH, LOGSCH, SCALEH; the adaptive predictor blocks PARREC,
// UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC shared by both; and the
// receive QMF), with its quantiser and scale-factor tables. The
// arithmetic is the Recommendation's 16-bit fixed point, so the decode is bit-exact:
// the same octets give the same samples in every conforming decoder.
//
// Output: 16 kHz, two samples per octet. The Recommendation's receive QMF yields
// samples on the scale interoperable decoders use for 16-bit PCM (the QMF sum shifted
// right by 11); decode() hands them back as int16 or as floats in [-1, 1).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tw::dsp {

/// G.722 mode-1 (64 kbit/s) decoder for one stream. One instance per stream, one
/// thread; all state is inside the object (no allocation anywhere).
class G722Decoder {
 public:
  /// Output rate (Recommendation §1: 16 kHz sampling; the RTP clock is 8 kHz, RFC 3551 §4.5.2).
  static constexpr int kSampleRateHz = 16000;
  /// Samples each octet decodes to.
  static constexpr std::size_t kSamplesPerOctet = 2;

  /// A decoder in the Recommendation's reset state (DETL 32, DETH 8, every other variable 0).
  G722Decoder() noexcept { reset(); }

  /// Back to the reset state, exactly like a fresh instance. Real-time safe.
  void reset() noexcept;

  /// Decodes whole octets into 16-bit PCM at 16 kHz: 2 samples per octet, as many
  /// octets as both spans allow. Returns the samples written. Real-time safe: no
  /// allocation, never throws; every octet value is valid input.
  std::size_t decode(std::span<const std::uint8_t> octets, std::span<std::int16_t> out) noexcept;

  /// The same, as floats in [-1, 1) (the int16 value / 32768). Real-time safe.
  std::size_t decode(std::span<const std::uint8_t> octets, std::span<float> out) noexcept;

 private:
  // One sub-band's ADPCM state: the Recommendation's variables, named after it.
  struct Band {
    int det = 0;                  // DETL / DETH: quantiser scale factor
    int nb = 0;                   // NBL / NBH: log scale factor
    int s = 0;                    // SL / SH: predictor output for the next sample
    int sz = 0;                   // SZL / SZH: its zero-section part
    std::array<int, 2> a{};       // AL1, AL2 / AH1, AH2: pole coefficients
    std::array<int, 6> b{};       // BL1..BL6 / BH1..BH6: zero coefficients
    std::array<int, 6> d{};       // DLT1..DLT6 / DH1..DH6: past quantised differences
    std::array<int, 2> r{};       // RLT1, RLT2 / RH1, RH2: past reconstructed signals
    std::array<int, 2> p{};       // PLT1, PLT2 / PH1, PH2: past partially reconstructed signals
  };

  // PARREC, RECONS (for the predictor), UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP,
  // FILTEZ, PREDIC: everything after the inverse quantiser, the same in both bands.
  static void adapt_predictor(Band& band, int difference) noexcept;
  std::array<std::int16_t, 2> decode_octet(std::uint8_t octet) noexcept;

  Band low_;
  Band high_;
  // Receive QMF delay lines, newest first: xd(i) = rL - rH, xs(i) = rL + rH.
  std::array<int, 12> xd_{};
  std::array<int, 12> xs_{};
};

}  // namespace tw::dsp
