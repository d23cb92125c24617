#pragma once
// Why a detector decided what it did: the numbers behind every alert.

#include <cmath>
#include <string>

namespace tw::detect {

/// One measured fact: a feature's value against the speaker's baseline.
struct Evidence {
  std::string feature;        ///< e.g. "loudness_db", "overlap_s", "agitation_score"
  float value = NAN;          ///< the measured value, in the feature's unit
  float baseline = NAN;       ///< the speaker's baseline (NaN when not baseline-relative)
  float deviation = NAN;      ///< (value - baseline) in the baseline's scale units (NaN if n/a)
  double since_s = NAN;       ///< stream time the condition started to hold
};

}  // namespace tw::detect
