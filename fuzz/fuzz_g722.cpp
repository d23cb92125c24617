// libFuzzer target: the G.722 decoder. The first byte sets the block size (1..255
// octets per decode call, 0: all at once); the rest is G.722 octets. Every octet is
// valid input; the harness traps if a sample is outside [-1, 1), if the float and
// int16 decodings disagree, or if decoding in blocks differs from decoding at once.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "dsp/g722_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = data[0] == 0 ? size : data[0];
  const std::span<const std::uint8_t> octets(data + 1, size - 1);

  std::vector<std::int16_t> whole(octets.size() * 2);
  tw::dsp::G722Decoder at_once;
  if (at_once.decode(octets, std::span<std::int16_t>(whole)) != whole.size()) std::abort();

  std::vector<float> blocks(octets.size() * 2);
  tw::dsp::G722Decoder in_blocks;
  for (std::size_t at = 0; at < octets.size(); at += step) {
    const std::size_t n = std::min(step, octets.size() - at);
    if (in_blocks.decode(octets.subspan(at, n), std::span<float>(blocks).subspan(2 * at, 2 * n)) != 2 * n) std::abort();
  }
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (!(blocks[i] >= -1.0f && blocks[i] < 1.0f)) std::abort();
    if (blocks[i] != static_cast<float>(whole[i]) / 32768.0f) std::abort();
  }
  // reset() is a fresh decoder.
  in_blocks.reset();
  std::vector<std::int16_t> again(whole.size());
  in_blocks.decode(octets, std::span<std::int16_t>(again));
  if (again != whole) std::abort();
  return 0;
}
