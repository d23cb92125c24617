// FrameAssembler against the stream it frames: every frame is the exact slice of
// the zero-padded stream centred on its hop, whatever the block sizes, across
// many hops (the history slides back on every one), and after skipped hops.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/frame_assembler.h"

namespace {

constexpr std::size_t kFrame = 320;
constexpr std::size_t kHop = 80;

// Sample n of the test stream: distinct for every n, so a frame one sample off reads wrong.
float stream_sample(std::int64_t n) { return n < 0 ? 0.0f : 1.0f + static_cast<float>(n % 100003) * 1e-3f; }

struct Checked {
  std::int64_t frames = 0;
  std::int64_t wrong_samples = 0;
  std::int64_t next_hop = 0;
  bool hops_in_order = true;
};

// Pushes `total` samples starting at stream sample `from` in blocks cycling
// through `blocks`, checking each frame against the stream.
void push_and_check(tw::dsp::FrameAssembler& framer, std::int64_t from, std::int64_t total,
                    const std::vector<std::size_t>& blocks, Checked& c) {
  std::vector<float> block;
  std::int64_t at = from;
  for (std::size_t b = 0; at < from + total; ++b) {
    const auto n = static_cast<std::int64_t>(std::min<std::int64_t>(
        static_cast<std::int64_t>(blocks[b % blocks.size()]), from + total - at));
    block.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) block[static_cast<std::size_t>(i)] = stream_sample(at + i);
    at += n;
    framer.push(block, [&](std::span<const float> frame, std::int64_t hop) {
      c.hops_in_order &= hop == c.next_hop;
      c.next_hop = hop + 1;
      ++c.frames;
      const std::int64_t first = hop * static_cast<std::int64_t>(kHop) - static_cast<std::int64_t>(kFrame / 2);
      for (std::size_t i = 0; i < frame.size(); ++i) {
        if (frame[i] != stream_sample(first + static_cast<std::int64_t>(i))) ++c.wrong_samples;
      }
    });
  }
}

}  // namespace

TEST_CASE("FrameAssembler frames are the stream's slices centred on each hop whatever the blocks", "[dsp]") {
  const std::vector<std::vector<std::size_t>> block_patterns = {{1}, {7, 13}, {80}, {160}, {79, 81, 240}, {640}, {1000}};
  for (const auto& blocks : block_patterns) {
    tw::dsp::FrameAssembler framer(kFrame, kHop);
    Checked c;
    constexpr std::int64_t kSamples = 8000 * 3;  // 300 hops: the history slides back on each
    push_and_check(framer, 0, kSamples, blocks, c);
    INFO("first block size " << blocks.front());
    CHECK(c.wrong_samples == 0);
    CHECK(c.hops_in_order);
    // Frame n is emitted once sample n * hop + frame / 2 has arrived.
    CHECK(c.frames == (kSamples - static_cast<std::int64_t>(kFrame / 2)) / static_cast<std::int64_t>(kHop) + 1);
    CHECK(framer.samples_consumed() == kSamples);
  }
}

TEST_CASE("FrameAssembler resumes after skipped hops with their indices and the silence as history", "[dsp]") {
  tw::dsp::FrameAssembler framer(kFrame, kHop);
  Checked c;
  // A second of stream, then a frame of silence as the stream's own samples would
  // not be: skip_hops wants the frame before the skip to be silence, so the test
  // stream is zero there.
  std::vector<float> block(8000);
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = stream_sample(static_cast<std::int64_t>(i));
  std::fill(block.end() - static_cast<std::ptrdiff_t>(kFrame), block.end(), 0.0f);
  std::int64_t last_hop = -1;
  framer.push(block, [&](std::span<const float>, std::int64_t hop) { last_hop = hop; });
  REQUIRE(framer.at_hop_boundary());
  constexpr std::int64_t kSkipped = 500;
  framer.skip_hops(kSkipped);
  CHECK(framer.samples_consumed() == 8000 + kSkipped * static_cast<std::int64_t>(kHop));
  // The next frames: history zero, then the new samples, and hop indices continuing past the skip.
  std::vector<float> after(kFrame, 0.5f);
  std::vector<std::int64_t> hops;
  std::int64_t wrong = 0;
  framer.push(after, [&](std::span<const float> frame, std::int64_t hop) {
    hops.push_back(hop);
    const std::size_t fresh = static_cast<std::size_t>(hops.size()) * kHop;  // new samples at the frame's end
    for (std::size_t i = 0; i < frame.size(); ++i) {
      const float want = i + fresh >= frame.size() ? 0.5f : 0.0f;
      if (frame[i] != want) ++wrong;
    }
  });
  REQUIRE(hops.size() == kFrame / kHop);
  CHECK(hops.front() == last_hop + 1 + kSkipped);
  CHECK(wrong == 0);
}
