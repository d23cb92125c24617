#include "dsp/g722_decoder.h"

#include <algorithm>

#include "dsp/pcm16.h"

namespace tw::dsp {

namespace {

// The Recommendation computes in 16-bit two's-complement words; sums that can leave
// that range saturate (its "with overflow control").
constexpr int saturate16(int value) noexcept { return std::clamp(value, -32768, 32767); }

// LIMIT: the reconstructed signals are held to 15 bits.
constexpr int limit15(int value) noexcept { return std::clamp(value, -16384, 16383); }

// ---- Lower sub-band, 6-bit quantiser (mode 1) -------------------------------------
// Output levels of the 6-bit quantiser for magnitude index mil = 1..30, in the units
// INVQBL multiplies by DETL (DL = DETL * QQ6 >> 15).
constexpr std::array<int, 31> kQq6ByMagnitude = {
    0,    136,  432,  728,  1040, 1360, 1688, 2032, 2400, 2776, 3168, 3576, 4008, 4464, 4944, 5456,
    6000, 6576, 7192, 7856, 8576, 9360, 10232, 11192, 12280, 13512, 14984, 16704, 19008, 21904, 24808};

// The Recommendation's code assignment for the 6-bit quantiser: for magnitude index mil,
// the positive level is sent as ILP = 62 - mil (61 .. 32) and the negative one as ILN:
// 63 and 62 for mil 1 and 2, then 34 - mil (31 .. 4). Codes 0-3 are never sent by an
// encoder; they decode as the smallest negative level, as decoders in the field do
// (and the test's reference decoder), so every octet has one meaning.
constexpr std::array<int, 64> make_qq6() noexcept {
  std::array<int, 64> table{};
  for (int code = 0; code < 4; ++code) table[static_cast<std::size_t>(code)] = -kQq6ByMagnitude[1];
  for (int mil = 1; mil <= 30; ++mil) {
    table[static_cast<std::size_t>(62 - mil)] = kQq6ByMagnitude[static_cast<std::size_t>(mil)];
    const int negative_code = mil == 1 ? 63 : mil == 2 ? 62 : 34 - mil;
    table[static_cast<std::size_t>(negative_code)] = -kQq6ByMagnitude[static_cast<std::size_t>(mil)];
  }
  return table;
}
constexpr std::array<int, 64> kQq6 = make_qq6();

// ---- Lower sub-band, 4-bit quantiser (INVQAL, LOGSCL) -----------------------------
// The predictor and the scale factor adapt on the 4-bit code (the 6-bit code's top four
// bits, IL >> 2), so that the embedded 5- and 4-bit modes stay in step. Levels and
// log-scale-factor multipliers for 4-bit magnitude index 0..7.
constexpr std::array<int, 8> kQq4ByMagnitude = {0, 1200, 2584, 4240, 6288, 8968, 12896, 20456};
constexpr std::array<int, 8> kWl = {-60, -30, 58, 172, 334, 538, 1198, 3042};

// 4-bit codes: 15 .. 8 are magnitudes 0 .. 7 with a positive sign; 7 .. 1 are
// magnitudes 1 .. 7 negative; 0 is magnitude 0.
constexpr int magnitude4(int code4) noexcept { return code4 >= 8 ? 15 - code4 : (code4 == 0 ? 0 : 8 - code4); }

constexpr std::array<int, 16> make_qq4() noexcept {
  std::array<int, 16> table{};
  for (int code = 0; code < 16; ++code) {
    const int level = kQq4ByMagnitude[static_cast<std::size_t>(magnitude4(code))];
    table[static_cast<std::size_t>(code)] = code >= 8 ? level : -level;
  }
  return table;
}
constexpr std::array<int, 16> kQq4 = make_qq4();

// ---- Higher sub-band, 2-bit quantiser (INVQAH, LOGSCH) ----------------------------
// IH 0 and 1: negative, magnitude index 2 and 1; IH 2 and 3: positive, 2 and 1.
constexpr std::array<int, 4> kQq2 = {-7408, -1616, 7408, 1616};
constexpr std::array<int, 4> kWh = {798, -214, 798, -214};

// ---- SCALEL / SCALEH ---------------------------------------------------------------
// ILB: 2048 * 2^(i/32) rounded, i = 0..31 (the Recommendation's table; the test checks
// the formula). The log scale factor's bits 6-10 index it, its top bits shift it.
constexpr std::array<int, 32> kIlb = {2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543,
                                      2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228,
                                      3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008};

// `shift_base` is 8 in the lower band (SCALEL) and 10 in the higher (SCALEH): with NB at
// its floor of 0, DETL starts at 32 and DETH at 8.
constexpr int scale_factor(int nb, int shift_base) noexcept {
  const int wd1 = (nb >> 6) & 31;
  const int wd2 = shift_base - (nb >> 11);
  const int wd3 = wd2 < 0 ? kIlb[static_cast<std::size_t>(wd1)] << -wd2 : kIlb[static_cast<std::size_t>(wd1)] >> wd2;
  return wd3 << 2;
}

// LOGSCL / LOGSCH: NB leaks by 127/128 (32512 / 32768) and steps by the code's multiplier,
// within [0, 18432] in the lower band and [0, 22528] in the higher.
constexpr int log_scale_factor(int nb, int multiplier, int ceiling) noexcept {
  return std::clamp(((nb * 32512) >> 15) + multiplier, 0, ceiling);
}

// ---- Receive QMF -------------------------------------------------------------------
// The 24 QMF coefficients h0..h23 (times 2^13; symmetric, h(i) = h(23 - i)).
constexpr std::array<int, 24> kQmf = {3,    -11, -11, 53,   12,   -156, 32,  362, -210, -805, 951, 3876,
                                      3876, 951, -805, -210, 362, 32,   -156, 12, 53,   -11,  -11, 3};

}  // namespace

void G722Decoder::reset() noexcept {
  low_ = Band{};
  high_ = Band{};
  low_.det = 32;
  high_.det = 8;
  xd_.fill(0);
  xs_.fill(0);
}

void G722Decoder::adapt_predictor(Band& band, int difference) noexcept {
  // RECONS for the predictor's own use: the signal it predicted plus the quantised
  // difference (the 4-bit one in the lower band). Unlike the output, this one is not
  // passed through LIMIT: only the 16-bit word bounds it, and FILTEP's doubling then
  // saturates (a full-scale square wave reaches that: 32767, not 2 x 16383).
  const int reconstructed = saturate16(band.s + difference);
  // PARREC: the partially reconstructed signal, difference plus the zero section.
  const int partial = saturate16(difference + band.sz);

  // The sign tests below take the sign bit: zero counts as positive.
  const bool sg0 = partial < 0;
  const bool sg1 = band.p[0] < 0;
  const bool sg2 = band.p[1] < 0;

  // UPPOL2: a2 leaks by 127/128 and moves by ±128 with the sign agreement of p(n) and
  // p(n-2), and against 4·a1 >> 7 when p(n) and p(n-1) agree; |a2| <= 12288.
  const int four_a1 = saturate16(4 * band.a[0]);
  const int wd2 = (sg0 == sg1 ? saturate16(-four_a1) : four_a1) >> 7;
  const int wd3 = sg0 == sg2 ? 128 : -128;
  band.a[1] = std::clamp(wd2 + wd3 + ((band.a[1] * 32512) >> 15), -12288, 12288);

  // UPPOL1: a1 leaks by 255/256 and moves by ±192; |a1| <= 15360 - a2 keeps the
  // two-pole section stable.
  const int a1_limit = 15360 - band.a[1];
  band.a[0] = std::clamp((sg0 == sg1 ? 192 : -192) + ((band.a[0] * 32640) >> 15), -a1_limit, a1_limit);

  // UPZERO: each b(i) leaks by 255/256 and moves by ±128 with the sign agreement of
  // the difference and its i-th predecessor (not at all when the difference is 0).
  const int step = difference == 0 ? 0 : 128;
  const bool difference_negative = difference < 0;
  for (std::size_t i = 0; i < 6; ++i) {
    const int move = difference_negative == (band.d[i] < 0) ? step : -step;
    band.b[i] = move + ((band.b[i] * 32640) >> 15);
  }

  // DELAYA.
  for (std::size_t i = 5; i > 0; --i) band.d[i] = band.d[i - 1];
  band.d[0] = difference;
  band.r[1] = band.r[0];
  band.r[0] = reconstructed;
  band.p[1] = band.p[0];
  band.p[0] = partial;

  // FILTEP: the pole section on the two past reconstructed signals.
  const int pole1 = (band.a[0] * saturate16(2 * band.r[0])) >> 15;
  const int pole2 = (band.a[1] * saturate16(2 * band.r[1])) >> 15;
  const int pole_part = saturate16(pole1 + pole2);
  // FILTEZ: the zero section on the six past differences.
  int zero_part = 0;
  for (std::size_t i = 0; i < 6; ++i) zero_part = saturate16(zero_part + ((band.b[i] * saturate16(2 * band.d[i])) >> 15));
  // PREDIC.
  band.sz = zero_part;
  band.s = saturate16(pole_part + zero_part);
}

std::array<std::int16_t, 2> G722Decoder::decode_octet(std::uint8_t octet) noexcept {
  // Mode 1: the octet is IH (2 bits) then ILr (6 bits).
  const int ilr = octet & 0x3F;
  const int ih = octet >> 6;

  // Lower band. INVQAL: the 4-bit difference that drives adaptation; INVQBL: the
  // 6-bit one that makes the output; RECONS and LIMIT: the output rL.
  const int code4 = ilr >> 2;
  const int dlt = (low_.det * kQq4[static_cast<std::size_t>(code4)]) >> 15;
  const int dl = (low_.det * kQq6[static_cast<std::size_t>(ilr)]) >> 15;
  const int rl = limit15(low_.s + dl);
  low_.nb = log_scale_factor(low_.nb, kWl[static_cast<std::size_t>(magnitude4(code4))], 18432);
  low_.det = scale_factor(low_.nb, 8);
  adapt_predictor(low_, dlt);

  // Higher band. INVQAH, RECONS and LIMIT: rH; the same difference adapts.
  const int dh = (high_.det * kQq2[static_cast<std::size_t>(ih)]) >> 15;
  const int rh = limit15(high_.s + dh);
  high_.nb = log_scale_factor(high_.nb, kWh[static_cast<std::size_t>(ih)], 22528);
  high_.det = scale_factor(high_.nb, 10);
  adapt_predictor(high_, dh);

  // Receive QMF: xd = rL - rH and xs = rL + rH enter the delay lines; the even
  // coefficients on xd give the first output sample, the odd ones on xs the second:
  // xout(j) = 2 Σ h(2i) xd(i), xout(j+1) = 2 Σ h(2i+1) xs(i), i = 0..11.
  for (std::size_t i = 11; i > 0; --i) {
    xd_[i] = xd_[i - 1];
    xs_[i] = xs_[i - 1];
  }
  xd_[0] = rl - rh;
  xs_[0] = rl + rh;
  int first = 0;
  int second = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    first += kQmf[2 * i] * xd_[i];
    second += kQmf[2 * i + 1] * xs_[i];
  }
  // The coefficients are in units of 2^-13 and the factor 2 leaves 2^-12; the signal
  // is then taken to 16-bit PCM scale one bit up, hence >> 11.
  return {static_cast<std::int16_t>(saturate16(first >> 11)), static_cast<std::int16_t>(saturate16(second >> 11))};
}

std::size_t G722Decoder::decode(std::span<const std::uint8_t> octets, std::span<std::int16_t> out) noexcept {
  const std::size_t n = std::min(octets.size(), out.size() / kSamplesPerOctet);
  for (std::size_t i = 0; i < n; ++i) {
    const auto pair = decode_octet(octets[i]);
    out[2 * i] = pair[0];
    out[2 * i + 1] = pair[1];
  }
  return n * kSamplesPerOctet;
}

std::size_t G722Decoder::decode(std::span<const std::uint8_t> octets, std::span<float> out) noexcept {
  const std::size_t n = std::min(octets.size(), out.size() / kSamplesPerOctet);
  for (std::size_t i = 0; i < n; ++i) {
    const auto pair = decode_octet(octets[i]);
    out[2 * i] = from_pcm16(pair[0]);
    out[2 * i + 1] = from_pcm16(pair[1]);
  }
  return n * kSamplesPerOctet;
}

}  // namespace tw::dsp
