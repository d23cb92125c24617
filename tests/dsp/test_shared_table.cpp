// Constant tables shared between streams: one copy for equal values, another for
// different ones, and a table lives as long as a stream holds it.

#include <catch2/catch.hpp>

#include <vector>

#include "dsp/shared_table.h"
#include "dsp/spectrum_analyzer.h"
#include "dsp/stream_spec.h"

using tw::dsp::SharedTable;

TEST_CASE("SharedTable keeps one copy of equal tables", "[dsp][shared_table]") {
  const SharedTable<float> a(std::vector<float>{1.0f, 2.0f, 3.0f});
  const SharedTable<float> b(std::vector<float>{1.0f, 2.0f, 3.0f});
  const SharedTable<float> c(std::vector<float>{1.0f, 2.0f, 3.5f});
  const SharedTable<float> d(std::vector<float>{1.0f, 2.0f});
  CHECK(a.shares_with(b));
  CHECK(a.data() == b.data());
  CHECK_FALSE(a.shares_with(c));
  CHECK_FALSE(a.shares_with(d));
  REQUIRE(c.size() == 3);
  CHECK(c[2] == 3.5f);
  CHECK(a.span().size() == 3);
  // Equal by value means equal bytes: 0.0 and -0.0 are different tables.
  const SharedTable<float> zero(std::vector<float>{0.0f});
  const SharedTable<float> negative_zero(std::vector<float>{-0.0f});
  CHECK_FALSE(zero.shares_with(negative_zero));
}

TEST_CASE("SharedTable lives while a holder does", "[dsp][shared_table]") {
  std::vector<float> values(1000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.25f;
  SharedTable<float> kept;
  {
    const SharedTable<float> first(values);
    kept = first;
  }
  REQUIRE(kept.size() == 1000);
  CHECK(kept[999] == 999.0f * 0.25f);
  const SharedTable<float> again(values);
  CHECK(again.shares_with(kept));
  // Many short-lived distinct tables: the registry forgets them (no growth to check
  // from outside, but the values must stay right throughout).
  for (int i = 0; i < 500; ++i) {
    const SharedTable<float> t(std::vector<float>{static_cast<float>(i)});
    REQUIRE(t[0] == static_cast<float>(i));
  }
  CHECK(SharedTable<float>(values).shares_with(kept));
}

TEST_CASE("Streams of one configuration share their analysis window", "[dsp][shared_table]") {
  const tw::dsp::SpectrumAnalyzer first(tw::dsp::kFrameSize40ms8kHz, tw::dsp::kAnalysisRateHz);
  const tw::dsp::SpectrumAnalyzer second(tw::dsp::kFrameSize40ms8kHz, tw::dsp::kAnalysisRateHz);
  const tw::dsp::SpectrumAnalyzer other(tw::dsp::kFrameSize40ms8kHz * 2, tw::dsp::kAnalysisRateHz);
  CHECK(first.window().data() == second.window().data());
  CHECK(first.window().data() != other.window().data());
  REQUIRE(first.window().size() == tw::dsp::kFrameSize40ms8kHz);
  // A periodic Hann window: 0 at the start, 1 at the middle.
  CHECK(first.window()[0] == 0.0f);
  CHECK(first.window()[tw::dsp::kFrameSize40ms8kHz / 2] == Approx(1.0f));
}
