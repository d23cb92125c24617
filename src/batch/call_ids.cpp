#include "batch/call_ids.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <stdexcept>

#include "batch/fingerprint.h"
#include "io/path_text.h"
#include "text/ascii.h"

namespace tw::batch {
namespace {

namespace fs = std::filesystem;

constexpr char kFolderSeparator = '~';
constexpr std::size_t kHashDigits = 8;

// Decodes a well-formed UTF-8 sequence of `length` bytes.
char32_t code_point(const std::string& text, std::size_t at, std::size_t length) {
  const auto b = [&](std::size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(text[at + i])); };
  switch (length) {
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

// Characters beyond ASCII that read as nothing or as space, or reorder what a
// terminal shows (Unicode general categories Cc, Zs, Zl, Zp and the Cf
// bidirectional and zero-width controls), and the specials block.
bool invisible(char32_t c) {
  return (c >= 0x80 && c <= 0xA0) || c == 0xAD || c == 0x1680 || (c >= 0x2000 && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F) || c == 0x3000 || c == 0xFEFF ||
         (c >= 0xFFF0 && c <= 0xFFFF);
}

bool ascii_kept(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

// At most `limit` bytes of `text`, never cutting a UTF-8 sequence.
std::string cut(const std::string& text, std::size_t limit) {
  std::size_t end = 0;
  while (end < text.size()) {
    const std::size_t n = std::max<std::size_t>(1, io::utf8_sequence_length(std::string_view(text).substr(end)));
    if (end + n > limit) break;
    end += n;
  }
  return text.substr(0, end);
}

}  // namespace

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(fs::path(path), ec);
  if (ec) absolute = fs::path(path);
  return absolute.lexically_normal().string();
}

std::string safe_name(const std::string& component) {
  std::string safe;
  std::size_t i = 0;
  while (i < component.size()) {
    const char c = component[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      safe += ascii_kept(c) && !(c == '.' && safe.empty()) ? c : '_';
      ++i;
      continue;
    }
    const std::size_t n = io::utf8_sequence_length(std::string_view(component).substr(i));
    if (n == 0) {
      safe += '_';
      ++i;
    } else {
      if (invisible(code_point(component, i, n))) {
        safe += '_';
      } else {
        safe.append(component, i, n);
      }
      i += n;
    }
  }
  return safe.empty() ? "_" : safe;
}

std::string with_hash(const std::string& id, const std::string& hashed, std::size_t digits) {
  return cut(id, kMaxCallIdBytes - 1 - digits) + "-" + short_hash(hashed, digits);
}

std::vector<std::string> make_call_ids(const std::vector<std::string>& inputs, const std::string& root) {
  const std::size_t n = inputs.size();
  // Each input as its path components, the file name last; `keep` of them (from
  // the end) make its id.
  std::vector<std::vector<std::string>> parts(n);
  std::vector<std::size_t> keep(n, 1);
  const fs::path base = root.empty() ? fs::path() : fs::path(absolute_path(root));
  for (std::size_t i = 0; i < n; ++i) {
    fs::path path(absolute_path(inputs[i]));
    if (!root.empty()) {
      path = path.lexically_relative(base);
      if (path.empty() || *path.begin() == "..") {
        throw std::invalid_argument(io::escape_invalid_utf8(inputs[i]) + " is not inside the root folder " +
                                    io::escape_invalid_utf8(base.string()));
      }
    }
    for (const fs::path& part : path) {
      if (part != "/" && !part.empty()) parts[i].push_back(part.string());
    }
    if (parts[i].empty()) parts[i].push_back("_");
    // Under --root the id is the whole relative path, so it never depends on the other inputs.
    if (!root.empty()) keep[i] = parts[i].size();
  }
  const auto id_of = [&](std::size_t i) {
    std::string id;
    for (std::size_t k = parts[i].size() - keep[i]; k < parts[i].size(); ++k) {
      const bool file = k + 1 == parts[i].size();
      const std::string stem = file ? fs::path(parts[i][k]).stem().string() : parts[i][k];
      id += (id.empty() ? "" : std::string(1, kFolderSeparator)) + safe_name(stem.empty() ? parts[i][k] : stem);
    }
    return id;
  };
  // The exact names behind an id (extension included): equal tails are the same
  // name in different folders, which more folders tell apart.
  const auto tail_of = [&](std::size_t i) {
    std::string tail;
    for (std::size_t k = parts[i].size() - keep[i]; k < parts[i].size(); ++k) tail += "/" + parts[i][k];
    return tail;
  };

  // Ids that coincide (ignoring ASCII case) are the same name in different
  // folders, told apart by their folders from the file upwards as far as needed
  // (a/call.wav, b/call.wav: a~call, b~call), or different names that become
  // one id (a case difference, characters made safe, another extension), which
  // all get a hash. Both depend on the set of inputs only, never their order.
  std::vector<bool> hashed(n, false);
  for (bool changed = true; changed;) {
    changed = false;
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < n; ++i) {
      if (!hashed[i]) groups[text::ascii_lowered(id_of(i))].push_back(i);
    }
    for (const auto& group : groups) {
      const std::vector<std::size_t>& members = group.second;  // (clang 14 cannot capture a structured binding)
      if (members.size() < 2) continue;
      const bool same_name = std::all_of(members.begin(), members.end(),
                                         [&](std::size_t i) { return tail_of(i) == tail_of(members.front()); });
      const bool can_grow = std::all_of(members.begin(), members.end(),
                                        [&](std::size_t i) { return keep[i] < parts[i].size(); });
      for (const std::size_t i : members) {
        if (same_name && can_grow) {
          ++keep[i];
          changed = true;
        } else {
          hashed[i] = true;
        }
      }
    }
  }
  std::vector<std::string> ids(n), relative(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string id = id_of(i);
    relative[i] = tail_of(i);
    ids[i] = hashed[i] || id.size() > kMaxCallIdBytes ? with_hash(id, relative[i], kHashDigits) : id;
  }

  // What is left (the same file given twice, a hash that coincides) is numbered
  // in the order of the paths, again independent of the input order.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return relative[a] < relative[b]; });
  std::map<std::string, int> taken;
  for (const std::string& id : ids) ++taken[text::ascii_lowered(id)];
  std::map<std::string, int> seen;
  for (const std::size_t i : order) {
    const std::string key = text::ascii_lowered(ids[i]);
    if (taken[key] < 2 || ++seen[key] == 1) continue;
    for (int k = seen[key];; ++k) {
      const std::string suffix = "-" + std::to_string(k);
      const std::string candidate = cut(ids[i], kMaxCallIdBytes - suffix.size()) + suffix;
      if (taken.count(text::ascii_lowered(candidate)) == 0) {
        ids[i] = candidate;
        ++taken[text::ascii_lowered(candidate)];
        break;
      }
    }
  }
  return ids;
}

}  // namespace tw::batch
