#include "app/closest_name.h"

#include <algorithm>

namespace tw::app {
namespace {

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_name(const std::string& given, const std::vector<std::string>& names) {
  // Suggest only a near miss: a typo or a spelling (analyse, thresold), at most two
  // edits, and fewer than half the name's letters so that a short word is not
  // "corrected" into an unrelated one.
  std::size_t best = std::min<std::size_t>(3, given.size() / 2 + 1);
  std::string closest;
  for (const std::string& name : names) {
    const std::size_t d = edit_distance(given, name);
    if (d < best) {
      best = d;
      closest = name;
    }
  }
  return closest;
}

}  // namespace tw::app
