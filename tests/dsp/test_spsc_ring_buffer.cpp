// The lock-free hand-off between an audio callback and the analysis thread.

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "dsp/spsc_ring_buffer.h"

using tw::dsp::SpscRingBuffer;

TEST_CASE("SpscRingBuffer rounds its capacity up to a power of two", "[dsp][ring]") {
  const std::pair<std::size_t, std::size_t> cases[] = {{1, 1}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {1000, 1024}, {1024, 1024}, {1025, 2048}};
  for (const auto& [requested, expected] : cases) {
    SpscRingBuffer<float> ring(requested);
    INFO("requested " << requested);
    CHECK(ring.capacity() == expected);
    CHECK(ring.available() == 0);
    // Exactly capacity() items fit.
    std::vector<float> items(expected + 3, 1.0f);
    CHECK(ring.write(items) == expected);
    CHECK(ring.available() == expected);
    CHECK(ring.write(items) == 0);
  }
}

TEST_CASE("SpscRingBuffer keeps order across wrap-around and partial reads", "[dsp][ring]") {
  SpscRingBuffer<int> ring(8);
  int next_in = 0, next_out = 0;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> size(0, 11);
  std::size_t mismatches = 0;
  for (int round = 0; round < 10000; ++round) {
    std::vector<int> in(static_cast<std::size_t>(size(rng)));
    for (int& v : in) v = next_in++;
    const std::size_t free_before = ring.capacity() - ring.available();
    const std::size_t written = ring.write(in);
    // A write takes exactly what fits; the caller sees the shortfall.
    CHECK(written == std::min(in.size(), free_before));
    next_in -= static_cast<int>(in.size() - written);
    std::vector<int> out(static_cast<std::size_t>(size(rng)));
    const std::size_t available = ring.available();
    const std::size_t read = ring.read(out);
    CHECK(read == std::min(out.size(), available));
    for (std::size_t i = 0; i < read; ++i) mismatches += out[i] != next_out++;
  }
  CHECK(mismatches == 0);
  CHECK(next_in > 1000);  // wrapped round the 8 slots many times
  // Drain: what is left is exactly the not-yet-read tail.
  std::vector<int> out(16);
  const std::size_t left = ring.read(out);
  CHECK(static_cast<int>(left) == next_in - next_out);
  for (std::size_t i = 0; i < left; ++i) CHECK(out[i] == next_out++);
  CHECK(ring.available() == 0);
  CHECK(ring.read(out) == 0);
}

TEST_CASE("SpscRingBuffer delivers every sample in order between two threads", "[dsp][ring]") {
  // A small ring forces the producer to meet a full buffer and the consumer an
  // empty one many times; every value must arrive once, in order.
  constexpr std::uint32_t kItems = 2'000'000;
  SpscRingBuffer<std::uint32_t> ring(64);
  std::atomic<bool> producer_done{false};
  std::size_t full_retries = 0;

  std::thread producer([&] {
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> size(1, 100);
    std::vector<std::uint32_t> block;
    std::uint32_t next = 0;
    while (next < kItems) {
      block.resize(std::min(size(rng), kItems - next));
      for (std::size_t i = 0; i < block.size(); ++i) block[i] = next + static_cast<std::uint32_t>(i);
      std::size_t offset = 0;
      while (offset < block.size()) {
        const std::size_t n = ring.write(std::span<const std::uint32_t>(block).subspan(offset));
        if (n == 0) {
          ++full_retries;
          std::this_thread::yield();
        }
        offset += n;
      }
      next += static_cast<std::uint32_t>(block.size());
    }
    producer_done.store(true, std::memory_order_release);
  });

  std::uint32_t expected = 0;
  std::size_t out_of_order = 0;
  std::mt19937 rng(9);
  std::uniform_int_distribution<std::size_t> size(1, 128);
  std::vector<std::uint32_t> out(128);
  for (;;) {
    const bool done = producer_done.load(std::memory_order_acquire);
    const std::size_t n = ring.read(std::span<std::uint32_t>(out.data(), size(rng)));
    for (std::size_t i = 0; i < n; ++i) {
      if (out[i] != expected) ++out_of_order;
      ++expected;
    }
    if (n == 0) {
      if (done && ring.available() == 0) break;
      std::this_thread::yield();
    }
  }
  producer.join();
  INFO("producer met a full ring " << full_retries << " times");
  CHECK(out_of_order == 0);
  CHECK(expected == kItems);
}

