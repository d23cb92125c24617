#pragma once
// Temporal continuity of the pitch: dynamic programming over the period
// candidates of successive hops, decided a fixed few hops late.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tw::features {

/// One period candidate of a hop.
struct PitchCandidate {
  float log2_period = 0.0f;  ///< log2 of the period (any unit, the same for every hop)
  float cost = 0.0f;         ///< local cost: how poorly the hop alone supports it
};

/// The cheapest path through the candidates of successive voiced hops: local
/// costs plus a cost per octave of every step between hops (Viterbi over the
/// candidates, as in Boersma 1993's path finder and Talkin 1995's RAPT). An
/// unvoiced hop breaks the path. The best path ending at the newest hop is known
/// at once (causal); a hop's place on it is read a fixed number of hops later
/// (fixed-lag smoothing), by which time the hops after it have had their say.
/// One instance per stream. Real-time safe after construction.
class PitchPath {
 public:
  /// Most candidates a hop may offer.
  static constexpr std::size_t kMaxCandidates = 8;

  /// `octave_jump_cost` per octave between consecutive voiced hops; decisions
  /// are read up to `latency_hops` hops back. Allocates.
  PitchPath(float octave_jump_cost, std::size_t latency_hops);

  /// Evaluates a new hop's candidates (1 to kMaxCandidates; more are ignored)
  /// against the path so far and returns the index of the cheapest path's end
  /// among them. The hop joins the path at commit().
  std::size_t evaluate(std::span<const PitchCandidate> candidates) noexcept;
  /// Appends the hop last evaluated: voiced, it extends the path; unvoiced (or
  /// not evaluated) it breaks it.
  void commit(bool voiced) noexcept;
  /// For the hop `age` hops before the newest (age <= latency_hops): the index
  /// of its candidate on the cheapest path through the newest hop of its voiced
  /// stretch, or -1 if that hop was unvoiced or is older than the stream.
  int decision(std::size_t age) const noexcept;
  /// Forgets every hop.
  void reset() noexcept;

  std::size_t latency_hops() const noexcept { return hops_.size() - 1; }

 private:
  struct Hop {
    std::size_t count = 0;  // 0: unvoiced
    std::array<float, kMaxCandidates> log2_period{};
    std::array<float, kMaxCandidates> path_cost{};    // cheapest path ending here, minimum 0
    std::array<std::int8_t, kMaxCandidates> from{};   // its candidate in the hop before, -1 at a start
  };
  const Hop& at_age(std::size_t age) const noexcept { return hops_[(newest_ + hops_.size() - age) % hops_.size()]; }

  float octave_jump_cost_;
  std::vector<Hop> hops_;  // ring of the last latency_hops + 1 hops
  std::size_t newest_ = 0;
  std::size_t committed_ = 0;  // hops committed since construction or reset, saturating at the ring size
  Hop pending_;
};

}  // namespace tw::features
