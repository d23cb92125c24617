#include "tools/line_conditions.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <numbers>
#include <random>
#include <stdexcept>

namespace tw::tools {
namespace {

// ---- libsndfile on a memory buffer (its virtual I/O), so codecs need no files.

struct MemoryFile {
  std::vector<unsigned char> data;
  sf_count_t position = 0;
};

sf_count_t memory_length(void* user) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->data.size()); }

sf_count_t memory_seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->position : memory_length(user);
  f->position = std::max<sf_count_t>(0, base + offset);
  return f->position;
}

sf_count_t memory_read(void* out, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const sf_count_t available = std::max<sf_count_t>(0, memory_length(user) - f->position);
  const sf_count_t n = std::min(count, available);
  if (n > 0) std::memcpy(out, f->data.data() + f->position, static_cast<std::size_t>(n));
  f->position += n;
  return n;
}

sf_count_t memory_write(const void* in, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const auto end = static_cast<std::size_t>(f->position + count);
  if (end > f->data.size()) f->data.resize(end);
  std::memcpy(f->data.data() + f->position, in, static_cast<std::size_t>(count));
  f->position += count;
  return count;
}

sf_count_t memory_tell(void* user) { return static_cast<MemoryFile*>(user)->position; }

void require_sndfile(SNDFILE* file, const char* what) {
  if (file == nullptr) throw std::runtime_error(std::string("codec round trip: cannot ") + what + ": " + sf_strerror(nullptr));
}

double sinc(double x) { return x == 0.0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x); }

// Zeroth-order modified Bessel function of the first kind (power series).
double bessel_i0(double x) {
  double sum = 1.0, term = 1.0;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

}  // namespace

std::string_view to_string(LineCondition condition) noexcept {
  switch (condition) {
    case LineCondition::clean: return "clean";
    case LineCondition::ulaw: return "ulaw";
    case LineCondition::alaw: return "alaw";
    case LineCondition::gsm: return "gsm";
    case LineCondition::agc: return "agc";
    case LineCondition::loss: return "loss";
  }
  return "clean";
}

LineCondition parse_line_condition(std::string_view name) {
  for (LineCondition c : kAllLineConditions) {
    if (to_string(c) == name) return c;
  }
  throw std::invalid_argument("unknown line condition '" + std::string(name) + "' (clean, ulaw, alaw, gsm, agc, loss)");
}

std::string band_of(LineCondition condition) { return condition == LineCondition::clean ? "none" : "steep"; }

std::vector<float> fir_band_pass(std::span<const float> x, int rate_hz, double low_hz, double high_hz, int taps,
                                 double attenuation_db) {
  if (taps < 3 || taps % 2 == 0) throw std::invalid_argument("fir_band_pass: taps must be odd and >= 3");
  if (!(0.0 < low_hz && low_hz < high_hz && high_hz < rate_hz / 2.0)) {
    throw std::invalid_argument("fir_band_pass: need 0 < low < high < rate / 2");
  }
  // Kaiser's beta for the stop-band attenuation (Kaiser 1974; Oppenheim & Schafer eq. 7.75).
  const double a = attenuation_db;
  const double beta = a > 50.0 ? 0.1102 * (a - 8.7) : a >= 21.0 ? 0.5842 * std::pow(a - 21.0, 0.4) + 0.07886 * (a - 21.0)
                                                                 : 0.0;
  const int half = taps / 2;
  std::vector<double> h(static_cast<std::size_t>(taps));
  const double f1 = low_hz / rate_hz, f2 = high_hz / rate_hz;
  for (int n = 0; n < taps; ++n) {
    const int m = n - half;
    const double ideal = 2.0 * f2 * sinc(2.0 * f2 * m) - 2.0 * f1 * sinc(2.0 * f1 * m);
    const double r = static_cast<double>(m) / half;
    h[static_cast<std::size_t>(n)] = ideal * bessel_i0(beta * std::sqrt(1.0 - r * r)) / bessel_i0(beta);
  }
  std::vector<float> y(x.size(), 0.0f);
  const auto length = static_cast<std::ptrdiff_t>(x.size());
  for (std::ptrdiff_t i = 0; i < length; ++i) {
    double sum = 0.0;
    const std::ptrdiff_t first = std::max<std::ptrdiff_t>(0, i - half), last = std::min<std::ptrdiff_t>(length - 1, i + half);
    for (std::ptrdiff_t j = first; j <= last; ++j) sum += h[static_cast<std::size_t>(j - i + half)] * x[static_cast<std::size_t>(j)];
    y[static_cast<std::size_t>(i)] = static_cast<float>(sum);
  }
  return y;
}

std::vector<float> steep_telephone_band(std::span<const float> x, int rate_hz) {
  // Kaiser's length formula N = (A - 7.95) / (14.36 df / fs) + 1 gives 401 taps
  // for A = 80 dB and 100 Hz transitions at 8 kHz.
  const double transition_hz = 100.0, attenuation_db = 80.0;
  int taps = static_cast<int>(std::ceil((attenuation_db - 7.95) / (14.36 * transition_hz / rate_hz))) + 1;
  if (taps % 2 == 0) ++taps;
  return fir_band_pass(x, rate_hz, 300.0, 3400.0, taps, attenuation_db);
}

