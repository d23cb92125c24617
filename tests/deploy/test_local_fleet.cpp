// deploy/local-fleet.sh and deploy/haproxy.cfg (issue 25): three `serve` instances on one
// NATS bus behind a real HAProxy, calls of every protocol through the front end, one
// instance's wallboard showing the whole fleet, a kill -9 of another, new calls going to
// the survivors, and `stop` ending exactly what `start` started.

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "build_paths.h"
#include "support/child_process.h"
#include "support/nats_server.h"
#include "support/run_command.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/ws_client.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kAudioHookSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";

struct Fleet {
  std::string dir;
  std::uint16_t front = 0, caller = 0, agent = 0;
  std::map<int, std::pair<std::uint16_t, int>> instances;  // index -> (http port, pid)
  std::string start_output;

  explicit Fleet(std::string state_dir) : dir(std::move(state_dir)) {
    const tw::test::CommandResult started = script({"start", "3"});
    start_output = started.out + started.err;
    INFO(start_output);
    REQUIRE(started.exit_code == 0);
    std::smatch m;
    REQUIRE(std::regex_search(started.out, m, std::regex(R"(front end http://127\.0\.0\.1:(\d+) .*AudioSocket callers 127\.0\.0\.1:(\d+), agents 127\.0\.0\.1:(\d+))")));
    front = static_cast<std::uint16_t>(std::stoi(m[1]));
    caller = static_cast<std::uint16_t>(std::stoi(m[2]));
    agent = static_cast<std::uint16_t>(std::stoi(m[3]));
    const std::regex line(R"(instance (\d+) http://127\.0\.0\.1:(\d+) pid (\d+))");
    for (auto it = std::sregex_iterator(started.out.begin(), started.out.end(), line); it != std::sregex_iterator(); ++it)
      instances[std::stoi((*it)[1])] = {static_cast<std::uint16_t>(std::stoi((*it)[2])), std::stoi((*it)[3])};
    REQUIRE(instances.size() == 3);
  }
  ~Fleet() { script({"stop"}); }

  tw::test::CommandResult script(const std::vector<std::string>& arguments) const {
    std::vector<std::string> command = {"TONEWATCH_FLEET_DIR=" + dir, "TONEWATCH_BINARY=" + tw::test::tonewatch_binary(),
                                        "TONEWATCH_SERVE_ARGS=--audiohook-key key-1:" + std::string(kAudioHookSecret) +
                                            " --leg-buffer-s 30",
                                        tw::build::source_dir() + "/deploy/local-fleet.sh"};
    command.insert(command.end(), arguments.begin(), arguments.end());
    tw::test::RunOptions options;
    options.timeout_s = 120.0;
    return tw::test::run_command("/usr/bin/env", command, options);
  }

  // The instance whose output folder holds the call, or 0.
  int holder(const std::string& call) const {
    for (const auto& [index, _] : instances)
      if (fs::exists(dir + "/calls-" + std::to_string(index) + "/" + call + ".summary.json")) return index;
    return 0;
  }
};

std::unique_ptr<tw::test::ChildProcess> play(const Fleet& fleet, const std::string& protocol, const std::string& call, double speed) {
  std::vector<std::string> arguments = {"--protocol", protocol, "--port", std::to_string(protocol == "audiosocket" ? fleet.caller : fleet.front),
                                        "--call-id", call, "--speed", std::to_string(speed)};
  if (protocol == "audiosocket") arguments.insert(arguments.end(), {"--agent-port", std::to_string(fleet.agent)});
  if (protocol == "audiohook") arguments.insert(arguments.end(), {"--api-key", "key-1", "--client-secret", kAudioHookSecret});
  arguments.push_back(tw::build::source_dir() + "/examples/example_call.wav");
  return std::make_unique<tw::test::ChildProcess>(tw::test::stream_player_binary(), arguments,
                                                   fleet.dir + "/player-" + call);
}

bool pid_running(int pid) { return ::kill(pid, 0) == 0; }

}  // namespace

