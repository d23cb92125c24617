#include "support/sound_servers.h"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/run_command.h"

namespace tw::test {
namespace {

// Socket paths are limited to 108 bytes: keep the folder short.
std::string fresh_folder(const std::string& kind) {
  static std::atomic<int> counter{0};
  const std::string dir = "/tmp/tw-" + kind + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/run");
  return dir;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  REQUIRE(out.good());
}

}  // namespace

PulseServer::PulseServer(const std::vector<PulseSink>& sinks) : dir_(fresh_folder("pulse")) {
  std::string script = "load-module module-native-protocol-unix auth-anonymous=1 socket=" + dir_ + "/native\n";
  std::string asoundrc;
  auto device = [&](const std::string& name, const std::string& source) {
    asoundrc += "pcm." + name + " { type pulse; device \"" + source + "\"; hint { show on; description \"" + name + "\" } }\n";
  };
  for (const PulseSink& s : sinks) {
    script += "load-module module-null-sink sink_name=" + s.name + " rate=" + std::to_string(s.rate_hz) +
              " channels=" + std::to_string(s.channels) + "\n";
    device(s.name, s.name + ".monitor");
    for (const auto& [name, channel] : s.split) {
      script += "load-module module-remap-source source_name=" + name + " master=" + s.name +
                ".monitor channels=1 master_channel_map=" + channel + " channel_map=mono\n";
      device(name, name);
    }
  }
  write_text(dir_ + "/tonewatch.pa", script);
  write_text(dir_ + "/.asoundrc", asoundrc);
  const std::vector<std::string> home = {"HOME=" + dir_, "XDG_RUNTIME_DIR=" + dir_ + "/run",
                                         "XDG_CONFIG_HOME=" + dir_ + "/config", "PULSE_RUNTIME_PATH=" + dir_ + "/run"};
  env_ = home;
  env_.insert(env_.end(), {"PULSE_SERVER=unix:" + dir_ + "/native", "JACK_DEFAULT_SERVER=tw-no-jack-here"});
  // -n: no default script (no hardware, no D-Bus modules); a user instance, whoever runs
  // the tests (root included: PulseAudio warns about root but serves).
  server_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"pulseaudio", "-n", "-F", dir_ + "/tonewatch.pa", "--daemonize=no", "--exit-idle-time=-1",
                               "--disallow-exit", "--use-pid-file=no", "--log-target=stderr"},
      home);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!std::filesystem::exists(dir_ + "/native")) {
    if (!server_->running() || std::chrono::steady_clock::now() > deadline) {
      FAIL("PulseAudio did not start (tools/install-deps.sh --tests installs pulseaudio, pulseaudio-utils and "
           "libasound2-plugins); its log:\n"
           << server_->err());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The socket appears before the modules after it are loaded: wait for the last device.
  BackgroundProcess probe({"pactl", "list", "short", "sources"}, env_);
  REQUIRE(probe.wait(15.0) == 0);
  for (int i = 0; i < 100 && !sinks.empty(); ++i) {
    BackgroundProcess list({"pactl", "list", "short", "sources"}, env_);
    list.wait(15.0);
    const PulseSink& last = sinks.back();
    if (list.out().find(last.split.empty() ? last.name + ".monitor" : last.split.back().first) != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("PulseAudio started but its devices did not appear; its log:\n" << server_->err());
}

PulseServer::~PulseServer() {
  if (server_ && server_->running()) {
    server_->signal(frozen_ ? SIGKILL : SIGTERM);  // a stopped process takes only SIGKILL at once
    server_->wait(5.0);
  }
  server_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

int PulseServer::play(const std::string& wav, const std::string& sink) {
  BackgroundProcess player({"paplay", "--device=" + sink, wav}, env_);
  const int code = player.wait(600.0);
  if (code != 0) WARN("paplay " << wav << " into " << sink << " failed: " << player.err());
  return code;
}

void PulseServer::kill_now() {
  server_->signal(SIGKILL);
  server_->wait(5.0);
}

void PulseServer::freeze() {
  server_->signal(SIGSTOP);
  frozen_ = true;
}

JackServer::JackServer(int rate_hz, int capture_channels) : dir_(fresh_folder("jack")) {
  const std::string name = "tw-jack-" + std::to_string(::getpid()) + "-" + dir_.substr(dir_.rfind('-') + 1);
  env_ = {"HOME=" + dir_, "JACK_DEFAULT_SERVER=" + name, "JACK_NO_AUDIO_RESERVATION=1",
          "PULSE_SERVER=unix:" + dir_ + "/no-pulse-here"};
  server_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"jackd", "-n", name, "--no-realtime", "-d", "dummy", "-r", std::to_string(rate_hz), "-C",
                               std::to_string(capture_channels), "-P", "0"},
      env_);
  // Up when tonewatch sees its capture device through PortAudio's JACK host API.
  for (int i = 0; i < 100; ++i) {
    if (!server_->running()) break;
    BackgroundProcess devices({tonewatch_binary(), "devices", "--json"}, env_);
    devices.wait(30.0);
    if (devices.out().find("JACK Audio Connection Kit") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the JACK dummy server did not start (tools/install-deps.sh --tests installs jackd2); its log:\n"
       << server_->out() << server_->err());
}

JackServer::~JackServer() {
  if (server_ && server_->running()) {
    server_->signal(SIGTERM);
    server_->wait(5.0);
  }
  server_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace tw::test
