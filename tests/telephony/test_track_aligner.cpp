// Timestamp -> sample-exact placement of chunks.

#include <catch2/catch.hpp>

#include "telephony/track_aligner.h"

using tw::telephony::Placement;
using tw::telephony::TrackAligner;

TEST_CASE("TrackAligner takes contiguous chunks and chunks within the tolerance as they come", "[telephony][aligner]") {
  TrackAligner aligner(8, 8000);
  auto p = aligner.place(0, 160);
  CHECK((p.kind == Placement::Kind::accept && p.first_sample == 0 && p.gap_samples == 0 && p.skip_samples == 0));
  p = aligner.place(160, 160);
  CHECK((p.first_sample == 160 && p.gap_samples == 0));
  // Stamped 5 samples early or 8 late (a whole-millisecond stamp of a 162-sample chunk): contiguous.
  p = aligner.place(315, 162);
  CHECK((p.kind == Placement::Kind::accept && p.first_sample == 320 && p.gap_samples == 0 && p.skip_samples == 0));
  p = aligner.place(490, 160);
  CHECK((p.first_sample == 482 && p.gap_samples == 0));
  CHECK(aligner.next_sample() == 642);
}

TEST_CASE("TrackAligner fills gaps drops late chunks trims overlaps and refuses jumps", "[telephony][aligner]") {
  TrackAligner aligner(8, 1000);
  aligner.place(0, 160);
  auto p = aligner.place(480, 160);  // two chunks lost
  CHECK((p.kind == Placement::Kind::accept && p.first_sample == 160 && p.gap_samples == 320));
  CHECK(aligner.next_sample() == 640);
  p = aligner.place(320, 160);  // one of the "lost" chunks arrives late
  CHECK(p.kind == Placement::Kind::drop_late);
  p = aligner.place(480, 160);  // duplicate
  CHECK(p.kind == Placement::Kind::drop_late);
  CHECK(aligner.next_sample() == 640);
  p = aligner.place(560, 160);  // half overlaps
  CHECK((p.kind == Placement::Kind::accept && p.first_sample == 640 && p.skip_samples == 80 && p.gap_samples == 0));
  CHECK(aligner.next_sample() == 720);
  p = aligner.place(720 + 1001, 160);  // beyond the maximum gap
  CHECK(p.kind == Placement::Kind::jump);
  CHECK(aligner.next_sample() == 720);
  p = aligner.place(1000, 0);  // a reported position moves the clock with silence
  CHECK((p.kind == Placement::Kind::accept && p.gap_samples == 280));
  CHECK(aligner.next_sample() == 1000);
  aligner.reset();
  CHECK(aligner.next_sample() == 0);
}