TEST_CASE("deploy/local-fleet.sh: three instances behind HAProxy take every protocol and show one fleet and survive a kill -9",
          "[deploy][bus][e2e]") {
  Fleet fleet(tw::test::fresh_dir("local-fleet"));
  INFO(fleet.start_output);

  // Calls of every protocol through the front end, at 4x real time (20 s each).
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"twilio", "CAfleet1"},      {"twilio", "CAfleet2"},      {"generic", "gen-1"},
      {"generic", "gen-2"},        {"audiohook", "ah-1"},       {"audiohook", "ah-2"},
      {"audiosocket", "00000001-0000-4000-8000-000000000001"}, {"audiosocket", "00000002-0000-4000-8000-000000000002"},
      {"audiosocket", "00000003-0000-4000-8000-000000000003"}};
  std::vector<std::unique_ptr<tw::test::ChildProcess>> players;
  for (const auto& [protocol, call] : calls) players.push_back(play(fleet, protocol, call, 4.0));

  // Instance 1's wallboard shows every call of the fleet, each with the instance holding it.
  tw::test::WsClient feed(fleet.instances.at(1).first, "/dashboard/feed");
  REQUIRE(feed.connected());
  std::map<std::string, std::string> holder;  // call -> instance, as the wallboard says
  // Nine players, three servers, HAProxy and NATS share two cores: a call may start a few
  // seconds late; each shows for the 20 s it lasts.
  const bool all_shown = tw::test::read_json_until(feed, 18.0, [&](const nlohmann::json& m) {
    for (const auto& row : m.value("calls", nlohmann::json::array()))
      if (row.is_object() && row.contains("instance")) holder[row.value("call", "")] = row.value("instance", "");
    return holder.size() >= calls.size();
  });
  std::string shown_calls;
  for (const auto& [call, instance] : holder) shown_calls += call + " on " + instance + "\n";
  INFO("shown:\n" << shown_calls);
  REQUIRE(all_shown);
  std::set<std::string> used;
  for (const auto& [call, instance] : holder) used.insert(instance);
  CHECK(used.size() >= 2);  // leastconn spread them

  // Instance 2 dies mid-call: its calls are lost on instance 1's wallboard within 15 s (10 s
  // of silence, the next tick, slack for a loaded machine).
  std::set<std::string> on_two;
  for (const auto& [call, instance] : holder)
    if (instance == "instance-2") on_two.insert(call);
  const int pid2 = fleet.instances.at(2).second;
  REQUIRE(::kill(pid2, SIGKILL) == 0);
  const auto killed = std::chrono::steady_clock::now();
  std::set<std::string> lost;
  tw::test::read_json_until(feed, 14.0, [&](const nlohmann::json& m) {
    for (const auto& entry : m.value("recent", nlohmann::json::array()))
      if (entry.is_object() && entry.value("verdict", "") == "lost with instance instance-2") lost.insert(entry.value("call", ""));
    return lost.size() >= on_two.size();
  });
  CHECK(lost == on_two);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count() <= 15.0);

  // The survivors' calls end whole; each AudioSocket call's two legs met on one instance.
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (on_two.count(calls[i].second) != 0) continue;
    INFO(calls[i].second);
    CHECK(players[i]->wait(60.0) == 0);
  }
  for (const auto& [protocol, call] : calls) {
    if (on_two.count(call) != 0) continue;
    INFO(call);
    const int index = fleet.holder(call);
    REQUIRE(index != 0);
    CHECK("instance-" + std::to_string(index) == holder[call]);
    std::ifstream in(fleet.dir + "/calls-" + std::to_string(index) + "/" + call + ".summary.json");
    const auto summary = nlohmann::json::parse(in);
    CHECK(summary["duration_s"].get<double>() == Approx(79.34).margin(0.1));
    CHECK(summary["input"]["lost_frames"] == 0);
    CHECK(summary["input"]["overflowed_frames"] == 0);
  }

  // New calls after the kill go to the survivors (HAProxy's checks took instance 2 out).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::vector<std::unique_ptr<tw::test::ChildProcess>> later;
  for (int i = 0; i < 4; ++i) later.push_back(play(fleet, "generic", "later-" + std::to_string(i), 20.0));
  for (int i = 0; i < 4; ++i) {
    const std::string call = "later-" + std::to_string(i);
    INFO(call << " " << later[i]->err());
    CHECK(later[i]->wait(60.0) == 0);
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (int i = 0; i < 4; ++i) {
    const int index = fleet.holder("later-" + std::to_string(i));
    CHECK((index == 1 || index == 3));
  }

  // stop ends exactly what start started.
  const auto stopped = fleet.script({"stop"});
  CHECK(stopped.exit_code == 0);
  for (const auto& [index, instance] : fleet.instances) CHECK_FALSE(pid_running(instance.second));
  CHECK_FALSE(fs::exists(fleet.dir + "/pids"));
}
