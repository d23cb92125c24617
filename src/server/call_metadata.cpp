#include "server/call_metadata.h"

#include <stdexcept>

namespace tw::server {
namespace {

using nlohmann::json;

// Written by the server, not the platform: kept ahead of everything else.
constexpr const char* kOwnKeys[] = {"platform_call_id", "stream_id", "remote"};

bool own_key(const std::string& key) {
  for (const char* k : kOwnKeys) {
    if (key == k) return true;
  }
  return false;
}

// `text` shortened to at most `n` bytes without splitting a UTF-8 sequence (the
// parser checked the encoding, and the dump would refuse half a character).
std::string utf8_prefix(const std::string& text, std::size_t n) {
  if (text.size() <= n) return text;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // text[n] continues a character
  return text.substr(0, n);
}

}  // namespace

std::size_t json_string_bytes(const std::string& text) noexcept {
  // What nlohmann's dump writes (RFC 8259 §7): \" \\ \b \f \n \r \t, other
  // control characters as \u00XX, everything else as it is.
  std::size_t n = 2;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      n += 2;
    } else if (c < 0x20) {
      n += 6;
    } else {
      n += 1;
    }
  }
  return n;
}

CallMetadata::CallMetadata(const MetadataLimits& limits) : limits_(limits) {
  if (limits.max_bytes < 64) throw std::invalid_argument("MetadataLimits.max_bytes must be at least 64");
  if (limits.max_entries == 0 || limits.max_string_bytes == 0 || limits.max_depth < 1) {
    throw std::invalid_argument("MetadataLimits: every limit must be positive");
  }
}

std::size_t CallMetadata::merge(const json& metadata) {
  if (!metadata.is_object()) return 0;
  const std::size_t before = cut_;
  for (const char* key : kOwnKeys) {
    if (const auto it = metadata.find(key); it != metadata.end() && !value_.contains(key)) {
      if (!add_member(key, *it)) ++cut_;
    }
  }
  for (const auto& [key, member] : metadata.items()) {
    if (own_key(key) || value_.contains(key)) continue;
    if (!add_member(key, member)) ++cut_;
  }
  return cut_ - before;
}

std::size_t CallMetadata::update(const json& metadata) {
  if (!metadata.is_object()) return 0;
  json next = value_;
  for (const auto& [key, member] : metadata.items()) next[key] = member;
  // Rebuilt from empty, so the byte and entry budgets count what is kept now, not
  // what was replaced.
  const std::size_t before = cut_;
  value_ = json::object();
  bytes_ = 2;
  entries_ = 0;
  merge(next);
  return cut_ - before;
}

bool CallMetadata::add_member(const std::string& key, const json& value) {
  if (key.size() > limits_.max_string_bytes || entries_ >= limits_.max_entries) return false;
  // "key": plus a comma before it unless it is the first member.
  const std::size_t overhead = json_string_bytes(key) + 1 + (value_.empty() ? 0 : 1);
  if (bytes_ + overhead >= limits_.max_bytes) return false;
  std::size_t budget = limits_.max_bytes - bytes_ - overhead;
  const std::size_t budget_before = budget;
  const std::size_t entries_before = entries_;
  ++entries_;
  json kept;
  if (!bounded(value, 2, budget, kept)) {
    entries_ = entries_before;
    return false;
  }
  value_[key] = std::move(kept);
  bytes_ += overhead + (budget_before - budget);
  return true;
}

bool CallMetadata::bounded(const json& v, int depth, std::size_t& budget, json& out) {
  if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    std::string kept = text.size() > limits_.max_string_bytes ? utf8_prefix(text, limits_.max_string_bytes) : text;
    const std::size_t size = json_string_bytes(kept);
    if (size > budget) return false;
    if (kept.size() != text.size()) ++cut_;
    budget -= size;
    out = std::move(kept);
    return true;
  }
  if (!v.is_array() && !v.is_object()) {  // number, true, false, null: a few bytes each
    const std::size_t size = v.dump().size();
    if (size > budget) return false;
    budget -= size;
    out = v;
    return true;
  }
  if (depth > limits_.max_depth) {  // keeps every walk of the kept value shallow
    if (budget < 4) return false;
    budget -= 4;  // null
    ++cut_;
    out = nullptr;
    return true;
  }
  if (budget < 2) return false;
  budget -= 2;  // the brackets
  const bool object = v.is_object();
  out = object ? json::object() : json::array();
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::size_t comma = first ? 0 : 1;
    if (entries_ >= limits_.max_entries || budget <= comma) {
      cut_ += static_cast<std::size_t>(std::distance(it, v.end()));
      break;
    }
    std::size_t key_bytes = 0;
    if (object) {
      if (it.key().size() > limits_.max_string_bytes) {
        ++cut_;
        continue;
      }
      key_bytes = json_string_bytes(it.key()) + 1;
      if (key_bytes + comma >= budget) {
        ++cut_;
        continue;
      }
    }
    std::size_t child_budget = budget - comma - key_bytes;
    const std::size_t child_before = child_budget;
    ++entries_;
    json child;
    if (!bounded(*it, depth + 1, child_budget, child)) {
      --entries_;
      ++cut_;
      continue;  // a smaller one later may still fit
    }
    budget -= comma + key_bytes + (child_before - child_budget);
    if (object) {
      out[it.key()] = std::move(child);
    } else {
      out.push_back(std::move(child));
    }
    first = false;
  }
  return true;
}

}  // namespace tw::server
