#include "batch/input_identity.h"

#include <sys/stat.h>

#include <ctime>

#include "batch/call_ids.h"
#include "report/call_summary.h"

namespace tw::batch {

InputIdentity identify_input(const std::string& path) {
  InputIdentity identity;
  identity.path = absolute_path(path);
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return identity;
  identity.exists = true;
  identity.regular = S_ISREG(status.st_mode);
  identity.device = static_cast<std::uint64_t>(status.st_dev);
  identity.inode = static_cast<std::uint64_t>(status.st_ino);
  if (identity.regular) {
    identity.size_bytes = static_cast<std::int64_t>(status.st_size);
    identity.modified_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
  }
  return identity;
}

nlohmann::json identity_json(const InputIdentity& identity) {
  nlohmann::json json = report::input_path_json(identity.path);
  if (identity.regular) {
    json["size_bytes"] = identity.size_bytes;
    json["modified_ns"] = identity.modified_ns;
    const std::time_t seconds = static_cast<std::time_t>(identity.modified_ns / 1'000'000'000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    json["modified_utc"] = text;
  }
  return json;
}

bool same_input(const nlohmann::json& summary_input, const InputIdentity& identity) {
  if (!identity.regular || !summary_input.is_object()) return false;
  try {
    return report::input_path_from_json(summary_input) == identity.path &&
           summary_input.value("size_bytes", std::int64_t{-2}) == identity.size_bytes &&
           summary_input.value("modified_ns", std::int64_t{-2}) == identity.modified_ns;
  } catch (const std::exception&) {
    return false;  // a malformed input object is no proof
  }
}

}  // namespace tw::batch
