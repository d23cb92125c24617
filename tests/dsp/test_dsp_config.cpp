// Bad DSP configuration is rejected at construction, one case per rule, with a
// std::invalid_argument whose message names the parameter.

#include <catch2/catch.hpp>

#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "dsp/frame_assembler.h"
#include "dsp/real_fft.h"
#include "dsp/resampler.h"
#include "dsp/spsc_ring_buffer.h"

#include "support/config_checks.h"

using tw::test::check_rejected;

TEST_CASE("FrameAssembler rejects impossible frame geometry", "[config][dsp]") {
  REQUIRE_NOTHROW(tw::dsp::FrameAssembler(320, 80));
  check_rejected("hop_samples > 0", [] { tw::dsp::FrameAssembler f(320, 0); }, "hop_samples");
  check_rejected("hop_samples <= frame_samples", [] { tw::dsp::FrameAssembler f(320, 400); }, "frame_samples");
  // Frames are centred on hop boundaries, so half a frame is a whole number of hops.
  check_rejected("frame_samples / 2 a multiple of hop_samples", [] { tw::dsp::FrameAssembler f(320, 60); },
                 "half the frame");
  check_rejected("frame_samples / 2 >= hop_samples", [] { tw::dsp::FrameAssembler f(320, 320); }, "half the frame");
}

TEST_CASE("RealFft rejects odd and zero sizes", "[config][dsp]") {
  REQUIRE_NOTHROW(tw::dsp::RealFft(320));
  check_rejected("size > 0", [] { tw::dsp::RealFft f(0); }, "size");
  check_rejected("size even", [] { tw::dsp::RealFft f(321); }, "size");
}

TEST_CASE("Resampler rejects non-positive rates and zero channels", "[config][dsp]") {
  REQUIRE_NOTHROW(tw::dsp::Resampler(16000.0, 8000.0, 1));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  check_rejected("input_rate_hz > 0", [] { tw::dsp::Resampler r(0.0, 8000.0, 1); }, "input_rate_hz");
  check_rejected("input_rate_hz not NaN", [&] { tw::dsp::Resampler r(nan, 8000.0, 1); }, "input_rate_hz");
  check_rejected("output_rate_hz > 0", [] { tw::dsp::Resampler r(16000.0, -8000.0, 1); }, "output_rate_hz");
  check_rejected("channels > 0", [] { tw::dsp::Resampler r(16000.0, 8000.0, 0); }, "channels");
}

TEST_CASE("SpscRingBuffer rejects zero capacity", "[config][dsp]") {
  check_rejected("capacity > 0", [] { tw::dsp::SpscRingBuffer<float> ring(0); }, "capacity");
}