TEST_CASE("SpscFrameRing moves whole stereo frames only and counts overflowed frames", "[dsp][ring]") {
  using tw::dsp::SpscFrameRing;
  SpscFrameRing<float> ring(5, 2);  // 5 stereo frames -> 10 samples -> 16 slots -> 8 frames
  REQUIRE(ring.capacity_frames() == 8);
  // Frame k holds (k, -k): left and right must always arrive together.
  std::vector<float> block;
  int next_in = 0;
  auto make_block = [&](int frames) {
    block.clear();
    for (int i = 0; i < frames; ++i, ++next_in) {
      block.push_back(static_cast<float>(next_in));
      block.push_back(static_cast<float>(-next_in));
    }
  };
  make_block(6);
  CHECK(ring.write(block) == 6);
  make_block(5);  // only 2 fit
  CHECK(ring.write(block) == 2);
  CHECK(ring.overflowed_frames() == 3);
  CHECK(ring.available_frames() == 8);
  // A read buffer with an odd number of samples reads only whole frames.
  std::vector<float> out(7);
  CHECK(ring.read(out) == 3);
  for (int k = 0; k < 3; ++k) {
    CHECK(out[2 * k] == static_cast<float>(k));
    CHECK(out[2 * k + 1] == static_cast<float>(-k));
  }
  // A partial frame at the end of a write is never half-written.
  block = {100.f, -100.f, 101.f};
  CHECK(ring.write(block) == 1);
  CHECK(ring.available_frames() == 6);
  out.assign(16, 0.0f);
  CHECK(ring.read(out) == 6);
  const float expected[] = {3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 100, -100};
  for (std::size_t i = 0; i < 12; ++i) CHECK(out[i] == expected[i]);
  CHECK(ring.overflowed_frames() == 3);
  CHECK_THROWS_AS(SpscFrameRing<float>(4, 0), std::invalid_argument);
}

TEST_CASE("SpscFrameRing between two threads: every frame whole and in order or counted as overflow", "[dsp][ring]") {
  using tw::dsp::SpscFrameRing;
  // The producer never waits (a real-time callback cannot); what does not fit is counted.
  constexpr int kFrames = 400'000;
  SpscFrameRing<float> ring(64, 2);
  std::thread producer([&] {
    std::vector<float> block;
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> size(1, 40);
    for (int next = 0; next < kFrames;) {
      const int n = std::min(size(rng), kFrames - next);
      block.clear();
      for (int i = 0; i < n; ++i) {
        block.push_back(static_cast<float>(next + i));
        block.push_back(static_cast<float>(-(next + i)));
      }
      ring.write(block);
      next += n;
    }
  });
  std::vector<float> out(2 * 50);
  std::uint64_t received = 0, torn = 0, backwards = 0;
  float last = -1.0f;
  auto drain = [&] {
    const std::size_t n = ring.read(out);
    for (std::size_t k = 0; k < n; ++k) {
      torn += out[2 * k] != -out[2 * k + 1];
      backwards += out[2 * k] <= last;
      last = out[2 * k];
    }
    received += n;
    return n;
  };
  while (received + ring.overflowed_frames() < static_cast<std::uint64_t>(kFrames)) {
    if (drain() == 0) std::this_thread::yield();
  }
  producer.join();
  while (drain() > 0) {
  }
  CHECK(torn == 0);
  CHECK(backwards == 0);
  CHECK(received + ring.overflowed_frames() == static_cast<std::uint64_t>(kFrames));
}
