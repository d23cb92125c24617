// The fleet's split-call check (issue 25): a call's two one-party streams on two instances
// are found as a pair, once, by protocol, platform call id and complementary role, and
// nothing else is taken for one.

#include <catch2/catch.hpp>

#include "server/split_calls.h"

using tw::server::CallStatus;
using tw::server::OnePartyCall;
using tw::server::SplitCallDetector;

namespace {

CallStatus status(const std::string& id, const std::string& protocol, const std::string& key, std::vector<std::string> roles) {
  CallStatus s;
  s.call_id = id;
  s.protocol = protocol;
  s.roles = std::move(roles);
  if (!key.empty()) s.metadata["platform_call_id"] = key;
  return s;
}

OnePartyCall theirs(const std::string& protocol, const std::string& key, const std::string& role, const std::string& instance) {
  const nlohmann::json row = {{"call", key}, {"instance", instance},
                              {"one_party", {{"protocol", protocol}, {"key", key}, {"role", role}}}};
  const auto one = tw::server::one_party_from_row(row);
  REQUIRE(one);
  return *one;
}

}  // namespace

TEST_CASE("Only a one-party call of a protocol that splits calls over streams is a candidate", "[fleet][split]") {
  const auto twilio = tw::server::one_party_of(status("CA1", "twilio", "CA1", {"caller"}));
  REQUIRE(twilio);
  CHECK(twilio->platform_call_id == "CA1");
  CHECK(twilio->role == "caller");
  CHECK(tw::server::one_party_of(status("u-1", "audiosocket", "u-1", {"agent"})));
  CHECK_FALSE(tw::server::one_party_of(status("CA2", "twilio", "CA2", {"caller", "agent"})));  // whole
  CHECK_FALSE(tw::server::one_party_of(status("CA3", "twilio", "CA3", {})));                   // not started yet
  CHECK_FALSE(tw::server::one_party_of(status("g-1", "generic", "g-1", {"caller"})));          // one stream per call
  CHECK_FALSE(tw::server::one_party_of(status("a-1", "audiohook", "a-1", {"caller"})));
  CHECK_FALSE(tw::server::one_party_of(status("CA4", "twilio", "", {"caller"})));              // no platform id

  // A row's field round-trips; malformed ones are nothing.
  const nlohmann::json row = {{"instance", "i-2"}, {"one_party", tw::server::one_party_json(*twilio)}};
  const auto back = tw::server::one_party_from_row(row);
  REQUIRE(back);
  CHECK(back->instance == "i-2");
  CHECK(back->protocol == "twilio");
  CHECK(back->platform_call_id == "CA1");
  CHECK(back->role == "caller");
  CHECK_FALSE(tw::server::one_party_from_row(nlohmann::json{{"instance", "i-2"}, {"one_party", "CA1"}}));
  CHECK_FALSE(tw::server::one_party_from_row(nlohmann::json{{"one_party", tw::server::one_party_json(*twilio)}}));  // no instance
  CHECK_FALSE(tw::server::one_party_from_row(
      nlohmann::json{{"instance", "i-2"}, {"one_party", {{"protocol", "twilio"}, {"key", "CA1"}, {"role", "boss"}}}}));
  CHECK_FALSE(tw::server::one_party_from_row(nlohmann::json::array()));
}

TEST_CASE("A call's two parties on two instances are found once and only as a pair", "[fleet][split]") {
  SplitCallDetector detector;
  const std::vector<OnePartyCall> own = {*tw::server::one_party_of(status("CA1", "twilio", "CA1", {"caller"})),
                                         *tw::server::one_party_of(status("CA2", "twilio", "CA2", {"caller"})),
                                         *tw::server::one_party_of(status("0000-u", "audiosocket", "0000-u", {"agent"}))};
  const std::vector<OnePartyCall> others = {
      theirs("twilio", "CA1", "agent", "i-2"),          // CA1's other party: a split
      theirs("twilio", "CA2", "caller", "i-3"),         // the same party twice: not a pair
      theirs("audiosocket", "CA2", "agent", "i-3"),     // another protocol's id
      theirs("audiosocket", "0000-u", "caller", "i-3")  // the AudioSocket call's caller: a split
  };
  auto found = detector.check(own, others);
  REQUIRE(found.size() == 2);
  CHECK(found[0].here.call_id == "CA1");
  CHECK(found[0].there.instance == "i-2");
  CHECK(found[0].there.role == "agent");
  CHECK(found[0].metadata() == nlohmann::json{{"split_across_instances", {{"role", "agent"}, {"instance", "i-2"}}}});
  CHECK(found[0].message().find("both_tracks") != std::string::npos);
  CHECK(tw::server::split_text(found[0].metadata()) == "its agent streams to i-2");
  CHECK(found[1].here.call_id == "0000-u");
  CHECK(found[1].there.role == "caller");
  CHECK(found[1].message().find("stick table") != std::string::npos);

  // Reported once while the call lasts.
  CHECK(detector.check(own, others).empty());
  // A call that ended is forgotten: the same id again later is a new call.
  CHECK(detector.check({own[1], own[2]}, others).empty());
  found = detector.check(own, others);
  REQUIRE(found.size() == 1);
  CHECK(found[0].here.call_id == "CA1");
  // Nobody else holds a party: nothing.
  CHECK(SplitCallDetector().check(own, {}).empty());
}

TEST_CASE("A split mark in a platform's own metadata of the wrong shape is no split and no exception", "[fleet][split]") {
  using tw::server::split_text;
  CHECK(split_text(nlohmann::json::object()).empty());
  CHECK(split_text(nlohmann::json::array()).empty());
  CHECK(split_text(nlohmann::json{{"split_across_instances", "yes"}}).empty());
  CHECK(split_text(nlohmann::json{{"split_across_instances", {{"role", 5}, {"instance", "i-2"}}}}).empty());
  CHECK(split_text(nlohmann::json{{"split_across_instances", {{"role", "agent"}}}}).empty());
  CHECK(split_text(nlohmann::json{{"split_across_instances", {{"role", "agent"}, {"instance", "i-2"}}}}) == "its agent streams to i-2");
}
