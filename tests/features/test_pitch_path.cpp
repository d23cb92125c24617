// PitchPath: the cheapest path through the period candidates of successive
// hops, decided a fixed number of hops late. Candidate costs are made up here
// so the right answer is known: candidate 0 is the hop's own choice (cost 0),
// candidate 1 the other octave (cost 0.15, as PitchConfig's overrule_cost).

#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "features/pitch_path.h"

using tw::features::PitchCandidate;
using tw::features::PitchPath;

namespace {

constexpr float kJump = 0.35f;     // per octave (Praat's default octave-jump cost)
constexpr float kOverrule = 0.15f;  // taking a candidate the hop did not choose

// A voiced hop whose own choice is log2 period `chosen` and whose other
// candidate lies an octave away at `other`.
std::array<PitchCandidate, 2> hop(float chosen, float other) { return {{{chosen, 0.0f}, {other, kOverrule}}}; }

// Feeds voiced hops (log2 period chosen by each hop alone; the other candidate
// an octave up or down) and returns, for each, the log2 period the path decides
// `latency` hops later (or at the end of the stream for the last ones).
std::vector<float> decide(PitchPath& path, const std::vector<float>& chosen, const std::vector<float>& other) {
  const std::size_t latency = path.latency_hops();
  std::vector<float> decided;
  const auto period_of = [&](std::size_t n, int j) { return j == 0 ? chosen[n] : other[n]; };
  for (std::size_t n = 0; n < chosen.size(); ++n) {
    const auto candidates = hop(chosen[n], other[n]);
    path.evaluate(candidates);
    path.commit(true);
    if (n >= latency) decided.push_back(period_of(n - latency, path.decision(latency)));
  }
  for (std::size_t age = std::min(latency, chosen.size()); age-- > 0;) {
    decided.push_back(period_of(chosen.size() - 1 - age, path.decision(age)));
  }
  return decided;
}

}  // namespace

TEST_CASE("PitchPath: an isolated octave error is put right / at a voicing onset only with latency", "[pitch][path]") {
  // The voice at log2 period 7 throughout. Hop 6 alone picks the octave above
  // (6): going there and back costs 2 x 0.35, overruling it 0.15, so even a
  // causal path keeps 7. Hop 0, the onset, also picks 6: with no hop before it
  // only the hops after it can overrule it, which takes decision latency.
  std::vector<float> chosen(12, 7.0f), other(12, 6.0f);
  for (const std::size_t n : {std::size_t{0}, std::size_t{6}}) {
    chosen[n] = 6.0f;
    other[n] = 7.0f;
  }
  PitchPath late(kJump, 3);
  const std::vector<float> smoothed = decide(late, chosen, other);
  REQUIRE(smoothed.size() == chosen.size());
  for (std::size_t n = 0; n < smoothed.size(); ++n) {
    INFO("hop " << n);
    CHECK(smoothed[n] == 7.0f);
  }
  PitchPath causal(kJump, 0);
  const std::vector<float> at_once = decide(causal, chosen, other);
  REQUIRE(at_once.size() == chosen.size());
  CHECK(at_once[0] == 6.0f);
  CHECK(at_once[6] == 7.0f);
}

TEST_CASE("PitchPath: a real octave change is followed from its first hop", "[pitch][path]") {
  // Hops 0-7 at 7, hops 8-15 at 6 (each hop's own choice): one jump (0.35)
  // is cheaper than overruling eight hops (8 x 0.15).
  std::vector<float> chosen(16, 7.0f), other(16, 6.0f);
  for (std::size_t n = 8; n < 16; ++n) {
    chosen[n] = 6.0f;
    other[n] = 7.0f;
  }
  PitchPath path(kJump, 3);
  const std::vector<float> decided = decide(path, chosen, other);
  REQUIRE(decided.size() == chosen.size());
  for (std::size_t n = 0; n < decided.size(); ++n) {
    INFO("hop " << n);
    CHECK(decided[n] == chosen[n]);
  }
}

TEST_CASE("PitchPath: an unvoiced hop breaks the path and reads -1 / reset equals fresh", "[pitch][path]") {
  PitchPath path(kJump, 3);
  CHECK(path.decision(0) == -1);  // nothing yet
  // Voiced at 7, one unvoiced hop, then voiced at 6 where each hop offers 7 at a
  // small cost: with the path broken, the jump costs nothing and 6 stands.
  const auto a = hop(7.0f, 6.0f);
  const std::array<PitchCandidate, 2> b = {{{6.0f, 0.0f}, {7.0f, 0.05f}}};
  path.evaluate(a);
  path.commit(true);
  path.evaluate(a);
  path.commit(true);
  path.commit(false);
  path.evaluate(b);
  path.commit(true);
  CHECK(path.decision(0) == 0);   // 6, its own choice
  CHECK(path.decision(1) == -1);  // the unvoiced hop
  CHECK(path.decision(2) == 0);
  CHECK(path.decision(3) == 0);
  CHECK(path.decision(4) == -1);  // older than the stream

  // After reset, the same hops give the same decisions as a fresh path.
  PitchPath fresh(kJump, 3);
  path.reset();
  CHECK(path.decision(0) == -1);
  for (PitchPath* p : {&path, &fresh}) {
    p->evaluate(b);
    p->commit(true);
    p->evaluate(a);
    p->commit(true);
  }
  for (std::size_t age = 0; age < 3; ++age) CHECK(path.decision(age) == fresh.decision(age));
  CHECK(path.evaluate(a) == fresh.evaluate(a));
}
