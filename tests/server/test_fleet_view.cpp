// The fleet as one instance's wallboard sees it (src/server/fleet_view): other instances'
// calls from their once-a-second messages, and an instance gone quiet turned lost.

#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "server/fleet_view.h"

using tw::server::FleetView;
using tw::server::FleetViewConfig;

namespace {

std::string calls_message(const std::string& instance, const std::vector<std::string>& live, const std::vector<std::string>& ended,
                          std::int64_t unix_ms) {
  nlohmann::json calls = nlohmann::json::array(), recent = nlohmann::json::array();
  for (const std::string& id : live) calls.push_back({{"call", id}, {"agent", "A7"}, {"stage", "venting"}, {"duration_s", 42.0}, {"started_unix_ms", 1000}});
  for (const std::string& id : ended) recent.push_back({{"call", id}, {"ended_unix_ms", unix_ms - 5}, {"verdict", "calm"}});
  return nlohmann::json{{"instance", instance}, {"unix_ms", unix_ms}, {"calls", calls}, {"recent", recent}}.dump();
}

}  // namespace

TEST_CASE("Other instances' calls join the rows with their instance and our own messages are ignored", "[fleet]") {
  double now = 100.0;
  FleetViewConfig config;
  config.own_instance = "me";
  config.now_s = [&now] { return now; };
  FleetView fleet(config);
  fleet.on_calls(calls_message("me", {"mine"}, {}, 5000));
  fleet.on_calls(calls_message("b", {"b1", "b2"}, {"b0"}, 5000));
  fleet.on_calls(calls_message("c", {"c1"}, {}, 6000));
  const auto rows = fleet.rows();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["call"] == "b1");
  CHECK(rows[0]["instance"] == "b");
  CHECK(rows[0]["stage"] == "venting");
  CHECK(rows[2]["instance"] == "c");
  const auto recent = fleet.recent();
  REQUIRE(recent.size() == 1);
  CHECK(recent[0]["call"] == "b0");
  CHECK(recent[0]["instance"] == "b");
  // The next second's message replaces the instance's rows: b2 ended.
  fleet.on_calls(calls_message("b", {"b1"}, {"b2", "b0"}, 7000));
  CHECK(fleet.rows().size() == 2);
  CHECK(fleet.recent().size() == 2);
  CHECK(fleet.malformed() == 0);
}

TEST_CASE("An instance silent for lost_after_s loses its live calls to the recent list as lost and heartbeats keep it alive", "[fleet]") {
  double now = 100.0;
  FleetViewConfig config;
  config.own_instance = "me";
  config.lost_after_s = 10.0;
  config.now_s = [&now] { return now; };
  FleetView fleet(config);
  fleet.on_calls(calls_message("b", {"b1", "b2"}, {}, 50'000));
  fleet.on_calls(calls_message("c", {"c1"}, {}, 50'000));
  now = 108.0;
  fleet.on_heartbeat(R"({"instance":"c","ts_ms":58000})");  // c heartbeats, b is silent
  CHECK(fleet.rows().size() == 3);
  now = 110.5;  // b last heard 10.5 s ago: lost
  const auto rows = fleet.rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["call"] == "c1");
  const auto recent = fleet.recent();
  REQUIRE(recent.size() == 2);
  for (const auto& entry : recent) {
    CHECK(entry["instance"] == "b");
    CHECK(entry["verdict"] == "lost with instance b");
    CHECK(entry["lost"] == true);
    CHECK(entry["ended_unix_ms"] == 50'000);  // when b was last heard
    CHECK(entry["agent"] == "A7");
  }
  const auto instances = fleet.instances();
  REQUIRE(instances.size() == 2);
  CHECK(instances[0]["instance"] == "b");
  CHECK(instances[0]["lost"] == true);
  CHECK(instances[1]["lost"] == false);
  // Listing again does not list the lost calls twice.
  CHECK(fleet.recent().size() == 2);
}

TEST_CASE("Malformed fleet messages are counted and change nothing", "[fleet]") {
  FleetViewConfig config;
  config.own_instance = "me";
  FleetView fleet(config);
  fleet.on_calls(calls_message("b", {"b1"}, {}, 1000));
  fleet.on_calls("not json");
  fleet.on_calls(R"({"instance":"b","calls":[{"no_call":1}]})");
  fleet.on_calls(R"({"calls":[]})");
  fleet.on_heartbeat("[]");
  CHECK(fleet.malformed() == 4);
  REQUIRE(fleet.rows().size() == 1);
  CHECK(fleet.rows()[0]["call"] == "b1");
}
