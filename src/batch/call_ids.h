#pragma once
// Call ids: the names a call's outputs go under.

#include <cstddef>
#include <string>
#include <vector>

namespace tw::batch {

/// Longest call id, in bytes. The longest output name adds ".windows.jsonl" and an
/// AtomicFile temporary's ".tmp-<pid>-<nonce>-<n>" (at most 46 bytes together),
/// which keeps every file name under Linux's 255-byte limit.
inline constexpr std::size_t kMaxCallIdBytes = 160;

/// `path` made absolute (against the current folder) and lexically normal
/// ("a/./b/../c" is "a/c"); symbolic links are kept as given.
std::string absolute_path(const std::string& path);

/// One path component made safe for a file name, a CSV cell and a terminal:
/// ASCII letters, digits, '-', '_' and '.' (not leading) are kept, as are
/// well-formed UTF-8 letters beyond ASCII; everything else (bytes that are not
/// UTF-8, controls, spaces, separators, quotes, commas, invisible and
/// direction-changing characters) becomes '_'.
std::string safe_name(const std::string& component);

/// `id` cut (on a character boundary) so that '-' and the first `digits` hex
/// digits of a hash of `hashed` fit in kMaxCallIdBytes, with those appended.
std::string with_hash(const std::string& id, const std::string& hashed, std::size_t digits = 8);

/// Call ids for `inputs`, unique within the run (also ignoring ASCII case, for
/// output folders on case-insensitive file systems), the same for any order of
/// the inputs, and safe as file names (each part through safe_name):
/// - by default the file name's stem, with as many of its folders as it takes
///   to tell apart inputs of the same name, joined by '~': `a/call.wav` and
///   `b/call.wav` are `a~call` and `b~call`, `2026/11/29/call.wav` and
///   `2026/11/30/call.wav` are `29~call` and `30~call`, a lone input is its stem;
/// - with `root`, the input's whole path below that folder (`2026~11~29~call`),
///   which no other input changes: for archives that grow between runs.
/// Different names that become one id (case, characters made safe, another
/// extension) all end in '-' and 8 hex digits of a hash of their path; so do
/// ids longer than kMaxCallIdBytes, shortened on a character boundary.
/// Throws std::invalid_argument naming an input that is not inside `root`.
std::vector<std::string> make_call_ids(const std::vector<std::string>& inputs, const std::string& root = {});

}  // namespace tw::batch
