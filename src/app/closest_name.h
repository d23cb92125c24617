#pragma once
// "Did you mean": the near miss among known names, for commands and config keys.

#include <string>
#include <vector>

namespace tw::app {

/// The name in `names` closest to `given` when it is a near miss (a typo: at most
/// two edits, and fewer than half of `given`'s length), for "did you mean"; empty
/// when none is that close.
std::string closest_name(const std::string& given, const std::vector<std::string>& names);

}  // namespace tw::app