std::vector<float> codec_round_trip(std::span<const float> mono, int rate_hz, Codec codec) {
  SF_VIRTUAL_IO io{memory_length, memory_seek, memory_read, memory_write, memory_tell};
  MemoryFile memory;
  SF_INFO info{};
  info.samplerate = rate_hz;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | (codec == Codec::ulaw ? SF_FORMAT_ULAW : codec == Codec::alaw ? SF_FORMAT_ALAW
                                                                                           : SF_FORMAT_GSM610);
  SNDFILE* out = sf_open_virtual(&io, SFM_WRITE, &info, &memory);
  require_sndfile(out, "open the encoder");
  sf_command(out, SFC_SET_CLIPPING, nullptr, SF_TRUE);  // a hot signal clips, as on a line, rather than wrapping
  sf_write_float(out, mono.data(), static_cast<sf_count_t>(mono.size()));
  sf_close(out);
  memory.position = 0;
  SF_INFO read_info{};
  SNDFILE* in = sf_open_virtual(&io, SFM_READ, &read_info, &memory);
  require_sndfile(in, "open the decoder");
  std::vector<float> decoded(mono.size(), 0.0f);
  sf_read_float(in, decoded.data(), static_cast<sf_count_t>(decoded.size()));
  sf_close(in);
  return decoded;
}

void automatic_gain(std::span<float> mono, int rate_hz, double target_dbfs, double range_db) {
  const std::size_t block = static_cast<std::size_t>(rate_hz) / 100;  // 10 ms
  if (block == 0) return;
  const double block_s = 0.01;
  const double level_alpha = 1.0 - std::exp(-block_s / 1.5);
  const double gain_alpha = 1.0 - std::exp(-block_s / 0.5);
  constexpr double kSineDb = 3.0103;  // dB re full-scale sine from dB re amplitude 1
  constexpr std::size_t kFloorBlocks = 300;  // the quietest 10 ms over 3 s: the line's noise
  std::deque<double> recent;
  double level_db = target_dbfs, gain_db = 0.0;
  for (std::size_t start = 0; start < mono.size(); start += block) {
    const std::size_t end = std::min(mono.size(), start + block);
    double power = 0.0;
    for (std::size_t i = start; i < end; ++i) power += static_cast<double>(mono[i]) * mono[i];
    const double block_db = 10.0 * std::log10(power / static_cast<double>(end - start) + 1e-20) + kSineDb;
    recent.push_back(block_db);
    if (recent.size() > kFloorBlocks) recent.pop_front();
    const double floor_db = *std::min_element(recent.begin(), recent.end());
    if (block_db >= floor_db + 10.0) level_db += level_alpha * (block_db - level_db);
    const double wanted = std::clamp(target_dbfs - level_db, -range_db, range_db);
    const double previous = gain_db;
    gain_db += gain_alpha * (wanted - gain_db);
    // Interpolated across the block, so the gain never steps.
    for (std::size_t i = start; i < end; ++i) {
      const double t = static_cast<double>(i - start + 1) / static_cast<double>(end - start);
      mono[i] = static_cast<float>(mono[i] * std::pow(10.0, (previous + t * (gain_db - previous)) / 20.0));
    }
  }
}

std::size_t lose_packets(std::span<float> mono, int rate_hz, double rate, double packet_s, std::uint64_t seed) {
  const auto packet = static_cast<std::size_t>(std::lround(packet_s * rate_hz));
  if (packet == 0) return 0;
  std::seed_seq sequence{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  std::mt19937_64 engine(sequence);
  std::size_t lost = 0;
  for (std::size_t start = 0; start < mono.size(); start += packet) {
    // Our own uniform draw: std::uniform_real_distribution is not portable.
    const double u = static_cast<double>(engine() >> 11) * 0x1.0p-53;
    if (u >= rate) continue;
    std::fill(mono.begin() + static_cast<std::ptrdiff_t>(start),
              mono.begin() + static_cast<std::ptrdiff_t>(std::min(mono.size(), start + packet)), 0.0f);
    ++lost;
  }
  return lost;
}

void apply_line_condition(std::vector<float>& interleaved, int channels, int rate_hz, LineCondition condition,
                          std::uint64_t seed) {
  if (condition == LineCondition::clean || channels <= 0) return;
  const auto c_count = static_cast<std::size_t>(channels);
  const std::size_t frames = interleaved.size() / c_count;
  for (std::size_t c = 0; c < c_count; ++c) {
    std::vector<float> x(frames);
    for (std::size_t i = 0; i < frames; ++i) x[i] = interleaved[i * c_count + c];
    switch (condition) {
      case LineCondition::alaw: x = codec_round_trip(x, rate_hz, Codec::alaw); break;
      case LineCondition::gsm: x = codec_round_trip(x, rate_hz, Codec::gsm610); break;
      case LineCondition::agc:
        automatic_gain(x, rate_hz);
        x = codec_round_trip(x, rate_hz, Codec::ulaw);
        break;
      case LineCondition::loss:
        x = codec_round_trip(x, rate_hz, Codec::ulaw);
        lose_packets(x, rate_hz, 0.02, 0.02, seed * 2 + c);
        break;
      default: x = codec_round_trip(x, rate_hz, Codec::ulaw); break;
    }
    for (std::size_t i = 0; i < frames; ++i) interleaved[i * c_count + c] = x[i];
  }
}

}  // namespace tw::tools
