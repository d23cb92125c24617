#include "batch/input_folders.h"

#include "io/path_text.h"
#include "text/ascii.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace tw::batch {

namespace fs = std::filesystem;

namespace {

// The containers io::AudioFileSource reads (through libsndfile) whose names say so.
constexpr std::array<std::string_view, 5> kAudioExtensions = {".wav", ".wave", ".flac", ".au", ".snd"};

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

std::vector<std::string> call_files_below(const std::string& path, bool raw) {
  const std::string folder = io::escape_invalid_utf8(path);  // for messages
  std::vector<std::string> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(path, fs::directory_options::none, ec);
  if (ec) throw std::invalid_argument(folder + ": cannot read the folder: " + ec.message());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) break;
    const fs::directory_entry& entry = *it;
    if (hidden(entry.path())) {
      if (entry.is_directory(ec)) it.disable_recursion_pending();
      ec.clear();
      continue;
    }
    // is_regular_file follows a link to a file; links to folders are never entered
    // (directory_options::none), so a loop of links cannot trap the walk.
    if (entry.is_regular_file(ec) && is_call_file_name(entry.path().filename().string(), raw)) {
      found.push_back(entry.path().string());
    }
    ec.clear();  // a dangling link is no call file, and no reason to stop
  }
  if (ec) throw std::invalid_argument(folder + ": cannot read the folder: " + ec.message());
  if (found.empty()) {
    throw std::invalid_argument(folder + ": no recorded calls in this folder or below it (" +
                                (raw ? std::string("with --raw every file counts, hidden ones excepted")
                                     : std::string(".wav, .flac or .au files; headerless audio needs --raw")) +
                                ")");
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

bool is_call_file_name(const std::string& file_name, bool raw) {
  if (file_name.empty() || file_name[0] == '.') return false;
  if (raw) return true;
  const std::string extension = text::ascii_lowered(fs::path(file_name).extension().string());
  return std::find(kAudioExtensions.begin(), kAudioExtensions.end(), extension) != kAudioExtensions.end();
}

std::vector<std::string> expand_input_folders(const std::vector<std::string>& inputs, bool raw) {
  std::vector<std::string> expanded;
  expanded.reserve(inputs.size());
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) {
      expanded.push_back(input);
      continue;
    }
    const std::vector<std::string> files = call_files_below(input, raw);
    expanded.insert(expanded.end(), files.begin(), files.end());
  }
  return expanded;
}

}  // namespace tw::batch
