// The wallboard's rows as the feed builds them: which open episodes become agent
// flags and dead air, where the agent id comes from, what a recent call carries.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "server/dashboard_feed.h"

namespace {

using nlohmann::json;
using tw::server::CallStatus;
using tw::server::DashboardFeed;

CallStatus status_of(const std::string& id, json metadata) {
  CallStatus s;
  s.call_id = id;
  s.metadata = std::move(metadata);
  s.duration_s = 42.7;
  s.stage = "venting";
  s.caller_agitation = 0.8149f;
  s.caller_scored = true;
  s.analysing = true;
  return s;
}

}  // namespace

TEST_CASE("wallboard rows turn open episodes into agent flags and dead air", "[server][dashboard]") {
  const CallStatus s = status_of("c1", json{{"agent_id", "A-17"}});
  // Caller episodes are not agent flags; the order of the flags is the wallboard's, not the hub's.
  const json row = DashboardFeed::row_json(
      s, {"caller_agitation_high", "agent_monologue", "dead_air", "agent_raised_voice", "agent_fast_speech"}, 2, true);
  CHECK(row["flags"] == json::array({"agent_raised_voice", "agent_fast_speech", "agent_monologue", "agent_interrupting"}));
  CHECK(row["dead_air"] == true);
  CHECK(row["open_alerts"] == 2);
  CHECK(row["agent"] == "A-17");
  CHECK(row["stage"] == "venting");
  CHECK(row["agitation"].get<double>() == Approx(0.81));
  CHECK(row["t"] == 42);
  CHECK(row["scored"] == true);

  const json quiet = DashboardFeed::row_json(s, {"caller_agitation_high"}, 0, false);
  CHECK(quiet["flags"].empty());
  CHECK(quiet["dead_air"] == false);
  CHECK(quiet["open_alerts"] == 0);
}

TEST_CASE("wallboard rows find the agent id where platforms put it", "[server][dashboard]") {
  CHECK(DashboardFeed::row_json(status_of("a", json{{"agent", "B-09"}}), {}, 0, false)["agent"] == "B-09");
  CHECK(DashboardFeed::row_json(status_of("b", json{{"agentId", 3107}}), {}, 0, false)["agent"] == "3107");
  // Twilio: TwiML <Parameter name="agent_id" value="A17"/> arrives in customParameters.
  CHECK(DashboardFeed::row_json(status_of("c", json{{"customParameters", {{"agent_id", "A17"}}}}), {}, 0, false)["agent"] ==
        "A17");
  // The top level wins over the platform's parameters; an empty id is no id.
  CHECK(DashboardFeed::row_json(status_of("d", json{{"agent_id", "top"}, {"customParameters", {{"agent_id", "inner"}}}}), {}, 0,
                                false)["agent"] == "top");
  CHECK(DashboardFeed::row_json(status_of("e", json{{"agent_id", ""}}), {}, 0, false)["agent"].is_null());
  CHECK(DashboardFeed::row_json(status_of("f", json::array()), {}, 0, false)["agent"].is_null());
}

TEST_CASE("a recent call carries its verdict and stage history and report link", "[server][dashboard]") {
  CallStatus s = status_of("done", json{{"agent_id", "A-2"}});
  s.ended = true;
  s.ended_unix_ms = 1'700'000'000'000;
  s.verdict = "Escalated at 0:19; 1 alert";
  s.stages = {{tw::detect::Stage::calm, 0.0, 19.04},
              {tw::detect::Stage::escalating, 19.04, 37.0},
              {tw::detect::Stage::calm, 37.0, 42.7}};
  s.report_path = "/out/done.report.html";
  const json r = DashboardFeed::recent_json(s);
  CHECK(r["verdict"] == "Escalated at 0:19; 1 alert");
  CHECK(r["stages"] == json::array({json::array({"calm", 0.0, 19.0}), json::array({"escalating", 19.0, 37.0}),
                                    json::array({"calm", 37.0, 42.7})}));
  CHECK(r["report"] == "/calls/done/report");
  CHECK(r["agent"] == "A-2");
  CHECK(r["ended_unix_ms"] == 1'700'000'000'000);
  CHECK(r["unacknowledged"] == json::array());
  s.report_path.clear();
  CHECK(DashboardFeed::recent_json(s)["report"].is_null());
  // The alerts it ended with, unacknowledged: the row offers to acknowledge them.
  CHECK(DashboardFeed::recent_json(s, {4, 9})["unacknowledged"] == json::array({4, 9}));
}
