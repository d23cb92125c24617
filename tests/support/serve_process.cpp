#include "support/serve_process.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/run_command.h"
#include "support/shared_data.h"
#include "support/text_file.h"
#include "support/ws_client.h"
#include "build_paths.h"

extern char** environ;

namespace tw::test {
ServeProcess::ServeProcess(const std::string& out_dir, const std::vector<std::string>& extra, bool audiosocket,
                           std::uint16_t http_port, const std::vector<std::string>& prefix) {
  static int counter = 0;
  const std::string base = scratch_dir() + "/serve-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  out_path_ = base + ".out";
  err_path_ = base + ".err";
  std::vector<std::string> args = prefix;
  args.insert(args.end(), {tonewatch_binary(), "serve", "--out", out_dir});
  if (std::find(extra.begin(), extra.end(), "--listen") == extra.end()) {
    args.insert(args.end(), {"--listen", "127.0.0.1:" + std::to_string(http_port)});
  }
  if (audiosocket) {
    args.insert(args.end(), {"--audiosocket", "127.0.0.1:0", "--audiosocket-agent", "127.0.0.1:0"});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(spawned == 0);
  // "listening on http://127.0.0.1:PORT (...), AudioSocket callers on port N, agents on port M; ..."
  const std::regex http(R"(listening on https?://[^:]+:(\d+))"), callers(R"(callers on port (\d+))"),
      agents(R"(agents on port (\d+))"), siprec(R"(SIPREC \(SIP [a-z,]+\) on port (\d+))");
  for (int i = 0; i < 200 && http_port_ == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string text = read_text(err_path_);
    std::smatch m;
    if (std::regex_search(text, m, http)) http_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    if (std::regex_search(text, m, callers)) caller_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    if (std::regex_search(text, m, agents)) agent_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    if (std::regex_search(text, m, siprec)) siprec_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("tonewatch serve exited at start: " << read_text(err_path_));
    }
  }
  REQUIRE(http_port_ != 0);
  if (audiosocket) REQUIRE((caller_port_ != 0 && agent_port_ != 0));
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

int ServeProcess::stop(int signal, double timeout_s) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ServeProcess::out() const { return read_text(out_path_); }
std::string ServeProcess::err() const { return read_text(err_path_); }

std::string stream_player_binary() {
  const std::string path = tw::build::binary_dir() + "/tools/stream_player/stream_player";
  if (!std::filesystem::exists(path)) FAIL("stream_player not built at " << path);
  return path;
}

ServerReply http_request(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body) {
  ServerReply reply;
  const int fd = raw_connect(port);
  if (fd < 0) return reply;
  const std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string text;
  char buffer[8192];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  if (text.rfind("HTTP/1.1 ", 0) != 0) return reply;
  reply.status = std::stoi(text.substr(9, 3));
  const std::size_t end = text.find("\r\n\r\n");
  if (end != std::string::npos) reply.body = text.substr(end + 4);
  return reply;
}

double metric_value(const std::string& metrics, const std::string& sample) {
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  }
  return -1.0;
}

std::vector<nlohmann::json> read_events(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

nlohmann::json wait_for_ended_calls(std::uint16_t port, std::size_t n, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  nlohmann::json calls;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto reply = http_request(port, "GET", "/api/calls");
    if (reply.status == 200) {
      calls = nlohmann::json::parse(reply.body);
      if (calls["recent"].size() >= n) return calls;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return calls;
}

bool wait_for_calls_ended(std::uint16_t port, const std::vector<std::string>& call_ids, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto reply = http_request(port, "GET", "/api/calls");
    if (reply.status == 200) {
      const nlohmann::json calls = nlohmann::json::parse(reply.body);
      std::size_t found = 0;
      for (const std::string& id : call_ids) {
        for (const nlohmann::json& c : calls["recent"]) {
          if (c["call"] == id) {
            ++found;
            break;
          }
        }
      }
      if (found == call_ids.size()) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace tw::test
