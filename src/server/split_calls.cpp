#include "server/split_calls.h"

#include <map>
#include <tuple>

namespace tw::server {
namespace {

bool splits_calls(const std::string& protocol) { return protocol == "twilio" || protocol == "audiosocket"; }

bool is_role(const std::string& role) { return role == "caller" || role == "agent"; }

}  // namespace

std::optional<OnePartyCall> one_party_of(const CallStatus& s) {
  if (!splits_calls(s.protocol) || s.roles.size() != 1 || !is_role(s.roles[0])) return std::nullopt;
  const auto key = s.metadata.find("platform_call_id");
  if (key == s.metadata.end() || !key->is_string() || key->get_ref<const std::string&>().empty()) return std::nullopt;
  return OnePartyCall{s.call_id, s.protocol, key->get<std::string>(), s.roles[0], {}};
}

nlohmann::json one_party_json(const OnePartyCall& call) {
  return {{"protocol", call.protocol}, {"key", call.platform_call_id}, {"role", call.role}};
}

std::optional<OnePartyCall> one_party_from_row(const nlohmann::json& row) {
  if (!row.is_object()) return std::nullopt;
  const auto field = row.find("one_party");
  if (field == row.end() || !field->is_object()) return std::nullopt;
  const auto text = [&](const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  OnePartyCall call{{}, text(*field, "protocol"), text(*field, "key"), text(*field, "role"), text(row, "instance")};
  if (!splits_calls(call.protocol) || call.platform_call_id.empty() || !is_role(call.role) || call.instance.empty()) return std::nullopt;
  return call;
}

std::string SplitCall::message() const {
  std::string text = "call " + here.call_id + " (" + here.protocol + " " + here.platform_call_id + ") has its " + here.role +
                     " here and its " + there.role + " on instance " + there.instance +
                     ": each instance analyses half the call.";
  if (here.protocol == "twilio") {
    text += " Behind a balancer, stream Twilio calls with track=\"both_tracks\" on one WebSocket (docs/fleet.md).";
  } else {
    text += " HAProxy's stick table lost the call's first leg (a restart or a full table?); see deploy/haproxy.cfg.";
  }
  return text;
}

nlohmann::json SplitCall::metadata() const {
  return {{"split_across_instances", {{"role", there.role}, {"instance", there.instance}}}};
}

std::string split_text(const nlohmann::json& metadata) {
  if (!metadata.is_object()) return {};
  const auto it = metadata.find("split_across_instances");
  if (it == metadata.end() || !it->is_object()) return {};
  const auto role = it->find("role"), instance = it->find("instance");
  if (role == it->end() || !role->is_string() || instance == it->end() || !instance->is_string()) return {};
  return "its " + role->get<std::string>() + " streams to " + instance->get<std::string>();
}

std::vector<SplitCall> SplitCallDetector::check(const std::vector<OnePartyCall>& own, const std::vector<OnePartyCall>& others) {
  std::map<std::tuple<std::string, std::string, std::string>, const OnePartyCall*> by_party;  // protocol, key, role
  for (const OnePartyCall& o : others) by_party.emplace(std::tuple{o.protocol, o.platform_call_id, o.role}, &o);
  std::vector<SplitCall> found;
  std::set<std::string> still;
  for (const OnePartyCall& call : own) {
    still.insert(call.call_id);
    if (reported_.count(call.call_id) != 0) continue;
    const std::string other_role = call.role == "caller" ? "agent" : "caller";
    const auto it = by_party.find({call.protocol, call.platform_call_id, other_role});
    if (it == by_party.end()) continue;
    reported_.insert(call.call_id);
    found.push_back(SplitCall{call, *it->second});
  }
  // Forget the calls that ended (or got their other party after all).
  for (auto it = reported_.begin(); it != reported_.end();) it = still.count(*it) == 0 ? reported_.erase(it) : std::next(it);
  return found;
}

}  // namespace tw::server
